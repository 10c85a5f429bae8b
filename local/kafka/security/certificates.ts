/**
 * The dev cluster's TLS material: a local CA made at first start and a broker certificate it
 * signs, kept in one directory so clients can be pointed at the CA the way they would be at a
 * corporate CA (`ssl.ca.location`, or a JKS / PKCS#12 truststore with a password). Files:
 *
 *   ca.pem, ca.key.pem          the local CA (RSA 2048, 10 years)
 *   broker.pem, broker.key.pem  the brokers' certificate (SAN: the advertised host, localhost, 127.0.0.1)
 *   truststore.jks              JKS truststore with the CA as trusted entry `clickstream-local-ca`
 *   truststore.p12              PKCS#12 truststore with the same entry
 *   truststore.password         the password of both truststores
 *
 * Keys come from node's crypto (fast); node-forge builds and signs the certificates and writes
 * the PKCS#12 store, jks.ts the JKS store. Existing files are reused, so a client configured once
 * keeps working across restarts; the broker certificate is reissued when the host changes.
 */
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import forge from 'node-forge';
import { writeJksTruststore } from './jks.ts';

export const DEFAULT_TRUSTSTORE_PASSWORD = 'changeit';
export const CA_ALIAS = 'clickstream-local-ca';

export interface TlsMaterial {
  dir: string;
  caPem: string;
  certPem: string;
  keyPem: string;
  /** Paths of the CA and the truststores, and the truststores' password. */
  caLocation: string;
  jksLocation: string;
  pkcs12Location: string;
  truststorePassword: string;
}

const YEAR_MS = 365 * 24 * 3600 * 1000;

function rsaKeyPair(): {
  privateKey: forge.pki.rsa.PrivateKey;
  publicKey: forge.pki.rsa.PublicKey;
  pem: string;
} {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const key = forge.pki.privateKeyFromPem(pem) as forge.pki.rsa.PrivateKey;
  return { privateKey: key, publicKey: forge.pki.setRsaPublicKey(key.n, key.e), pem };
}

function serial(): string {
  // Positive, 16 bytes.
  return `01${forge.util.bytesToHex(forge.random.getBytesSync(15))}`;
}

/** A fresh key pair and a certificate for it: random serial, valid from an hour ago for `years`. */
function newCertificate(years: number): { keys: ReturnType<typeof rsaKeyPair>; cert: forge.pki.Certificate } {
  const keys = rsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serial();
  cert.validity.notBefore = new Date(Date.now() - 3600_000);
  cert.validity.notAfter = new Date(Date.now() + years * YEAR_MS);
  return { keys, cert };
}

function makeCa(): { certPem: string; keyPem: string } {
  const { keys, cert } = newCertificate(10);
  const subject = [
    { name: 'commonName', value: 'clickstream-pipeline local CA' },
    { name: 'organizationName', value: 'clickstream-pipeline dev' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.pem };
}

function sanNames(host: string): string[] {
  return [...new Set([host, 'localhost', '127.0.0.1', '::1'])];
}

function makeBrokerCert(caCertPem: string, caKeyPem: string, host: string): { certPem: string; keyPem: string } {
  const ca = forge.pki.certificateFromPem(caCertPem);
  const caKey = forge.pki.privateKeyFromPem(caKeyPem);
  const { keys, cert } = newCertificate(2);
  cert.setSubject([{ name: 'commonName', value: host }]);
  cert.setIssuer(ca.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: sanNames(host).map((name) => (isIP(name) !== 0 ? { type: 7, ip: name } : { type: 2, value: name })),
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.pem };
}

const TRUSTED_KEY_USAGE = '2.16.840.1.113894.746875.1.1';
const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

/**
 * A PKCS#12 truststore: one certBag carrying a friendlyName and Oracle's trusted-key-usage
 * attribute, without which Java's PKCS12 KeyStore does not load a certificate as a trusted entry
 * (node-forge's toPkcs12Asn1 cannot add it, so the PFX is built here with forge's ASN.1 helpers:
 * unencrypted SafeContents, as keytool writes for certificates, and an HMAC-SHA1 MAC).
 */
function pkcs12Truststore(caPem: string, password: string): Buffer {
  const { asn1, pki } = forge;
  const seq = (items: forge.asn1.Asn1[]): forge.asn1.Asn1 =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, items);
  const set = (items: forge.asn1.Asn1[]): forge.asn1.Asn1 =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SET, true, items);
  const oid = (id: string): forge.asn1.Asn1 =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(id).getBytes());
  const octets = (bytes: string): forge.asn1.Asn1 =>
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OCTETSTRING, false, bytes);
  const explicit0 = (item: forge.asn1.Asn1): forge.asn1.Asn1 =>
    asn1.create(asn1.Class.CONTEXT_SPECIFIC, 0, true, [item]);
  const der = (item: forge.asn1.Asn1): string => asn1.toDer(item).getBytes();
  const oids = pki.oids as Record<string, string>;

  const certDer = der(pki.certificateToAsn1(pki.certificateFromPem(caPem)));
  const bag = seq([
    oid(oids.certBag ?? '1.2.840.113549.1.12.10.1.3'),
    explicit0(seq([oid(oids.x509Certificate ?? '1.2.840.113549.1.9.22.1'), explicit0(octets(certDer))])),
    set([
      seq([
        oid(oids.friendlyName ?? '1.2.840.113549.1.9.20'),
        set([asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BMPSTRING, false, CA_ALIAS)]),
      ]),
      seq([oid(TRUSTED_KEY_USAGE), set([oid(ANY_EXTENDED_KEY_USAGE)])]),
    ]),
  ]);
  const data = oids.data ?? '1.2.840.113549.1.7.1';
  const authSafe = seq([seq([oid(data), explicit0(octets(der(seq([bag]))))])]);
  const authSafeDer = der(authSafe);

  const salt = forge.random.getBytesSync(16);
  const iterations = 10_000;
  const key = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt), 3, iterations, 20);
  const hmac = forge.hmac.create();
  hmac.start('sha1', key.getBytes());
  hmac.update(authSafeDer);
  const macData = seq([
    seq([
      seq([oid(oids.sha1 ?? '1.3.14.3.2.26'), asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, '')]),
      octets(hmac.digest().getBytes()),
    ]),
    octets(salt),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(iterations).getBytes()),
  ]);
  const pfx = seq([
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.INTEGER, false, asn1.integerToDer(3).getBytes()),
    seq([oid(data), explicit0(octets(authSafeDer))]),
    macData,
  ]);
  return Buffer.from(der(pfx), 'binary');
}

