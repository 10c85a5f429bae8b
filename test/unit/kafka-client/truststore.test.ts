import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import {
  KafkaConfigError,
  loadTrustedCertificates,
  type TrustSource,
  type TruststoreType,
} from '../../../functions/lib/kafka/index.ts';
import { FIXTURE_PASSWORD, fixture, recordingLogger, rejection } from './helpers.ts';

const CA = new X509Certificate(readFileSync(fixture('ca.pem')));
const CA_EC = new X509Certificate(readFileSync(fixture('ca-ec.pem')));

function fileTrust(location: string, password?: string, type?: TruststoreType): TrustSource {
  return {
    kind: 'file',
    location,
    locationProperty: 'ssl.truststore.location',
    passwordProperty: 'ssl.truststore.password',
    ...(password !== undefined ? { password } : {}),
    ...(type ? { type } : {}),
  };
}

/** The fingerprints of what was loaded, so the test proves the exact certificates came through. */
function fingerprints(pems: string[]): string[] {
  return pems.map((pem) => new X509Certificate(pem).fingerprint256).sort();
}

const BOTH = [CA.fingerprint256, CA_EC.fingerprint256].sort();

async function expectConfigError(trust: TrustSource, property: string, text: string): Promise<KafkaConfigError> {
  const error = await rejection(loadTrustedCertificates(trust));
  expect(error).toBeInstanceOf(KafkaConfigError);
  expect((error as KafkaConfigError).property).toBe(property);
  expect(error.message).toContain(text);
  return error as KafkaConfigError;
}

describe('loadTrustedCertificates', () => {
  it('loads both CAs (RSA and EC) from a JKS truststore with its password', async () => {
    expect(
      fingerprints(await loadTrustedCertificates(fileTrust(fixture('truststore.jks'), FIXTURE_PASSWORD, 'JKS'))),
    ).toEqual(BOTH);
  });

  it('loads a JKS truststore without a password, warning that integrity is unchecked', async () => {
    const { logger, entries } = recordingLogger();
    expect(fingerprints(await loadTrustedCertificates(fileTrust(fixture('truststore.jks')), logger))).toEqual(BOTH);
    expect(entries).toEqual([
      expect.objectContaining({
        level: 'warn',
        message: expect.stringContaining('integrity is not verified'),
      }),
    ]);
  });

  it('rejects a wrong JKS password naming the password property', async () => {
    const error = await expectConfigError(
      fileTrust(fixture('truststore.jks'), 'wrong-password'),
      'ssl.truststore.password',
      'wrong password for JKS truststore',
    );
    expect(error.message).not.toContain('wrong-password');
  });

  it('loads a JDK 17 PKCS#12 truststore (AES-256, SHA-256 MAC) including the EC root, byte for byte', async () => {
    const pems = await loadTrustedCertificates(fileTrust(fixture('truststore.p12'), FIXTURE_PASSWORD, 'PKCS12'));
    expect(fingerprints(pems)).toEqual(BOTH);
    // The RSA CA goes through node-forge's certificate model and back: it must come out unchanged.
    expect(pems).toContain(CA.toString());
    expect(pems).toContain(CA_EC.toString());
  });

  it('loads a legacy PKCS#12 truststore (RC2-40, SHA-1 MAC)', async () => {
    expect(
      fingerprints(await loadTrustedCertificates(fileTrust(fixture('truststore-legacy.p12'), FIXTURE_PASSWORD))),
    ).toEqual(BOTH);
  });

  it('rejects a wrong PKCS#12 password naming the password property', async () => {
    await expectConfigError(
      fileTrust(fixture('truststore.p12'), 'wrong'),
      'ssl.truststore.password',
      'wrong password for PKCS#12 truststore',
    );
  });

  it('asks for the password of a protected PKCS#12 truststore when none was given', async () => {
    await expectConfigError(
      fileTrust(fixture('truststore.p12')),
      'ssl.truststore.password',
      'required: PKCS#12 truststore',
    );
  });

  it('goes by content when a .jks file declared JKS is PKCS#12, and warns', async () => {
    const { logger, entries } = recordingLogger();
    const pems = await loadTrustedCertificates(
      fileTrust(fixture('truststore-pkcs12-named.jks'), FIXTURE_PASSWORD, 'JKS'),
      logger,
    );
    expect(fingerprints(pems)).toEqual(BOTH);
    expect(entries).toEqual([
      expect.objectContaining({
        level: 'warn',
        extra: expect.objectContaining({ declared: 'JKS', detected: 'PKCS12' }),
      }),
    ]);
  });

  it('loads a PEM bundle file', async () => {
    const trust: TrustSource = {
      kind: 'file',
      location: fixture('ca-bundle.pem'),
      type: 'PEM',
      locationProperty: 'ssl.ca.location',
      passwordProperty: 'ssl.truststore.password',
    };
    expect(fingerprints(await loadTrustedCertificates(trust))).toEqual(BOTH);
  });

  it('loads inline PEM text', async () => {
    const trust: TrustSource = {
      kind: 'pem',
      pem: readFileSync(fixture('ca.pem'), 'utf8'),
      property: 'caPem',
    };
    expect(fingerprints(await loadTrustedCertificates(trust))).toEqual([CA.fingerprint256]);
  });

  it('rejects inline PEM whose certificate is corrupt, naming the property', async () => {
    const trust: TrustSource = {
      kind: 'pem',
      pem: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
      property: 'caPem',
    };
    const error = await rejection(loadTrustedCertificates(trust));
    expect(error).toBeInstanceOf(KafkaConfigError);
    expect(error.message).toBe('caPem: certificate #1 in caPem is not a valid X.509 certificate');
  });

  describe('broken files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-truststore-'));

    it.each<[name: string, file: string, content: string | Buffer, password: string | undefined, text: string]>([
      [
        'rejects a file that is no truststore, naming the location property',
        'notes.txt',
        'hello, this is not a truststore',
        FIXTURE_PASSWORD,
        'is not a PEM, JKS or PKCS#12 truststore',
      ],
      [
        'rejects a truncated JKS file as invalid, naming the location property',
        'truncated.jks',
        readFileSync(fixture('truststore.jks')).subarray(0, 100),
        FIXTURE_PASSWORD,
        'is not a valid JKS truststore',
      ],
      [
        'rejects a JCEKS keystore with the conversion hint',
        'store.jceks',
        Buffer.from([0xce, 0xce, 0xce, 0xce, 0, 0, 0, 2]),
        undefined,
        'keytool -importkeystore',
      ],
    ])('%s', async (_name, file, content, password, text) => {
      const path = join(dir, file);
      writeFileSync(path, content);
      await expectConfigError(fileTrust(path, password), 'ssl.truststore.location', text);
    });

    it('rejects a file that disappeared after validation', async () => {
      await expectConfigError(fileTrust(join(dir, 'gone.jks')), 'ssl.truststore.location', 'cannot read');
    });
  });
});
