/**
 * Faults of the AWS services under load: Firehose throttling and per-record failures, the
 * delivery stream missing for a minute, dead-letter writes failing, the pipelines registry down.
 * Every acknowledged event reaches S3 once the fault is gone.
 */
import { Kafka, logLevel } from 'kafkajs';
import { waitForPipeline } from '../../local/demo-pipeline.ts';
import type { Stack } from '../../local/stack.ts';
import { control, load, report, settle, sleep, storedCounts } from './harness.ts';
import { useTestStack } from '../helpers/test-stack.ts';

describe('faults: AWS services', () => {
  const current = useTestStack('faults-');
  let stack: Stack;
  beforeEach(() => {
    stack = current();
  });
  afterEach(async () => {
    await control(stack, 'DELETE', '/_local/faults');
    await control(stack, 'DELETE', '/_local/firehose/faults');
  });

  it('Firehose throttling and per-record failures: nothing missing, nothing twice', async () => {
    await control(stack, 'POST', '/_local/firehose/faults', { failureRate: 0.3, throttle: { everyNth: 3 } });
    const result = await load(stack.api, {
      tag: 'fh-throttle',
      requests: 150,
      perRequest: 20,
      concurrency: 4,
    });
    await sleep(3000);
    await control(stack, 'DELETE', '/_local/firehose/faults');
    const counts = await settle(stack.s3Dir, [result]);
    report('Firehose throttling and per-record failures', counts);
    expect(counts.acknowledged).toBe(counts.sent);
    expect(counts.missing).toBe(0);
  }, 240_000);

  it('Firehose delivery stream missing for a minute: the sink waits, nothing is stranded', async () => {
    await control(stack, 'POST', '/_local/faults/firehose', {
      errorRate: 1,
      errorCode: 'ResourceNotFoundException',
      operations: ['PutRecordBatch', 'PutRecord'],
    });
    const result = await load(stack.api, { tag: 'fh-missing', requests: 50, perRequest: 20, concurrency: 2 });
    await sleep(60_000);
    await control(stack, 'DELETE', '/_local/faults/firehose');
    const counts = await settle(stack.s3Dir, [result]);
    report('Firehose stream missing for a minute', counts);
    expect(counts.acknowledged).toBe(counts.sent);
    expect(counts.missing).toBe(0);
    // Nothing went to the mapping's on-failure destination, where nothing would replay it.
    expect((await storedCounts(stack.s3Dir, 'aws/lambda/')).size).toBe(0);
  }, 300_000);

  it('dead-letter writes failing: the partition holds at the undeliverable record, then delivers everything', async () => {
    // Undeliverable records (not JSON) written straight to the topic: the sink dead-letters them.
    const kafka = new Kafka({
      brokers: stack.kafka.brokers,
      clientId: 'faults-garbage',
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await control(stack, 'POST', '/_local/faults/s3', {
      errorRate: 1,
      errorCode: 'SlowDown',
      operations: ['PutObject'],
    });
    try {
      const before = load(stack.api, { tag: 'dl-before', requests: 30, perRequest: 20, concurrency: 2 });
      await producer.send({
        topic: 'demo',
        messages: [0, 1, 2].map((partition) => ({ partition, key: 'garbage', value: 'not json {' })),
      });
      const after = load(stack.api, { tag: 'dl-after', requests: 30, perRequest: 20, concurrency: 2 });
      const loads = [await before, await after];
      await sleep(20_000);
      await control(stack, 'DELETE', '/_local/faults/s3');
      const counts = await settle(stack.s3Dir, loads);
      report('dead-letter writes failing', counts);
      expect(counts.acknowledged).toBe(counts.sent);
      expect(counts.missing).toBe(0);
    } finally {
      await producer.disconnect();
    }
  }, 300_000);

  it('pipelines registry outage: 503 while no route is known, nothing acknowledged is missing', async () => {
    const traffic = load(stack.api, {
      tag: 'registry',
      requests: 200,
      perRequest: 10,
      concurrency: 4,
      pauseMs: 20,
    });
    await sleep(500);
    await control(stack, 'POST', '/_local/faults/dynamodb', {
      errorRate: 1,
      errorCode: 'InternalServerError',
    });
    await sleep(4000);
    await control(stack, 'DELETE', '/_local/faults/dynamodb');
    const result = await traffic;
    const counts = await settle(stack.s3Dir, [result]);
    report('pipelines registry outage', counts);
    expect(counts.unavailable).toBeGreaterThan(0);
    expect(counts.missing).toBe(0);
    expect(counts.duplicated).toBe(0);
  }, 240_000);

  it('connector S3 writes failing: the connector retries, stays RUNNING, and writes everything once S3 is back', async () => {
    const res = await fetch(`${stack.api}/pipelines`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        projectId: 'faulty',
        appIds: ['faulty-web'],
        kafka: { type: 'msk', clusterArn: stack.clusterArn },
        sink: {
          mode: 'connector',
          maxIntervalSeconds: 2,
          batchSize: 200,
          connector: {
            pluginLocation: {
              bucketArn: `arn:aws:s3:::${stack.bucket}`,
              fileKey: 'plugins/kafka-connect-s3.zip',
            },
          },
        },
      }),
    });
    expect(res.status).toBe(202);
    const pipeline = await waitForPipeline(stack.api, ((await res.json()) as { id: string }).id, 60_000);
    expect(pipeline.status).toBe('ACTIVE');
    await control(stack, 'POST', '/_local/faults/s3', {
      errorRate: 1,
      errorCode: 'SlowDown',
      operations: ['PutObject'],
    });
    const result = await load(stack.api, {
      tag: 'conn-s3',
      requests: 60,
      perRequest: 20,
      concurrency: 2,
      appId: 'faulty-web',
    });
    await sleep(8000);
    const fault = (await control(stack, 'GET', '/_local/faults/s3')) as { stats: { failed: number } };
    expect(fault.stats.failed).toBeGreaterThan(0);
    await control(stack, 'DELETE', '/_local/faults/s3');
    const counts = await settle(stack.s3Dir, [result]);
    report('connector S3 writes failing', counts);
    expect(counts.acknowledged).toBe(counts.sent);
    expect(counts.missing).toBe(0);
    const connectors = (await control(stack, 'GET', '/_local/kafkaconnect/connectors')) as Array<{
      name: string;
      state: string;
    }>;
    expect(connectors.find((c) => c.name.includes(pipeline.id))?.state).toBe('RUNNING');
  }, 240_000);
});
