/**
 * Event source mappings survive a restart of the endpoint: the mapping is read back from the
 * data directory, its poller resumes from the committed offsets of its consumer group, and
 * nothing is delivered twice or skipped.
 */
import { CreateEventSourceMappingCommand, GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { SelfManagedKafkaEvent } from 'aws-lambda';
import { createAdmin, createClusterConnection, createEventProducer } from '../../../../functions/lib/kafka/index.ts';
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import { startLocalAws, type LocalAws } from '../../../../local/aws/index.ts';
import { tempDir } from '../unit/helpers.ts';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };

async function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('event source mapping across an endpoint restart', () => {
  let dir: ReturnType<typeof tempDir>;
  let cluster: DevCluster;
  let aws: LocalAws | undefined;
  const delivered: string[] = [];
  const invoke = async (_name: string, event: unknown): Promise<null> => {
    for (const records of Object.values((event as SelfManagedKafkaEvent).records)) {
      for (const r of records) delivered.push(Buffer.from(r.value, 'base64').toString());
    }
    return null;
  };

  beforeAll(async () => {
    dir = tempDir('esm-restart-');
    cluster = await startCluster({ brokers: 2 });
  });
  afterAll(async () => {
    await aws?.close();
    await cluster?.close();
    dir?.remove();
  });

  async function produce(from: number, count: number): Promise<void> {
    const producer = createEventProducer(createClusterConnection({ brokers: cluster.brokers, auth: 'none' }));
    await producer.send(
      'restart-topic',
      Array.from({ length: count }, (_, i) => ({ key: `k${(from + i) % 50}`, value: `m${from + i}` })),
    );
    await producer.close();
  }

  it('resumes from the committed offsets after a restart without duplicates or gaps', async () => {
    const admin = await createAdmin(createClusterConnection({ brokers: cluster.brokers, auth: 'none' }));
    await admin.createTopics({ topics: ['restart-topic'], partitions: 3, replicas: 2 });
    await admin.close();
    await produce(0, 2000);

    aws = await startLocalAws({ port: 0, dataDir: dir.path, invoke });
    const lambda = new LambdaClient({ endpoint: aws.url, region: 'us-east-1', credentials });
    const { UUID } = await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: 'recorder',
        SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: cluster.brokers } },
        Topics: ['restart-topic'],
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 100,
        MaximumBatchingWindowInSeconds: 1,
      }),
    );
    lambda.destroy();
    await waitFor(() => delivered.length >= 2000, '2,000 records before the restart');
    await aws.close();
    aws = undefined;

    await produce(2000, 1000);
    aws = await startLocalAws({ port: 0, dataDir: dir.path, invoke });
    await waitFor(() => delivered.length >= 3000, '3,000 records after the restart');
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a re-delivery would show up within a window

    expect(delivered).toHaveLength(3000);
    expect(new Set(delivered).size).toBe(3000);
    const again = new LambdaClient({ endpoint: aws.url, region: 'us-east-1', credentials });
    const mapping = await again.send(new GetEventSourceMappingCommand({ UUID }));
    again.destroy();
    expect(mapping).toMatchObject({ State: 'Enabled', LastProcessingResult: 'OK', BatchSize: 100 });
  });
});
