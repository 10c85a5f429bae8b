/**
 * The local MSK Connect through the unchanged SDK v3 client, with a real dev broker: custom
 * plugin and connector state transitions, and a RUNNING S3 sink connector writing the topic into
 * the local S3 tree by flush.size and by scheduled rotation, without loss across a delete.
 */
import {
  ConflictException,
  CreateConnectorCommand,
  CreateCustomPluginCommand,
  DeleteConnectorCommand,
  DeleteCustomPluginCommand,
  DescribeConnectorCommand,
  DescribeCustomPluginCommand,
  KafkaConnectClient,
  ListConnectorsCommand,
  ListCustomPluginsCommand,
  NotFoundException,
  type CreateConnectorRequest,
} from '@aws-sdk/client-kafkaconnect';
import { createAdmin, createClusterConnection } from '../../../../functions/lib/kafka/index.ts';
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import { useLocalAws } from '../../helpers/local-aws.ts';
import { quietKafka } from '../../kafka/integration/helpers.ts';
import { waitFor } from '../../../helpers/local-s3.ts';
import { readObjects } from '../unit/helpers.ts';

const T0 = Date.UTC(2026, 2, 4, 5, 6, 7);
const HOUR_PATH = 'year=2026/month=03/day=04/hour=05';

describe('local MSK Connect', () => {
  let cluster: DevCluster;
  let client: KafkaConnectClient;
  let pluginArn: string;

  beforeAll(async () => {
    cluster = await startCluster({ brokers: 1 });
  });
  const local = useLocalAws(
    () => ({
      kafka: { brokers: cluster.brokers },
      kafkaConnect: { pluginDelayMs: 50, connectorDelayMs: 100, deleteDelayMs: 50 },
    }),
    'kafkaconnect-',
  );
  afterAll(async () => {
    await cluster?.close();
  });
  beforeAll(() => {
    client = local.client(KafkaConnectClient);
  });

  async function produce(topic: string, from: number, count: number): Promise<void> {
    const admin = await createAdmin(createClusterConnection({ brokers: cluster.brokers, auth: 'none' }));
    await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 }).catch(() => undefined);
    await admin.close();
    const kafka = quietKafka(cluster.brokers, 'kafkaconnect-test');
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: count }, (_, i) => ({
      value: JSON.stringify({ event_id: `e${from + i}` }),
      timestamp: String(T0 + from + i),
    }));
    await producer.send({ topic, messages });
    await producer.disconnect();
  }

  /** Waits until describing a deleted resource answers NotFoundException. */
  const gone = (describe: () => Promise<unknown>, what: string) =>
    waitFor(
      async () =>
        describe().then(
          () => undefined,
          (e: unknown) => (e instanceof NotFoundException ? true : undefined),
        ),
      5_000,
      what,
    );

  const connectorRequest = (
    name: string,
    topic: string,
    bucket: string,
    extra: Record<string, string> = {},
  ): CreateConnectorRequest => ({
    connectorName: name,
    kafkaConnectVersion: '3.7.x',
    capacity: {
      autoScaling: {
        mcuCount: 1,
        minWorkerCount: 1,
        maxWorkerCount: 2,
        scaleInPolicy: { cpuUtilizationPercentage: 20 },
        scaleOutPolicy: { cpuUtilizationPercentage: 80 },
      },
    },
    connectorConfiguration: {
      'connector.class': 'io.confluent.connect.s3.S3SinkConnector',
      'tasks.max': '1',
      topics: topic,
      's3.region': 'us-east-1',
      's3.bucket.name': bucket,
      'topics.dir': 'events',
      'flush.size': '100',
      timezone: 'UTC',
      locale: 'en-US',
      'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
      'format.class': 'io.confluent.connect.s3.format.json.JsonFormat',
      's3.compression.type': 'gzip',
      'partitioner.class': 'io.confluent.connect.storage.partitioner.TimeBasedPartitioner',
      'path.format': "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH",
      'partition.duration.ms': '3600000',
      'timestamp.extractor': 'Record',
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
      ...extra,
    },
    kafkaCluster: {
      apacheKafkaCluster: {
        bootstrapServers: cluster.bootstrap,
        vpc: { subnets: ['subnet-00000000000000001'], securityGroups: ['sg-00000000000000001'] },
      },
    },
    kafkaClusterClientAuthentication: { authenticationType: 'NONE' },
    kafkaClusterEncryptionInTransit: { encryptionType: 'PLAINTEXT' },
    plugins: [{ customPlugin: { customPluginArn: pluginArn, revision: 1 } }],
    serviceExecutionRoleArn: 'arn:aws:iam::000000000000:role/connect',
  });

  const stateOf = async (arn: string) =>
    (await client.send(new DescribeConnectorCommand({ connectorArn: arn }))).connectorState;
  const until = (arn: string, state: string) =>
    waitFor(async () => ((await stateOf(arn)) === state ? true : undefined), 10_000, `connector ${state}`);
  const events = (bucket: string): string[] =>
    [...readObjects(local.aws.s3Dir, bucket).values()].flatMap((text) =>
      text
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l).event_id as string),
    );

  it('creates a custom plugin CREATING then ACTIVE, refuses its name twice, fails a faulty one, and deletes', async () => {
    const created = await client.send(
      new CreateCustomPluginCommand({
        name: 's3-sink',
        contentType: 'ZIP',
        location: {
          s3Location: {
            bucketArn: 'arn:aws:s3:::plugins',
            fileKey: 'confluentinc-kafka-connect-s3-10.5.0.zip',
          },
        },
      }),
    );
    pluginArn = created.customPluginArn!;
    expect(pluginArn).toMatch(/^arn:aws:kafkaconnect:us-east-1:000000000000:custom-plugin\/s3-sink\/[0-9a-f-]+-\d$/);
    expect(created).toMatchObject({ customPluginState: 'CREATING', name: 's3-sink', revision: 1 });
    await waitFor(
      async () =>
        (await client.send(new DescribeCustomPluginCommand({ customPluginArn: pluginArn }))).customPluginState ===
        'ACTIVE'
          ? true
          : undefined,
      5_000,
      'plugin ACTIVE',
    );
    const described = await client.send(new DescribeCustomPluginCommand({ customPluginArn: pluginArn }));
    expect(described.latestRevision?.location?.s3Location).toEqual({
      bucketArn: 'arn:aws:s3:::plugins',
      fileKey: 'confluentinc-kafka-connect-s3-10.5.0.zip',
    });
    expect(described.creationTime).toBeInstanceOf(Date);

    await expect(
      client.send(
        new CreateCustomPluginCommand({
          name: 's3-sink',
          contentType: 'ZIP',
          location: { s3Location: { bucketArn: 'arn:aws:s3:::plugins', fileKey: 'other.zip' } },
        }),
      ),
    ).rejects.toBeInstanceOf(ConflictException);

    const faulty = await client.send(
      new CreateCustomPluginCommand({
        name: 'broken',
        contentType: 'ZIP',
        location: { s3Location: { bucketArn: 'arn:aws:s3:::plugins', fileKey: 'plugins/fail-me.zip' } },
      }),
    );
    await waitFor(
      async () =>
        (await client.send(new DescribeCustomPluginCommand({ customPluginArn: faulty.customPluginArn })))
          .customPluginState === 'CREATE_FAILED'
          ? true
          : undefined,
      5_000,
      'plugin CREATE_FAILED',
    );
    expect(
      (await client.send(new ListCustomPluginsCommand({}))).customPlugins?.map(
        (p) => `${p.name}:${p.customPluginState}`,
      ),
    ).toEqual(['s3-sink:ACTIVE', 'broken:CREATE_FAILED']);
    expect(
      (await client.send(new DeleteCustomPluginCommand({ customPluginArn: faulty.customPluginArn }))).customPluginState,
    ).toBe('DELETING');
    await gone(
      () => client.send(new DescribeCustomPluginCommand({ customPluginArn: faulty.customPluginArn })),
      'plugin gone',
    );
  });

  it('runs an S3 sink connector that writes 1,000 records as 10 objects of flush.size 100', async () => {
    await produce('clicks-flush', 0, 1000);
    const created = await client.send(
      new CreateConnectorCommand(connectorRequest('sink-flush', 'clicks-flush', 'flush-bucket')),
    );
    expect(created.connectorState).toBe('CREATING');
    await expect(
      client.send(new CreateConnectorCommand(connectorRequest('sink-flush', 'clicks-flush', 'flush-bucket'))),
    ).rejects.toBeInstanceOf(ConflictException);
    await until(created.connectorArn!, 'RUNNING');
    const objects = await waitFor(
      async () => {
        const found = readObjects(local.aws.s3Dir, 'flush-bucket');
        return found.size >= 10 ? found : undefined;
      },
      15_000,
      '10 objects',
    );
    const expectedKeys = Array.from(
      { length: 10 },
      (_, i) => `events/clicks-flush/${HOUR_PATH}/clicks-flush+0+${String(i * 100).padStart(10, '0')}.json.gz`,
    );
    expect([...objects.keys()].sort()).toEqual(expectedKeys);
    for (const text of objects.values()) expect(text.split('\n').filter((l) => l !== '')).toHaveLength(100);
    expect(events('flush-bucket').sort()).toEqual(Array.from({ length: 1000 }, (_, i) => `e${i}`).sort());
    const described = await client.send(new DescribeConnectorCommand({ connectorArn: created.connectorArn }));
    expect(described.connectorConfiguration?.['flush.size']).toBe('100');
    expect(described.kafkaCluster?.apacheKafkaCluster?.bootstrapServers).toBe(cluster.bootstrap);
  });

  it('writes a partial object at the scheduled rotation when flush.size is never reached', async () => {
    await produce('clicks-rotate', 0, 50);
    const created = await client.send(
      new CreateConnectorCommand(
        connectorRequest('sink-rotate', 'clicks-rotate', 'rotate-bucket', {
          'flush.size': '100000',
          'rotate.schedule.interval.ms': '1000',
        }),
      ),
    );
    await until(created.connectorArn!, 'RUNNING');
    await waitFor(
      async () => (events('rotate-bucket').length === 50 ? true : undefined),
      10_000,
      '50 records by rotation',
    );
    const keys = [...readObjects(local.aws.s3Dir, 'rotate-bucket').keys()];
    expect(keys.length).toBeGreaterThanOrEqual(1);
    expect(keys.length).toBeLessThanOrEqual(2);
    expect(keys[0]).toBe(`events/clicks-rotate/${HOUR_PATH}/clicks-rotate+0+0000000000.json.gz`);
  });

  it('deletes a connector (DELETING, then gone) without losing its unwritten records: a new one re-reads them', async () => {
    await produce('clicks-delete', 0, 150);
    const first = await client.send(
      new CreateConnectorCommand(connectorRequest('sink-delete', 'clicks-delete', 'delete-bucket')),
    );
    await until(first.connectorArn!, 'RUNNING');
    await waitFor(
      async () => (readObjects(local.aws.s3Dir, 'delete-bucket').size === 1 ? true : undefined),
      10_000,
      'first object',
    );
    expect((await client.send(new DeleteConnectorCommand({ connectorArn: first.connectorArn }))).connectorState).toBe(
      'DELETING',
    );
    await gone(() => client.send(new DescribeConnectorCommand({ connectorArn: first.connectorArn })), 'connector gone');

    const second = await client.send(
      new CreateConnectorCommand(
        connectorRequest('sink-delete', 'clicks-delete', 'delete-bucket', { 'flush.size': '50' }),
      ),
    );
    await until(second.connectorArn!, 'RUNNING');
    await waitFor(
      async () => (readObjects(local.aws.s3Dir, 'delete-bucket').size === 2 ? true : undefined),
      10_000,
      'second object',
    );
    expect([...readObjects(local.aws.s3Dir, 'delete-bucket').keys()].sort()).toEqual([
      `events/clicks-delete/${HOUR_PATH}/clicks-delete+0+0000000000.json.gz`,
      `events/clicks-delete/${HOUR_PATH}/clicks-delete+0+0000000100.json.gz`,
    ]);
    expect(events('delete-bucket').sort()).toEqual(Array.from({ length: 150 }, (_, i) => `e${i}`).sort());
  });

  it('reports FAILED connectors: by the fault switch and for a connector class it does not run', async () => {
    const faults = await fetch(`${local.aws.url}/_local/kafkaconnect/faults`, {
      method: 'POST',
      body: JSON.stringify({ failNextConnectors: 1 }),
    });
    expect(await faults.json()).toEqual({ failNextPlugins: 0, failNextConnectors: 1 });
    const faulty = await client.send(
      new CreateConnectorCommand(connectorRequest('sink-faulty', 'clicks-flush', 'faulty-bucket')),
    );
    await until(faulty.connectorArn!, 'FAILED');
    const other = connectorRequest('jdbc', 'clicks-flush', 'faulty-bucket', {
      'connector.class': 'io.confluent.connect.jdbc.JdbcSinkConnector',
    });
    const jdbc = await client.send(new CreateConnectorCommand(other));
    await until(jdbc.connectorArn!, 'FAILED');
    const described = await client.send(new DescribeConnectorCommand({ connectorArn: jdbc.connectorArn }));
    expect(described.stateDescription?.message).toContain('io.confluent.connect.s3.S3SinkConnector only');
    const names = (await client.send(new ListConnectorsCommand({ connectorNamePrefix: 'sink-' }))).connectors?.map(
      (c) => c.connectorName,
    );
    expect(names).toEqual(expect.arrayContaining(['sink-flush', 'sink-rotate', 'sink-delete', 'sink-faulty']));
    expect(names).not.toContain('jdbc');
  });
});
