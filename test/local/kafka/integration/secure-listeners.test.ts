/**
 * The dev broker's secured listeners (TLS, SASL_SSL SCRAM-SHA-512, SASL_SSL OAUTHBEARER with MSK
 * IAM tokens) against two independent clients: the project's Kafka module (@platformatic/kafka
 * behind functions/lib/kafka, with its truststore loader, SCRAM secret reader and the real
 * aws-msk-iam-sasl-signer-js) and kafkajs. kcat is in kcat.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateAuthTokenFromCredentialsProvider } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, logLevel, type KafkaConfig } from 'kafkajs';
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import { latestOffsetsOf } from './helpers.ts';
import {
  createAdmin,
  createClusterConnection,
  createEventProducer,
  parseClusterConfig,
  KafkaUnavailableError,
  type ClusterDescription,
  type ConfigSource,
  type MskIamSigner,
} from '../../../../functions/lib/kafka/index.ts';
import { errorChain, rootMessage } from '../../../../functions/lib/kafka/errors.ts';

const USER = 'alice';
const PASSWORD = 'alice-secret';
const REGION = 'us-east-1';
const FIXTURES = fileURLToPath(new URL('../../../fixtures/tls/', import.meta.url));

/** The real MSK signer with explicit keys (the default chain would read the environment). */
const signerWith =
  (accessKeyId: string, secretAccessKey: string): MskIamSigner =>
  (options) =>
    generateAuthTokenFromCredentialsProvider({
      region: options.region,
      awsCredentialsProvider: async () => ({ accessKeyId, secretAccessKey }),
    });

/** A Secrets Manager that holds one MSK-style secret (the SDK client is not what is tested here). */
const secretsWith = (username: string, password: string) =>
  ({
    send: async () => ({ SecretString: JSON.stringify({ username, password }) }),
  }) as unknown as SecretsManagerClient;

/** Every message in the error's cause chain, and the root message the pipelines report. */
const errorText = (error: unknown): string =>
  [...errorChain(error).map((e) => (e instanceof Error ? e.message : String(e))), rootMessage(error)].join(' | ');

