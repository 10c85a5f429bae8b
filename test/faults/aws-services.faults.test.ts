/**
 * Faults of the AWS services under load: Firehose throttling and per-record failures, the
 * delivery stream missing for a minute, dead-letter writes failing, the pipelines registry down.
 * Every acknowledged event reaches S3 once the fault is gone.
 */
import { Kafka, logLevel } from 'kafkajs';
import {
  control,
  during,
  expectAcknowledgedStoredOnce,
  expectEverySentStored,
  load,
  outcome,
  sleep,
  storedCounts,
  useFaultStack,
} from './harness.ts';
import { connectorPipeline, createPipeline } from '../helpers/stack-api.ts';

/** The S3 fault of the dead-letter and connector scenarios: every PutObject answered SlowDown. */
const S3_SLOW_DOWN = { errorRate: 1, errorCode: 'SlowDown', operations: ['PutObject'] };

describe('faults: AWS services', () => {
  const current = useFaultStack();
  afterEach(async () => {
    await control(current(), 'DELETE', '/_local/faults');
    await control(current(), 'DELETE', '/_local/firehose/faults');
  });

  it('Firehose throttling and per-record failures: nothing missing, nothing twice', async () => {
    const stack = current();
    await control(stack, 'POST', '/_local/firehose/faults', { failureRate: 0.3, throttle: { everyNth: 3 } });
    const result = await load(stack.api, { tag: 'fh-throttle', requests: 150 });
    await sleep(3000);
    await control(stack, 'DELETE', '/_local/firehose/faults');
    expectEverySentStored(await outcome('Firehose throttling and per-record failures', stack.s3Dir, [result]));
  }, 240_000);

  it('Firehose delivery stream missing for a minute: the sink waits, nothing is stranded', async () => {
    const stack = current();
    await control(stack, 'POST', '/_local/faults/firehose', {
      errorRate: 1,
      errorCode: 'ResourceNotFoundException',
      operations: ['PutRecordBatch', 'PutRecord'],
    });
    const result = await load(stack.api, { tag: 'fh-missing', requests: 50, concurrency: 2 });
    await sleep(60_000);
    await control(stack, 'DELETE', '/_local/faults/firehose');
    expectEverySentStored(await outcome('Firehose stream missing for a minute', stack.s3Dir, [result]));
    // Nothing went to the mapping's on-failure destination, where nothing would replay it.
    expect((await storedCounts(stack.s3Dir, 'aws/lambda/')).size).toBe(0);
  }, 300_000);

  it('dead-letter writes failing: the partition holds at the undeliverable record, then delivers everything', async () => {
    const stack = current();
    // Undeliverable records (not JSON) written straight to the topic: the sink dead-letters them.
    const kafka = new Kafka({
      brokers: stack.kafka.brokers,
      clientId: 'faults-garbage',
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await control(stack, 'POST', '/_local/faults/s3', S3_SLOW_DOWN);
    try {
      const before = load(stack.api, { tag: 'dl-before', requests: 30, concurrency: 2 });
      await producer.send({
        topic: 'demo',
        messages: [0, 1, 2].map((partition) => ({ partition, key: 'garbage', value: 'not json {' })),
      });
      const after = load(stack.api, { tag: 'dl-after', requests: 30, concurrency: 2 });
      const loads = [await before, await after];
      await sleep(20_000);
      await control(stack, 'DELETE', '/_local/faults/s3');
      expectEverySentStored(await outcome('dead-letter writes failing', stack.s3Dir, loads));
    } finally {
      await producer.disconnect();
    }
  }, 300_000);

  it('pipelines registry outage: 503 while no route is known, nothing acknowledged is missing', async () => {
    const stack = current();
    const traffic = load(stack.api, { tag: 'registry', requests: 200, perRequest: 10, pauseMs: 20 });
    const result = await during(traffic, async () => {
      await sleep(500);
      await control(stack, 'POST', '/_local/faults/dynamodb', { errorRate: 1, errorCode: 'InternalServerError' });
      await sleep(4000);
      await control(stack, 'DELETE', '/_local/faults/dynamodb');
    });
    const counts = await outcome('pipelines registry outage', stack.s3Dir, [result]);
    expect(counts.unavailable).toBeGreaterThan(0);
    expectAcknowledgedStoredOnce(counts);
  }, 240_000);

  it('connector S3 writes failing: the connector retries, stays RUNNING, and writes everything once S3 is back', async () => {
    const stack = current();
    const pipeline = await createPipeline(
      stack,
      connectorPipeline('faulty', stack, { maxIntervalSeconds: 2, batchSize: 200 }),
    );
    expect(pipeline.status).toBe('ACTIVE');
    await control(stack, 'POST', '/_local/faults/s3', S3_SLOW_DOWN);
    const result = await load(stack.api, { tag: 'conn-s3', requests: 60, concurrency: 2, appId: 'faulty-web' });
    await sleep(8000);
    const fault = (await control(stack, 'GET', '/_local/faults/s3')) as { stats: { failed: number } };
    expect(fault.stats.failed).toBeGreaterThan(0);
    await control(stack, 'DELETE', '/_local/faults/s3');
    expectEverySentStored(await outcome('connector S3 writes failing', stack.s3Dir, [result]));
    const connectors = (await control(stack, 'GET', '/_local/kafkaconnect/connectors')) as Array<{
      name: string;
      state: string;
    }>;
    expect(connectors.find((c) => c.name.includes(pipeline.id))?.state).toBe('RUNNING');
  }, 240_000);
});
