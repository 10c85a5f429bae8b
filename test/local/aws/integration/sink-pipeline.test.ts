/**
 * Issue 4's integration test: 20,000 events produced to the dev broker reach the local S3 tree
 * exactly once, under the right partitions, through a local event source mapping (batch 500,
 * window 1 s) invoking the real sink handler, which writes to the local Firehose stream built
 * from resources/firehose.yml. Again with 30% injected per-record Firehose failures, and with
 * throttling. Nothing lost, nothing duplicated.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { CreateEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import type { SinkContainer } from '../../../../functions/sink/delivery-deps.ts';
import { createSinkHandler } from '../../../../functions/sink/handler.ts';
import { createAdmin, createClusterConnection, createEventProducer } from '../../../../functions/lib/kafka/index.ts';
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import type { LocalAws } from '../../../../local/aws/index.ts';
import { useLocalAws } from '../../helpers/local-aws.ts';
import { readObjects } from '../unit/helpers.ts';
import { streamFromResource } from '../../../helpers/firehose-stream.ts';

const EVENTS = 20_000;
const APPS = ['app-a', 'app-b', 'app-c', 'app-d'];
/** Three ingest hours across a day and month boundary. */
const HOURS = [Date.UTC(2026, 0, 31, 22), Date.UTC(2026, 0, 31, 23), Date.UTC(2026, 1, 1, 0)];
const MSK_ARN = 'arn:aws:kafka:us-east-1:123456789012:cluster/dev/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0-1';

interface Event {
  event_id: string;
  app_id: string;
  ingest_time: number;
  event_type: string;
  timestamp: number;
  user_id: string;
}

function events(scenario: string): Event[] {
  return Array.from({ length: EVENTS }, (_, i) => {
    const ingest = (HOURS[i % HOURS.length] as number) + ((i * 7919) % 3_600_000);
    return {
      event_id: `${scenario}-${i}`,
      app_id: APPS[i % APPS.length] as string,
      ingest_time: ingest,
      event_type: 'page_view',
      timestamp: ingest - 250,
      user_id: `user-${i % 500}`,
    };
  });
}

/** The partition path resources/firehose.yml gives an event. */
function expectedPrefix(e: Event): string {
  const d = new Date(e.ingest_time);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `events/app_id=${e.app_id}/year=${d.getUTCFullYear()}/month=${p(d.getUTCMonth() + 1)}/day=${p(d.getUTCDate())}/hour=${p(d.getUTCHours())}/`;
}