describe('dev broker secured listeners', () => {
  let cluster: DevCluster;
  let clockOffsetMs = 0;

  beforeAll(async () => {
    cluster = await startCluster({
      brokers: 2,
      port: 0,
      listeners: { tls: { port: 0 }, scram: { port: 0 }, iam: { port: 0 } },
      scramUsers: { [USER]: PASSWORD },
      iamCredentials: [{ accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' }],
      iamClock: () => Date.now() + clockOffsetMs,
    });
  }, 30_000);

  afterAll(async () => {
    await cluster?.close();
  });

  const ports = (bootstrap: string | undefined): number[] =>
    (bootstrap ?? '')
      .split(',')
      .map((b) => Number(b.split(':')[1]))
      .sort();

  /** Produces through the project's producer, then reads the topic's metadata through its admin client. */
  async function roundTrip(
    description: ClusterDescription,
    deps: Parameters<typeof createAdmin>[1],
    topic: string,
  ): Promise<number[]> {
    const conn = createClusterConnection(description);
    const admin = await createAdmin(conn, { ...deps, timeoutMs: 15_000, retries: 0 });
    try {
      await admin.createTopics({ topics: [topic], partitions: 2, replicas: 2 });
      const producer = createEventProducer(conn, { ...deps, autocreateTopics: false, timeoutMs: 15_000 });
      try {
        await producer.send(topic, [{ key: 'k', value: JSON.stringify({ topic }), headers: {} }]);
      } finally {
        await producer.close();
      }
      const offsets = await admin.listOffsets(latestOffsetsOf(topic, 2));
      const written = offsets.flatMap((t) => t.partitions).reduce((n, p) => n + Number(p.offset), 0);
      expect(written).toBe(1);
      const metadata = await admin.metadata({ topics: [] });
      return [...metadata.brokers.values()].map((b) => b.port).sort();
    } finally {
      await admin.close();
    }
  }

  describe('the project client (@platformatic/kafka via functions/lib/kafka)', () => {
    it('works over TLS with the CA as PEM, and Metadata advertises the TLS ports', async () => {
      const advertised = await roundTrip(
        { brokers: cluster.listeners.tls!.split(','), auth: 'tls', caPem: cluster.tls!.caPem },
        {},
        'tls-pem',
      );
      expect(advertised).toEqual(ports(cluster.listeners.tls));
    });

    it('works over TLS with the JKS truststore and its password (ssl.truststore.* properties)', async () => {
      const source: ConfigSource = {
        'bootstrap.servers': cluster.listeners.tls,
        'security.protocol': 'SSL',
        'ssl.truststore.location': cluster.tls!.jksLocation,
        'ssl.truststore.password': cluster.tls!.truststorePassword,
        'ssl.truststore.type': 'JKS',
      };
      const conn = parseClusterConfig(source);
      const admin = await createAdmin(conn, { timeoutMs: 15_000 });
      try {
        await admin.createTopics({ topics: ['tls-jks'], partitions: 1, replicas: 2 });
      } finally {
        await admin.close();
      }
      const producer = createEventProducer(conn, { autocreateTopics: false, timeoutMs: 15_000 });
      try {
        await producer.send('tls-jks', [{ key: 'k', value: '{}', headers: {} }]);
      } finally {
        await producer.close();
      }
    });

    it('works over TLS with the PKCS#12 truststore', async () => {
      const advertised = await roundTrip(
        {
          brokers: cluster.listeners.tls!.split(','),
          auth: 'tls',
          truststore: {
            location: cluster.tls!.pkcs12Location,
            password: cluster.tls!.truststorePassword,
            type: 'PKCS12',
          },
        },
        {},
        'tls-p12',
      );
      expect(advertised).toEqual(ports(cluster.listeners.tls));
    });

    it('refuses a broker certificate from another CA with a TLS error', async () => {
      const caPem = readFileSync(join(FIXTURES, 'untrusted-ca.pem'), 'utf8');
      const admin = await createAdmin(
        createClusterConnection({ brokers: cluster.listeners.tls!.split(','), auth: 'tls', caPem }),
        { timeoutMs: 15_000, retries: 0 },
      );
      const failure = await admin.metadata({ topics: [] }).then(
        () => undefined,
        (e: unknown) => e,
      );
      await admin.close();
      expect(errorText(failure)).toMatch(/self[- ]signed certificate in certificate chain|unable to (get|verify)/i);
    });

    it('authenticates with SCRAM-SHA-512 from the secret, and Metadata advertises the SCRAM ports', async () => {
      const advertised = await roundTrip(
        {
          brokers: cluster.listeners.scram!.split(','),
          auth: 'scram',
          caPem: cluster.tls!.caPem,
          scramSecretArn: 'AmazonMSK_alice',
        },
        { secretsManager: secretsWith(USER, PASSWORD) },
        'scram-ok',
      );
      expect(advertised).toEqual(ports(cluster.listeners.scram));
    });

    it('is refused with SASL_AUTHENTICATION_FAILED when the password is wrong', async () => {
      const conn = createClusterConnection({
        brokers: cluster.listeners.scram!.split(','),
        auth: 'scram',
        caPem: cluster.tls!.caPem,
        scramSecretArn: 'AmazonMSK_alice',
      });
      const producer = createEventProducer(conn, {
        secretsManager: secretsWith(USER, 'not-the-password'),
        autocreateTopics: true,
        timeoutMs: 15_000,
      });
      const failure = await producer.send('scram-wrong', [{ key: 'k', value: '{}', headers: {} }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      await producer.close();
      expect(failure).toBeInstanceOf(KafkaUnavailableError);
      expect((failure as KafkaUnavailableError).reason).toBe('authentication');
      expect(errorText(failure)).toMatch(/invalid credentials with SASL mechanism SCRAM-SHA-512/);
    });

    it('authenticates with an MSK IAM token from aws-msk-iam-sasl-signer-js, and Metadata advertises the IAM ports', async () => {
      const advertised = await roundTrip(
        {
          brokers: cluster.listeners.iam!.split(','),
          auth: 'iam',
          caPem: cluster.tls!.caPem,
          region: REGION,
        },
        { iamSigner: signerWith('AKIDLOCAL', 'local-secret') },
        'iam-ok',
      );
      expect(advertised).toEqual(ports(cluster.listeners.iam));
    });

    /** A produce over the IAM listener signed with `secretAccessKey`: the error it ends with. */
    async function iamProduceFailure(topic: string, secretAccessKey: string): Promise<unknown> {
      const conn = createClusterConnection({
        brokers: cluster.listeners.iam!.split(','),
        auth: 'iam',
        caPem: cluster.tls!.caPem,
        region: REGION,
      });
      const producer = createEventProducer(conn, {
        iamSigner: signerWith('AKIDLOCAL', secretAccessKey),
        autocreateTopics: true,
        timeoutMs: 15_000,
      });
      const failure = await producer.send(topic, [{ key: 'k', value: '{}', headers: {} }]).then(
        () => undefined,
        (e: unknown) => e,
      );
      await producer.close();
      return failure;
    }

    it('is refused when the IAM token is signed with the wrong secret key', async () => {
      const failure = await iamProduceFailure('iam-bad', 'wrong-secret');
      expect((failure as KafkaUnavailableError).reason).toBe('authentication');
      expect(errorText(failure)).toMatch(/signature does not match/);
    });

    it('is refused when the IAM token has expired', async () => {
      clockOffsetMs = 16 * 60_000; // the broker's clock is past the token's 15 minutes
      try {
        const failure = await iamProduceFailure('iam-expired', 'local-secret');
        expect((failure as KafkaUnavailableError).reason).toBe('authentication');
        expect(errorText(failure)).toMatch(/MSK IAM token expired at/);
      } finally {
        clockOffsetMs = 0;
      }
    });
  });

  describe('kafkajs', () => {
    async function listTopics(config: Omit<KafkaConfig, 'logLevel'>): Promise<string[]> {
      const admin = new Kafka({
        ...config,
        logLevel: logLevel.NOTHING,
        retry: { retries: 0 },
        connectionTimeout: 10_000,
        requestTimeout: 15_000,
      }).admin();
      await admin.connect();
      try {
        return await admin.listTopics();
      } finally {
        await admin.disconnect();
      }
    }

    it('connects over TLS trusting the local CA', async () => {
      expect(
        await listTopics({ brokers: cluster.listeners.tls!.split(','), ssl: { ca: [cluster.tls!.caPem] } }),
      ).toEqual(expect.any(Array));
    });

    it('authenticates with SCRAM-SHA-512 and is refused with a wrong password', async () => {
      const base = { brokers: cluster.listeners.scram!.split(','), ssl: { ca: [cluster.tls!.caPem] } };
      expect(
        await listTopics({
          ...base,
          sasl: { mechanism: 'scram-sha-512', username: USER, password: PASSWORD },
        }),
      ).toEqual(expect.any(Array));
      await expect(
        listTopics({ ...base, sasl: { mechanism: 'scram-sha-512', username: USER, password: 'wrong' } }),
      ).rejects.toThrow(/SASL SCRAM SHA512 authentication failed|invalid credentials/i);
    });

    it('authenticates with OAUTHBEARER carrying an MSK IAM token', async () => {
      const oauthBearerProvider = async () => ({
        value: (await signerWith('AKIDLOCAL', 'local-secret')({ region: REGION })).token,
      });
      expect(
        await listTopics({
          brokers: cluster.listeners.iam!.split(','),
          ssl: { ca: [cluster.tls!.caPem] },
          sasl: { mechanism: 'oauthbearer', oauthBearerProvider },
        }),
      ).toEqual(expect.any(Array));
    });

    it('cannot use a SASL listener without authenticating', async () => {
      await expect(
        listTopics({ brokers: cluster.listeners.scram!.split(','), ssl: { ca: [cluster.tls!.caPem] } }),
      ).rejects.toThrow();
    });
  });
});
