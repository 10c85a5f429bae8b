/**
 * Writes a Java KeyStore (JKS, version 2) holding trusted-certificate entries only: what a Java
 * or Kafka-Dispatcher-style client takes as `ssl.truststore.location` with
 * `ssl.truststore.type=JKS`. Format (sun.security.provider.JavaKeyStore): magic FEEDFEED,
 * version 2, entry count, then per entry tag 2, alias, creation time, "X.509" and the DER
 * certificate; the store ends with SHA-1 over the password (UTF-16BE), the salt string
 * "Mighty Aphrodite" and everything before it, which is how keytool checks the password.
 */
import { createHash } from 'node:crypto';

const MAGIC = 0xfeedfeed;
const VERSION = 2;
const TRUSTED_CERT_ENTRY = 2;

function utf(text: string): Buffer {
  const bytes = Buffer.from(text, 'utf8');
  const length = Buffer.alloc(2);
  length.writeUInt16BE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function uint32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export interface TrustedEntry {
  alias: string;
  /** DER-encoded X.509 certificate. */
  der: Buffer;
}

export function writeJksTruststore(entries: readonly TrustedEntry[], password: string, createdAt = Date.now()): Buffer {
  const parts: Buffer[] = [uint32(MAGIC), uint32(VERSION), uint32(entries.length)];
  for (const entry of entries) {
    const time = Buffer.alloc(8);
    time.writeBigUInt64BE(BigInt(createdAt));
    parts.push(
      uint32(TRUSTED_CERT_ENTRY),
      utf(entry.alias.toLowerCase()),
      time,
      utf('X.509'),
      uint32(entry.der.length),
      entry.der,
    );
  }
  const body = Buffer.concat(parts);
  const passwordBytes = Buffer.alloc(password.length * 2);
  for (let i = 0; i < password.length; i++) passwordBytes.writeUInt16BE(password.charCodeAt(i), i * 2);
  const digest = createHash('sha1').update(passwordBytes).update('Mighty Aphrodite', 'utf8').update(body).digest();
  return Buffer.concat([body, digest]);
}
