import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  createClusterConnection,
  KafkaConfigError,
  KafkaUnavailableError,
  parseClusterConfig,
  resolveConnectionOptions,
  type MskIamSigner,
} from '../../../functions/lib/kafka/index.ts';
import { FIXTURE_PASSWORD, fixture, rejection } from './helpers.ts';

const secrets = mockClient(SecretsManagerClient);
const secretsManager = new SecretsManagerClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
});

describe('resolveConnectionOptions', () => {
  beforeEach(() => secrets.reset());

  it('gives PLAINTEXT clients the brokers and nothing else', async () => {
    const conn = parseClusterConfig({ KAFKA_BROKERS: 'a:9092,b:9092' });
    await expect(resolveConnectionOptions(conn)).resolves.toEqual({ bootstrapBrokers: ['a:9092', 'b:9092'] });
  });

  it('turns TLS on with the default roots when no CA is configured', async () => {
    const conn = parseClusterConfig({ KAFKA_BROKERS: 'a:9094', KAFKA_SECURITY_PROTOCOL: 'SSL' });
    await expect(resolveConnectionOptions(conn)).resolves.toEqual({ bootstrapBrokers: ['a:9094'], tls: {} });
  });

  it('passes the truststore certificates as the TLS ca', async () => {
    const conn = parseClusterConfig({
      KAFKA_BROKERS: 'a:9094',
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_TRUSTSTORE_LOCATION: fixture('truststore.jks'),
      KAFKA_TRUSTSTORE_PASSWORD: FIXTURE_PASSWORD,
    });
    const options = await resolveConnectionOptions(conn);
    const expected = ['ca.pem', 'ca-ec.pem'].map((f) => new X509Certificate(readFileSync(fixture(f))).toString());
    expect(options.tls?.ca).toEqual(expect.arrayContaining(expected));
    expect(options.tls?.ca).toHaveLength(2);
  });

  it('fails with the truststore password property when the password is wrong', async () => {
    const conn = parseClusterConfig({
      KAFKA_BROKERS: 'a:9094',
      KAFKA_SECURITY_PROTOCOL: 'SSL',
      KAFKA_TRUSTSTORE_LOCATION: fixture('truststore.jks'),
      KAFKA_TRUSTSTORE_PASSWORD: 'nope',
    });
    const error = await rejection(resolveConnectionOptions(conn));
    expect(error).toBeInstanceOf(KafkaConfigError);
    expect((error as KafkaConfigError).property).toBe('KAFKA_TRUSTSTORE_PASSWORD');
  });

  it('configures SCRAM-SHA-512 with the credentials of the secret', async () => {
    secrets
      .on(GetSecretValueCommand, { SecretId: 'AmazonMSK_demo' })
      .resolves({ SecretString: '{"username":"bob","password":"bob-pass"}' });
    const conn = createClusterConnection({
      brokers: ['a:9096'],
      auth: 'scram',
      scramSecretArn: 'AmazonMSK_demo',
    });
    await expect(resolveConnectionOptions(conn, { secretsManager })).resolves.toEqual({
      bootstrapBrokers: ['a:9096'],
      tls: {},
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'bob', password: 'bob-pass' },
    });
  });

  it('names the property the secret came from when the secret is malformed', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{"user":"bob"}' });
    const conn = createClusterConnection({
      brokers: ['a:9096'],
      auth: 'scram',
      scramSecretArn: 'AmazonMSK_demo',
    });
    const error = await rejection(resolveConnectionOptions(conn, { secretsManager }));
    expect(error).toBeInstanceOf(KafkaConfigError);
    expect(error.message).toMatch(/^scramSecretArn: secret 'AmazonMSK_demo' has no non-empty string "username"/);
  });

  it('configures OAUTHBEARER with a token provider backed by the signer for IAM', async () => {
    const calls: string[] = [];
    const iamSigner: MskIamSigner = async ({ region }) => {
      calls.push(region);
      return { token: `signed-for-${region}`, expiryTime: Date.now() + 900_000 };
    };
    const conn = parseClusterConfig({
      KAFKA_BROKERS: 'b-1.x.y.c2.kafka.us-west-2.amazonaws.com:9098',
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'AWS_MSK_IAM',
    });
    const options = await resolveConnectionOptions(conn, { iamSigner });
    expect(options.tls).toEqual({});
    expect(options.sasl?.mechanism).toBe('OAUTHBEARER');
    expect(typeof options.sasl?.token).toBe('function');
    const provider = options.sasl?.token as () => Promise<string>;
    await expect(provider()).resolves.toBe('signed-for-us-west-2');
    // Signed once eagerly at resolution, then reused by the provider.
    expect(calls).toEqual(['us-west-2']);
  });

  it('fails at resolution, not on the wire, when IAM signing is impossible', async () => {
    const iamSigner: MskIamSigner = async () => {
      throw new Error('Could not load credentials from any providers');
    };
    const conn = createClusterConnection({ brokers: ['a:9098'], auth: 'iam', region: 'eu-west-1' });
    const error = await rejection(resolveConnectionOptions(conn, { iamSigner }));
    expect(error).toBeInstanceOf(KafkaUnavailableError);
    expect((error as KafkaUnavailableError).reason).toBe('credentials');
  });
});
