/**
 * Turns the configured TLS trust (a PEM bundle, a JKS or a PKCS#12 truststore) into the PEM
 * certificates Node's `tls.connect({ ca })` takes.
 *
 * The file format is read off the content, not the name or the declared type: keytool has written
 * PKCS#12 by default since JDK 9, so plenty of `truststore.jks` files are PKCS#12, and Java itself
 * loads them (keystore.type.compat). A mismatch is logged, not fatal.
 *
 * jks-js and node-forge are imported on first use: together they cost ~50 ms of module loading,
 * which PLAINTEXT, IAM and default-trust TLS cold starts should not pay.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { KafkaConfigError } from './errors.ts';
import type { TrustSource, TruststoreType } from './config.ts';
import { silentLog, type Log } from '../logger.ts';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const JKS_MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;

/** Detects the truststore format from its first bytes. */
export function detectTruststoreType(content: Buffer): TruststoreType | 'JCEKS' | undefined {
  if (content.length >= 4 && content.readUInt32BE(0) === JKS_MAGIC) {
    return 'JKS';
  }
  if (content.length >= 4 && content.readUInt32BE(0) === JCEKS_MAGIC) {
    return 'JCEKS';
  }
  if (content.includes('-----BEGIN CERTIFICATE-----')) {
    return 'PEM';
  }
  // PKCS#12 is a DER SEQUENCE (0x30) whose first element is the INTEGER version 3.
  if (content.length > 8 && content[0] === 0x30 && content.subarray(0, 8).includes(Buffer.from([0x02, 0x01, 0x03]))) {
    return 'PKCS12';
  }
  return undefined;
}

function toPem(der: Buffer, property: string, what: string, logger: Log): string {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(der);
  } catch (error) {
    throw new KafkaConfigError(property, `${what} is not a valid X.509 certificate`, { cause: error });
  }
  if (Date.parse(certificate.validTo) < Date.now()) {
    logger.warn('A trusted CA certificate has expired', {
      property,
      subject: certificate.subject,
      validTo: certificate.validTo,
    });
  }
  return certificate.toString();
}

function pemBundleToCerts(text: string, property: string, where: string, logger: Log): string[] {
  const blocks = text.match(PEM_CERT) ?? [];
  if (blocks.length === 0) {
    throw new KafkaConfigError(property, `${where} contains no PEM certificate`);
  }
  return blocks.map((block, index) => {
    const base64 = block.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
    return toPem(Buffer.from(base64, 'base64'), property, `certificate #${index + 1} in ${where}`, logger);
  });
}

/** A truststore file as the client module reads it. */
type FileTrust = Extract<TrustSource, { kind: 'file' }>;

/** Reads the trusted certificates (PEM) of a binary truststore; its library loads on first use. */
type BinaryStoreReader = (content: Buffer, trust: FileTrust, logger: Log) => Promise<string[]>;

const jksToCerts: BinaryStoreReader = async (content, trust, logger) => {
  const { default: jks } = await import('jks-js');
  if (trust.password === undefined) {
    // Same as the Java client: without a password the store is read but its integrity is not checked.
    logger.warn('JKS truststore has no password: its integrity is not verified', {
      property: trust.passwordProperty,
    });
  }
  let entries: ReturnType<typeof jks.parseJks>;
  try {
    entries = jks.parseJks(content, trust.password ?? '');
  } catch (error) {
    if (error instanceof Error && /password verification failed/i.test(error.message)) {
      throw new KafkaConfigError(
        trust.passwordProperty,
        `wrong password for JKS truststore '${trust.location}' (integrity check failed)`,
        { cause: error },
      );
    }
    throw new KafkaConfigError(trust.locationProperty, `'${trust.location}' is not a valid JKS truststore`, {
      cause: error,
    });
  }
  const certs: string[] = [];
  for (const entry of entries) {
    if ('cert' in entry) {
      certs.push(
        toPem(entry.cert.value, trust.locationProperty, `entry '${entry.alias}' of '${trust.location}'`, logger),
      );
    }
  }
  return certs;
};

