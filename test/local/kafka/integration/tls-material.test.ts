/**
 * The dev cluster's TLS material checked by independent tools: the JDK's keytool reads both
 * truststores (and refuses a wrong password), openssl verifies the broker certificate against the
 * CA, and a restart keeps the CA (clients configured once keep working). keytool (JDK) and openssl
 * are on the build machines (test/fixtures/tls/generate.sh uses them too).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CA_ALIAS, ensureTlsMaterial } from '../../../../local/kafka/security/certificates.ts';

const run = promisify(execFile);

describe('dev cluster TLS material', () => {
  let dir: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'kafka-tls-material-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the CA across restarts and reissues nothing it does not need to', () => {
    const first = ensureTlsMaterial(dir, '127.0.0.1');
    const again = ensureTlsMaterial(dir, '127.0.0.1');
    expect(again.caPem).toBe(first.caPem);
    expect(again.certPem).toBe(first.certPem);
    expect(readFileSync(first.caLocation, 'utf8')).toBe(first.caPem);
    expect(first.truststorePassword).toBe('changeit');
  });

  it('has a broker certificate openssl verifies against the CA', async () => {
    const material = ensureTlsMaterial(dir, '127.0.0.1');
    const { stdout } = await run('openssl', ['verify', '-CAfile', material.caLocation, join(dir, 'broker.pem')]);
    expect(stdout).toMatch(/broker\.pem: OK/);
  });

  it('writes JKS and PKCS#12 truststores keytool lists with the CA as trusted entry, and refuses a wrong password', async () => {
    const material = ensureTlsMaterial(dir, '127.0.0.1');
    for (const [store, type] of [
      [material.jksLocation, 'JKS'],
      [material.pkcs12Location, 'PKCS12'],
    ] as const) {
      const { stdout } = await run('keytool', [
        '-list',
        '-keystore',
        store,
        '-storetype',
        type,
        '-storepass',
        material.truststorePassword,
      ]);
      expect(stdout).toMatch(new RegExp(`${CA_ALIAS}, .*trustedCertEntry`));
      await expect(
        run('keytool', ['-list', '-keystore', store, '-storetype', type, '-storepass', 'wrong-password']),
      ).rejects.toMatchObject({
        stdout: expect.stringMatching(/password was incorrect|integrity check failed/i),
      });
    }
  }, 60_000);
});