/** Whether `certPem` is valid for `host` and was issued by `caPem`. */
function fits(certPem: string, caPem: string, host: string): boolean {
  try {
    const cert = new X509Certificate(certPem);
    const ca = new X509Certificate(caPem);
    const matches = isIP(host) !== 0 ? cert.checkIP(host) !== undefined : cert.checkHost(host) !== undefined;
    return matches && cert.checkIssued(ca) && Date.parse(cert.validTo) > Date.now() + 24 * 3600_000;
  } catch {
    return false;
  }
}

/**
 * Loads the TLS material from `dir`, creating whatever is missing (the CA only when there is
 * none: replacing it would break every client already configured with it).
 */
export function ensureTlsMaterial(dir: string, host: string, password?: string): TlsMaterial {
  mkdirSync(dir, { recursive: true });
  const file = (name: string): string => join(dir, name);
  const passwordFile = file('truststore.password');
  const storedPassword = existsSync(passwordFile) ? readFileSync(passwordFile, 'utf8').trim() : undefined;
  const truststorePassword = password ?? storedPassword ?? DEFAULT_TRUSTSTORE_PASSWORD;

  let caPem: string;
  let caKeyPem: string;
  let caCreated = false;
  if (existsSync(file('ca.pem')) && existsSync(file('ca.key.pem'))) {
    caPem = readFileSync(file('ca.pem'), 'utf8');
    caKeyPem = readFileSync(file('ca.key.pem'), 'utf8');
  } else {
    ({ certPem: caPem, keyPem: caKeyPem } = makeCa());
    writeFileSync(file('ca.key.pem'), caKeyPem, { mode: 0o600 });
    writeFileSync(file('ca.pem'), caPem);
    caCreated = true;
  }

  let certPem = existsSync(file('broker.pem')) ? readFileSync(file('broker.pem'), 'utf8') : '';
  let keyPem = existsSync(file('broker.key.pem')) ? readFileSync(file('broker.key.pem'), 'utf8') : '';
  if (caCreated || keyPem === '' || !fits(certPem, caPem, host)) {
    ({ certPem, keyPem } = makeBrokerCert(caPem, caKeyPem, host));
    writeFileSync(file('broker.key.pem'), keyPem, { mode: 0o600 });
    writeFileSync(file('broker.pem'), certPem);
  }

  const jksLocation = file('truststore.jks');
  const pkcs12Location = file('truststore.p12');
  if (caCreated || storedPassword !== truststorePassword || !existsSync(jksLocation) || !existsSync(pkcs12Location)) {
    const der = new X509Certificate(caPem).raw;
    writeFileSync(jksLocation, writeJksTruststore([{ alias: CA_ALIAS, der }], truststorePassword));
    writeFileSync(pkcs12Location, pkcs12Truststore(caPem, truststorePassword));
    writeFileSync(passwordFile, `${truststorePassword}\n`, { mode: 0o600 });
  }
  return {
    dir,
    caPem,
    certPem,
    keyPem,
    caLocation: file('ca.pem'),
    jksLocation,
    pkcs12Location,
    truststorePassword,
  };
}
