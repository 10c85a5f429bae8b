import {
  createIamTokenProvider,
  defaultMskIamSigner,
  KafkaUnavailableError,
  type MskIamSigner,
} from '../../../functions/lib/kafka/index.ts';
import { rejection } from './helpers.ts';

function countingSigner(
  expiresInMs = 900_000,
  clock: () => number = Date.now,
): { signer: MskIamSigner; calls: { region: string }[] } {
  const calls: { region: string }[] = [];
  const signer: MskIamSigner = async (options) => {
    calls.push(options);
    return { token: `token-${calls.length}`, expiryTime: clock() + expiresInMs };
  };
  return { signer, calls };
}

describe('createIamTokenProvider', () => {
  it('signs for the configured region', async () => {
    const { signer, calls } = countingSigner();
    await expect(createIamTokenProvider('eu-west-1', { signer })()).resolves.toBe('token-1');
    expect(calls).toEqual([{ region: 'eu-west-1' }]);
  });

  it('signs once for concurrent requests (one per broker connection)', async () => {
    const { signer, calls } = countingSigner();
    const token = createIamTokenProvider('eu-west-1', { signer });
    await expect(Promise.all([token(), token(), token()])).resolves.toEqual(['token-1', 'token-1', 'token-1']);
    expect(calls).toHaveLength(1);
  });

  it('reuses a token for a minute, then signs a fresh one', async () => {
    let now = 1_000_000;
    const { signer, calls } = countingSigner(900_000, () => now);
    const token = createIamTokenProvider('eu-west-1', { signer, now: () => now });
    expect(await token()).toBe('token-1');
    now += 59_000;
    expect(await token()).toBe('token-1');
    now += 2_000;
    expect(await token()).toBe('token-2');
    expect(calls).toHaveLength(2);
  });

  it('does not reuse a token that is about to expire', async () => {
    let now = 1_000_000;
    const { signer, calls } = countingSigner(30_000, () => now);
    const token = createIamTokenProvider('eu-west-1', { signer, now: () => now });
    await token();
    now += 1_000;
    await token();
    expect(calls).toHaveLength(2);
  });

  it('reports a signer failure as KafkaUnavailableError (credentials) and tries again next time', async () => {
    let fail = true;
    const signer: MskIamSigner = async () => {
      if (fail) throw new Error('Could not load credentials from any providers');
      return { token: 'ok', expiryTime: Date.now() + 900_000 };
    };
    const token = createIamTokenProvider('eu-west-1', { signer });
    const error = await rejection(token());
    expect(error).toBeInstanceOf(KafkaUnavailableError);
    expect((error as KafkaUnavailableError).reason).toBe('credentials');
    expect(error.message).toBe(
      'Cannot sign an MSK IAM auth token for eu-west-1: Could not load credentials from any providers',
    );
    fail = false;
    await expect(token()).resolves.toBe('ok');
  });

  it('rejects a signer result without a token', async () => {
    const signer = (async () => ({ expiryTime: 0 })) as unknown as MskIamSigner;
    const error = await rejection(createIamTokenProvider('eu-west-1', { signer })());
    expect(error.message).toContain('the signer returned no token');
  });
});

describe('defaultMskIamSigner', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('produces a presigned kafka-cluster:Connect URL with the aws-msk-iam-sasl-signer-js package, offline', async () => {
    // Static, fake credentials from the environment: signing is local, nothing is sent anywhere.
    process.env = {
      ...saved,
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    };
    delete process.env['AWS_PROFILE'];
    delete process.env['AWS_SESSION_TOKEN'];
    const { token, expiryTime } = await defaultMskIamSigner({ region: 'eu-west-1' });
    const url = new URL(Buffer.from(token, 'base64url').toString('utf8'));
    expect(url.hostname).toBe('kafka.eu-west-1.amazonaws.com');
    expect(url.searchParams.get('Action')).toBe('kafka-cluster:Connect');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(
      /^AKIDEXAMPLE\/\d{8}\/eu-west-1\/kafka-cluster\/aws4_request$/,
    );
    expect(expiryTime).toBeGreaterThan(Date.now());
  });
});