async function waitFor(check: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

describe('Kafka → event source mapping → sink → Firehose → local S3', () => {
  let cluster: DevCluster;
  let firehose: FirehoseClient;
  let lambda: LambdaClient;
  let s3: S3Client;
  const sinks = new Map<string, (event: unknown, context: Context) => Promise<unknown>>();

  beforeAll(async () => {
    cluster = await startCluster({ brokers: 2 });
  });
  const local = useLocalAws(
    () => ({
      kafka: { brokers: cluster.brokers },
      functions: {
        'sink-clean': { timeoutSeconds: 30 },
        'sink-failures': { timeoutSeconds: 30 },
        'sink-throttled': { timeoutSeconds: 30 },
      },
      invoke: async (name, event, context) => {
        const sink = sinks.get(name);
        if (!sink) throw new Error(`no function ${name}`);
        return sink(event, context);
      },
    }),
    'sink-pipeline-',
  );
  afterAll(async () => {
    await cluster?.close();
  });
  beforeAll(() => {
    firehose = local.client(FirehoseClient);
    // the SDK's default retries for Lambda's control plane
    lambda = local.client(LambdaClient, { maxAttempts: 3 });
    // Dead letters (none expected) would land in the bucket under errors/sink/ and fail the key checks.
    s3 = local.client(S3Client, { forcePathStyle: true });
  });

  async function runScenario(scenario: string, withFaults: () => void): Promise<void> {
    const topic = `clicks-${scenario}`;
    const bucket = `bucket-${scenario}`;
    const stream = `events-${scenario}`;
    const fn = `sink-${scenario}`;
    const produced = events(scenario);

    const conn = createClusterConnection({ brokers: cluster.brokers, auth: 'none' });
    const admin = await createAdmin(conn);
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 2 });
    await admin.close();
    const producer = createEventProducer(conn, { timeoutMs: 20_000 });
    for (let i = 0; i < produced.length; i += 2000) {
      await producer.send(
        topic,
        produced.slice(i, i + 2000).map((e) => ({ key: `${e.app_id}:${e.user_id}`, value: JSON.stringify(e) })),
      );
    }
    await producer.close();

    await firehose.send(streamFromResource(stream, bucket));
    const deps: SinkContainer = {
      firehose,
      s3,
      streamName: stream,
      deadLetterBucket: bucket,
      deadLetterPrefix: 'errors/sink/',
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      random: Math.random,
      now: Date.now,
      log: silent,
      safetyMarginMs: 1_000,
      retryBaseDelayMs: 5,
      retryMaxDelayMs: 50,
      requestTimeoutMs: 5_000,
    };
    sinks.set(
      fn,
      createSinkHandler(() => deps),
    );

    const before = local.aws.firehose.faults().stats;
    withFaults();
    const mapping = await lambda.send(
      new CreateEventSourceMappingCommand({
        FunctionName: fn,
        EventSourceArn: MSK_ARN,
        Topics: [topic],
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: 500,
        MaximumBatchingWindowInSeconds: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: `sink-${scenario}` },
      }),
    );
    const uuid = mapping.UUID ?? '';
    await waitFor(
      () => (local.aws.eventSourceMappings.stats(uuid)?.recordsProcessed ?? 0) >= EVENTS,
      `${EVENTS} records processed (${scenario})`,
      45_000,
    );
    const stats = local.aws.eventSourceMappings.stats(uuid);
    const after = local.aws.firehose.faults().stats;
    local.aws.firehose.resetFaults();
    local.aws.firehose.flush(stream);

    // Every event exactly once, in the object of its partition, and nothing in an error prefix.
    const seen = new Map<string, string>();
    let duplicates = 0;
    for (const [key, content] of readObjects(local.aws.s3Dir, bucket)) {
      expect(key.startsWith('events/')).toBe(true);
      for (const line of content.split('\n').filter((l) => l !== '')) {
        const e = JSON.parse(line) as Event;
        if (seen.has(e.event_id)) duplicates += 1;
        seen.set(e.event_id, key);
        expect(key.startsWith(expectedPrefix(e))).toBe(true);
      }
    }
    expect(duplicates).toBe(0);
    expect(seen.size).toBe(EVENTS);
    expect(produced.every((e) => seen.has(e.event_id))).toBe(true);
    expect(stats).toMatchObject({ recordsProcessed: EVENTS, recordsDiscarded: 0, functionErrors: 0 });
    // 4 apps × 3 hours = 12 partitions, all present.
    expect(new Set([...seen.values()].map((k) => k.replace(/[^/]+$/, ''))).size).toBe(12);
    return void Object.assign(lastRun, { before, after, stats });
  }

  const lastRun: {
    before?: ReturnType<LocalAws['firehose']['faults']>['stats'];
    after?: ReturnType<LocalAws['firehose']['faults']>['stats'];
  } = {};

  it('delivers 20,000 events exactly once under their partitions', async () => {
    await runScenario('clean', () => undefined);
    expect(lastRun.after!.failedRecords - lastRun.before!.failedRecords).toBe(0);
  });

  it('delivers them exactly once with 30% of Firehose entries failing', async () => {
    await runScenario('failures', () => local.aws.firehose.setFailureRate(0.3));
    // The faults really happened: about 30% of the entries of every put failed and were resent.
    expect(lastRun.after!.failedRecords - lastRun.before!.failedRecords).toBeGreaterThanOrEqual(
      Math.floor(EVENTS * 0.3),
    );
  });

  it('delivers them exactly once while Firehose throttles every third call', async () => {
    await runScenario('throttled', () => local.aws.firehose.setThrottle({ everyNth: 3 }));
    expect(lastRun.after!.throttledCalls - lastRun.before!.throttledCalls).toBeGreaterThanOrEqual(10);
  });
});