const pkcs12ToCerts: BinaryStoreReader = async (content, trust, logger) => {
  const { default: forge } = await import('node-forge');
  let p12: ReturnType<typeof forge.pkcs12.pkcs12FromAsn1>;
  try {
    const asn1 = forge.asn1.fromDer(forge.util.createBuffer(content.toString('binary')));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, false, trust.password);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/MAC could not be verified|invalid password/i.test(message)) {
      const problem =
        trust.password === undefined
          ? `required: PKCS#12 truststore '${trust.location}' is password-protected`
          : `wrong password for PKCS#12 truststore '${trust.location}' (MAC check failed)`;
      throw new KafkaConfigError(trust.passwordProperty, problem, { cause: error });
    }
    throw new KafkaConfigError(trust.locationProperty, `'${trust.location}' is not a valid PKCS#12 truststore`, {
      cause: error,
    });
  }
  const certBag = forge.pki.oids['certBag'] ?? '1.2.840.113549.1.12.10.1.3';
  const bags = p12.getBags({ bagType: certBag })[certBag] ?? [];
  const certs: string[] = [];
  for (const [index, bag] of bags.entries()) {
    // forge parses RSA certificates only; others (EC roots such as Amazon Root CA 3) come back
    // as raw ASN.1, which is all we need.
    const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : bag.asn1;
    if (!asn1) {
      continue;
    }
    const der = Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary');
    const friendlyName: unknown = (bag.attributes as Record<string, unknown[] | undefined> | undefined)?.[
      'friendlyName'
    ]?.[0];
    const alias = typeof friendlyName === 'string' ? friendlyName : `#${index + 1}`;
    certs.push(toPem(der, trust.locationProperty, `entry '${String(alias)}' of '${trust.location}'`, logger));
  }
  return certs;
};

const BINARY_STORES: Readonly<Record<'JKS' | 'PKCS12', BinaryStoreReader>> = { JKS: jksToCerts, PKCS12: pkcs12ToCerts };

/**
 * Loads the trusted CA certificates as PEM strings; throws `KafkaConfigError` naming the location
 * property (unreadable, not a truststore, no certificates) or the password property (missing or
 * wrong password).
 */
export async function loadTrustedCertificates(trust: TrustSource, logger: Log = silentLog): Promise<string[]> {
  if (trust.kind === 'pem') {
    return pemBundleToCerts(trust.pem, trust.property, trust.property, logger);
  }
  let content: Buffer;
  try {
    content = await readFile(trust.location);
  } catch (error) {
    throw new KafkaConfigError(trust.locationProperty, `cannot read '${trust.location}'`, { cause: error });
  }
  const detected = detectTruststoreType(content);
  if (detected === 'JCEKS') {
    throw new KafkaConfigError(
      trust.locationProperty,
      `'${trust.location}' is a JCEKS keystore; convert it to PKCS12 or JKS (keytool -importkeystore)`,
    );
  }
  if (detected === undefined) {
    throw new KafkaConfigError(trust.locationProperty, `'${trust.location}' is not a PEM, JKS or PKCS#12 truststore`);
  }
  if (trust.type !== undefined && trust.type !== detected) {
    logger.warn('Truststore content does not match its declared type; using the content', {
      property: trust.locationProperty,
      declared: trust.type,
      detected,
    });
  }
  const unique = new Set(
    detected === 'PEM'
      ? pemBundleToCerts(content.toString('utf8'), trust.locationProperty, `'${trust.location}'`, logger)
      : await BINARY_STORES[detected](content, trust, logger),
  );
  if (unique.size === 0) {
    throw new KafkaConfigError(trust.locationProperty, `'${trust.location}' contains no trusted certificate entries`);
  }
  return [...unique];
}
