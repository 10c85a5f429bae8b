/**
 * The pollers' Kafka source (kafkajs) against the dev brokers over every listener the local stack
 * serves: PLAINTEXT, TLS with the local CA, SASL/SCRAM with the credentials read from the local
 * Secrets Manager, and MSK IAM (OAUTHBEARER, a token signed by aws-msk-iam-sasl-signer-js with the
 * stack's keys). Records arrive in partition order with keys and headers, a reopened source resumes
 * at the committed offsets, and bad credentials fail instead of consuming.
 */
import { Kafka, logLevel } from 'kafkajs';
import { startLocalAws, type LocalAws } from '../../../../local/aws/index.ts';
import {
  openKafkaSource,
  type KafkaSource,
  type SourceRecord,
  type SourceSecurity,
} from '../../../../local/aws/lambda/kafka-source.ts';
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import { waitFor } from '../../kafka/integration/helpers.ts';
import { tempDir } from '../unit/helpers.ts';

const KEYS = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };
const PARTITIONS = 3;
const PER_PARTITION = 10;

interface Opened {
  source: KafkaSource;
  records: SourceRecord[];
  assigned: number[];
  errors: Error[];
}

describe('Kafka source of the event source mappings (kafkajs)', () => {
  let cluster: DevCluster;
  let aws: LocalAws;
  let dir: ReturnType<typeof tempDir>;
  let scramSecretArn = '';
  let wrongSecretArn = '';
  const saved = { ...process.env };
  const sources: KafkaSource[] = [];

  const securityFor = (auth: SourceSecurity['auth']): { brokers: string[]; security: SourceSecurity } => {
    const ca = { caPem: cluster.tls?.caPem ?? '' };
    if (auth === 'none') return { brokers: [...cluster.brokers], security: { auth } };
    const brokers = (cluster.listeners[auth] ?? '').split(',');
    if (auth === 'scram') return { brokers, security: { auth, ...ca, scramSecretArn } };
    if (auth === 'iam') return { brokers, security: { auth, ...ca, region: 'us-east-1' } };
    return { brokers, security: { auth, ...ca } };
  };

  async function open(
    topic: string,
    groupId: string,
    auth: SourceSecurity['auth'],
    overrides: Partial<SourceSecurity> = {},
  ): Promise<Opened> {
    const { brokers, security } = securityFor(auth);
    const opened: Opened = { source: undefined as never, records: [], assigned: [], errors: [] };
    opened.source = await openKafkaSource(
      {
        brokers,
        security: { ...security, ...overrides },
        groupId,
        topic,
        startingPosition: 'TRIM_HORIZON',
        clientId: `test-${groupId}`,
      },
      {
        onRecord: (r) => opened.records.push(r),
        onAssignment: (tps) => (opened.assigned = tps.map((tp) => tp.partition).sort()),
        onError: (e) => opened.errors.push(e),
      },
    );
    sources.push(opened.source);
    return opened;
  }

  async function produce(topic: string, from: number): Promise<void> {
    const producer = new Kafka({ brokers: [...cluster.brokers], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const messages = Array.from({ length: PARTITIONS * PER_PARTITION }, (_, i) => ({
      partition: i % PARTITIONS,
      key: `k${from + i}`,
      value: `v${from + i}`,
      headers: { seq: String(from + i) },
    }));
    await producer.send({ topic, messages });
    await producer.disconnect();
  }

  beforeAll(async () => {
    dir = tempDir('kafka-source-');
    cluster = await startCluster({
      brokers: 2,
      port: 0,
      numPartitions: PARTITIONS,
      listeners: { tls: { port: 0 }, scram: { port: 0 }, iam: { port: 0 } },
      scramUsers: { alice: 'alice-secret' },
      iamCredentials: [KEYS],
    });
    aws = await startLocalAws({
      port: 0,
      dataDir: dir.path,
      region: 'us-east-1',
      kafka: { brokers: cluster.brokers },
      invoke: async () => ({}),
    });
    scramSecretArn = aws.secretsManager.ensure('AmazonMSK_alice', () =>
      JSON.stringify({ username: 'alice', password: 'alice-secret' }),
    ).arn;
    wrongSecretArn = aws.secretsManager.ensure('AmazonMSK_wrong', () =>
      JSON.stringify({ username: 'alice', password: 'not-the-password' }),
    ).arn;
    // What the stack sets for the functions and its own clients: the endpoint, region and keys.
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: aws.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: KEYS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey,
    });
  });

  afterEach(async () => {
    await Promise.all(sources.splice(0).map((s) => s.close()));
  });

  afterAll(async () => {
    process.env = saved;
    await aws?.close();
    await cluster?.close();
    dir?.remove();
  });

  it.each(['none', 'tls', 'scram', 'iam'] as const)(
    'consumes over %s in partition order and resumes at the committed offsets',
    async (auth) => {
      const topic = `source-${auth}`;
      await produce(topic, 0);
      const first = await open(topic, `group-${auth}`, auth);
      await waitFor(() => first.records.length >= PARTITIONS * PER_PARTITION, `the records over ${auth}`);
      expect(first.errors).toEqual([]);
      expect(first.assigned).toEqual([0, 1, 2]);
      for (let p = 0; p < PARTITIONS; p++) {
        const mine = first.records.filter((r) => r.partition === p);
        expect(mine.map((r) => r.offset)).toEqual(Array.from({ length: PER_PARTITION }, (_, i) => BigInt(i)));
        expect(mine.map((r) => r.value?.toString())).toEqual(
          Array.from({ length: PER_PARTITION }, (_, i) => `v${i * PARTITIONS + p}`),
        );
      }
      const record = first.records.find((r) => r.value?.toString() === 'v4');
      expect(record?.key?.toString()).toBe('k4');
      expect(record?.headers.map(([k, v]) => [k.toString(), v.toString()])).toEqual([['seq', '4']]);
      expect(typeof record?.timestamp).toBe('bigint');

      // Partition 0 processed through offset 4, partitions 1 and 2 completely.
      await first.source.commit([
        { topic, partition: 0, offset: 5n, leaderEpoch: -1 },
        { topic, partition: 1, offset: BigInt(PER_PARTITION), leaderEpoch: -1 },
        { topic, partition: 2, offset: BigInt(PER_PARTITION), leaderEpoch: -1 },
      ]);
      await first.source.close();
      await produce(topic, 1000);
      const second = await open(topic, `group-${auth}`, auth);
      const expected = PER_PARTITION - 5 + PARTITIONS * PER_PARTITION;
      await waitFor(() => second.records.length >= expected, `the records after the committed offsets over ${auth}`);
      const firstOffsets = [0, 1, 2].map((p) => second.records.find((r) => r.partition === p)?.offset);
      expect(firstOffsets).toEqual([5n, BigInt(PER_PARTITION), BigInt(PER_PARTITION)]);
      expect(second.records).toHaveLength(expected);
    },
  );

  it('fails with a wrong SCRAM password instead of consuming', async () => {
    const failure = await open('source-wrong-scram', 'group-wrong-scram', 'scram', {
      scramSecretArn: wrongSecretArn,
    }).then(
      (o) => waitFor(() => o.errors.length > 0, 'the source error').then(() => o.errors[0]),
      (error: Error) => error,
    );
    expect(failure?.message).toMatch(/SASL SCRAM-SHA-512 authentication failed|authentication/i);
  });

  it('fails when the SCRAM secret does not exist', async () => {
    await expect(
      open('source-no-secret', 'group-no-secret', 'scram', { scramSecretArn: 'AmazonMSK_missing' }),
    ).rejects.toThrow(/Secrets Manager can't find the specified secret|ResourceNotFound/);
  });

  it('fails with IAM tokens signed by keys the cluster does not know', async () => {
    process.env.AWS_SECRET_ACCESS_KEY = 'wrong-secret';
    try {
      const failure = await open('source-wrong-iam', 'group-wrong-iam', 'iam').then(
        (o) => waitFor(() => o.errors.length > 0, 'the source error').then(() => o.errors[0]),
        (error: Error) => error,
      );
      expect(failure?.message).toMatch(/authentication|SASL/i);
    } finally {
      process.env.AWS_SECRET_ACCESS_KEY = KEYS.secretAccessKey;
    }
  });
});
