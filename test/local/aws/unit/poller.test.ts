import type { Context, MSKEvent } from 'aws-lambda';
import { interpretResponse, MappingPoller, type PollerConfig } from '../../../../local/aws/lambda/poller.ts';
import { FakeClock, settle } from './fake-clock.ts';
import { fakeSources, record, type FakeSource } from './fake-source.ts';

const ARN = 'arn:aws:kafka:us-east-1:123456789012:cluster/demo/abc-1';

interface Invocation {
  event: MSKEvent;
  remainingAtStart: number;
}

function setup(
  overrides: Partial<PollerConfig> = {},
  respond: (event: MSKEvent, call: number, context: Context) => unknown = () => ({ batchItemFailures: [] }),
) {
  const clock = new FakeClock();
  const { open, sources } = fakeSources();
  const invocations: Invocation[] = [];
  const failures: Array<{ destination: string; key: string; body: Record<string, unknown> }> = [];
  const results: string[] = [];
  const poller = new MappingPoller(
    {
      uuid: '11111111-2222-3333-4444-555555555555',
      functionName: 'sink',
      functionArn: 'arn:aws:lambda:us-east-1:000000000000:function:sink',
      eventSourceArn: ARN,
      brokers: ['127.0.0.1:9092', '127.0.0.1:9093'],
      topic: 'clicks',
      groupId: 'group-1',
      startingPosition: 'TRIM_HORIZON',
      batchSize: 3,
      windowMs: 1000,
      reportBatchItemFailures: true,
      maximumRetryAttempts: -1,
      bisectOnError: false,
      onFailureDestination: undefined,
      timeoutMs: 30_000,
      memoryMb: 512,
      ...overrides,
    },
    {
      clock,
      openSource: open,
      invoke: async (name, event, context) => {
        expect(name).toBe('sink');
        invocations.push({ event: event as MSKEvent, remainingAtStart: context.getRemainingTimeInMillis() });
        return respond(event as MSKEvent, invocations.length, context);
      },
      writeFailure: (destination, key, body) =>
        failures.push({ destination, key, body: body as Record<string, unknown> }),
      onResult: (r) => results.push(r),
    },
  );
  poller.start();
  const source = async (): Promise<FakeSource> => {
    await settle();
    const s = sources[sources.length - 1];
    if (!s) throw new Error('no source opened');
    return s;
  };
  return { clock, poller, invocations, failures, results, source, sources };
}

const offsetsOf = (event: MSKEvent): Record<string, number[]> =>
  Object.fromEntries(Object.entries(event.records).map(([k, v]) => [k, v.map((r) => r.offset)]));

describe('event source mapping poller', () => {
  it('consumes in the mapping consumer group from TRIM_HORIZON', async () => {
    const t = setup();
    const s = await t.source();
    expect(s.options).toMatchObject({
      groupId: 'group-1',
      topic: 'clicks',
      startingPosition: 'TRIM_HORIZON',
      brokers: ['127.0.0.1:9092', '127.0.0.1:9093'],
    });
    await t.poller.stop();
    expect(s.closed).toBe(true);
  });

  it('invokes as soon as BatchSize records are buffered and commits past them', async () => {
    const t = setup();
    const s = await t.source();
    s.emit([record('clicks', 0, 0, 'a'), record('clicks', 0, 1, 'b'), record('clicks', 1, 0, 'c')]);
    await t.clock.advance(0);
    expect(t.invocations).toHaveLength(1);
    expect(offsetsOf(t.invocations[0]!.event)).toEqual({ 'clicks-0': [0, 1], 'clicks-1': [0] });
    expect(s.committed()).toEqual({ 'clicks-0': 2, 'clicks-1': 1 });
    expect(t.results).toContain('OK');
    await t.poller.stop();
  });

  it('waits MaximumBatchingWindowInSeconds from the first buffered record when the batch is not full', async () => {
    const t = setup();
    const s = await t.source();
    s.emit([record('clicks', 0, 0, 'a')]);
    await t.clock.advance(600);
    s.emit([record('clicks', 0, 1, 'b')]);
    await t.clock.advance(399);
    expect(t.invocations).toHaveLength(0);
    await t.clock.advance(1);
    expect(t.invocations).toHaveLength(1);
    expect(offsetsOf(t.invocations[0]!.event)).toEqual({ 'clicks-0': [0, 1] });
    await t.poller.stop();
  });

  it('builds the MSK event exactly as Lambda delivers it', async () => {
    const t = setup({ batchSize: 2 });
    const s = await t.source();
    s.emit([
      record('clicks', 0, 5, '{"a":1}', { headers: [[Buffer.from('trace'), Buffer.from([1, 2, 255])]] }),
      record('clicks', 0, 6, 'x', { key: undefined }),
    ]);
    await t.clock.advance(0);
    const event = t.invocations[0]!.event;
    expect(event).toEqual({
      eventSource: 'aws:kafka',
      eventSourceArn: ARN,
      bootstrapServers: '127.0.0.1:9092,127.0.0.1:9093',
      records: {
        'clicks-0': [
          {
            topic: 'clicks',
            partition: 0,
            offset: 5,
            timestamp: 1_767_225_600_005,
            timestampType: 'CREATE_TIME',
            key: Buffer.from('k5').toString('base64'),
            value: Buffer.from('{"a":1}').toString('base64'),
            headers: [{ trace: [1, 2, 255] }],
          },
          {
            topic: 'clicks',
            partition: 0,
            offset: 6,
            timestamp: 1_767_225_600_006,
            timestampType: 'CREATE_TIME',
            value: Buffer.from('x').toString('base64'),
            headers: [],
          },
        ],
      },
    });
    await t.poller.stop();
  });

  it('builds the self-managed event without an ARN', async () => {
    const t = setup({ batchSize: 1, eventSourceArn: undefined });
    const s = await t.source();
    s.emit([record('clicks', 1, 0, 'a')]);
    await t.clock.advance(0);
    const event = t.invocations[0]!.event as unknown as Record<string, unknown>;
    expect(event.eventSource).toBe('SelfManagedKafka');
    expect(event).not.toHaveProperty('eventSourceArn');
    expect(event.bootstrapServers).toBe('127.0.0.1:9092,127.0.0.1:9093');
    await t.poller.stop();
  });

  it('gives the function a context whose remaining time counts down from its timeout', async () => {
    let later = -1;
    const t = setup({ batchSize: 1, timeoutMs: 10_000 }, async (_event, _call, context) => {
      await new Promise<void>((resolve) => t.clock.schedule(resolve, 4_000));
      later = context.getRemainingTimeInMillis();
      return null;
    });
    const s = await t.source();
    s.emit([record('clicks', 0, 0, 'a')]);
    await t.clock.advance(4_000);
    expect(t.invocations[0]?.remainingAtStart).toBe(10_000);
    expect(later).toBe(6_000);
    await t.poller.stop();
  });

  it('resumes a reported partition at the reported offset and commits only what precedes it', async () => {
    const t = setup({ batchSize: 5 }, (event, call) =>
      call === 1
        ? { batchItemFailures: [{ itemIdentifier: { partition: 'clicks-0', offset: 2 } }] }
        : { batchItemFailures: [] },
    );
    const s = await t.source();
    s.emit([0, 1, 2, 3].map((o) => record('clicks', 0, o, `v${o}`)));
    s.emit([record('clicks', 1, 0, 'w0'), record('clicks', 0, 4, 'v4')]);
    await t.clock.advance(0);
    expect(offsetsOf(t.invocations[0]!.event)).toEqual({ 'clicks-0': [0, 1, 2, 3], 'clicks-1': [0] });
    // Only what precedes the reported offset is committed; the other partition in full.
    expect(s.commits[0]?.map((c) => [c.partition, Number(c.offset)])).toEqual([
      [0, 2],
      [1, 1],
    ]);
    // The retry starts at the reported offset, ahead of records buffered meanwhile.
    expect(t.invocations).toHaveLength(2);
    expect(offsetsOf(t.invocations[1]!.event)).toEqual({ 'clicks-0': [2, 3, 4] });
    expect(s.committed()).toEqual({ 'clicks-0': 5, 'clicks-1': 1 });
    await t.poller.stop();
  });

  it('treats an identifier that names no record of the batch as a whole-batch failure', async () => {
    const t = setup({ batchSize: 2 }, (_event, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: { 'topic-partition': 'clicks-0', offset: 1 } }] } : null,
    );
    const s = await t.source();
    s.emit([record('clicks', 0, 0, 'a'), record('clicks', 0, 1, 'b')]);
    await t.clock.advance(0);
    expect(s.committed()).toEqual({});
    await t.clock.advance(200);
    expect(t.invocations).toHaveLength(2);
    expect(offsetsOf(t.invocations[1]!.event)).toEqual({ 'clicks-0': [0, 1] });
    expect(s.committed()).toEqual({ 'clicks-0': 2 });
    await t.poller.stop();
  });

  it('ignores batchItemFailures unless ReportBatchItemFailures is enabled', async () => {
    const t = setup({ batchSize: 1, reportBatchItemFailures: false }, () => ({
      batchItemFailures: [{ itemIdentifier: { partition: 'clicks-0', offset: 0 } }],
    }));
    const s = await t.source();
    s.emit([record('clicks', 0, 0, 'a')]);
    await t.clock.advance(0);
    expect(s.committed()).toEqual({ 'clicks-0': 1 });
    await t.poller.stop();
  });

  it('retries a failed batch with backoff and commits only after success', async () => {
    const t = setup({ batchSize: 2 }, (_e, call) => {
      if (call <= 2) throw new Error('boom');
      return null;
    });
    const s = await t.source();
    s.emit([record('clicks', 0, 0, 'a'), record('clicks', 0, 1, 'b')]);
    await t.clock.advance(0);
    expect(t.invocations).toHaveLength(1);
    expect(t.results).toContain('PROBLEM: Function call failed');
    await t.clock.advance(49);
    expect(t.invocations).toHaveLength(1); // backoff is at least 50 ms
    await t.clock.advance(400);
    expect(t.invocations).toHaveLength(3);
    expect(t.invocations.map((i) => offsetsOf(i.event))).toEqual(Array(3).fill({ 'clicks-0': [0, 1] }));
    expect(s.committed()).toEqual({ 'clicks-0': 2 });
    expect(t.poller.stats).toMatchObject({ functionErrors: 2, retries: 2, recordsProcessed: 2 });
    await t.poller.stop();
  });

  it('treats a function that outlives its timeout as failed', async () => {
    const t = setup({ batchSize: 1, timeoutMs: 1000 }, (_e, call) =>
      call === 1 ? new Promise(() => undefined) : null,
    );
    const s = await t.source();
    s.emit([record('clicks', 0, 0, 'a')]);
    await t.clock.advance(999);
    expect(t.poller.stats.functionErrors).toBe(0);
    await t.clock.advance(1);
    expect(t.poller.stats.lastError).toBe('Task timed out after 1.00 seconds');
    await t.clock.advance(200);
    expect(s.committed()).toEqual({ 'clicks-0': 1 });
    await t.poller.stop();
  });

  it('sends the batch to the S3 on-failure destination after MaximumRetryAttempts and moves on', async () => {
    const t = setup({ batchSize: 2, maximumRetryAttempts: 1, onFailureDestination: 'arn:aws:s3:::dlq-bucket' }, () => {
      throw new Error('always');
    });
    const s = await t.source();
    s.emit([record('clicks', 0, 0, 'a'), record('clicks', 0, 1, 'b')]);
    await t.clock.advance(500);
    expect(t.invocations).toHaveLength(2);
    expect(s.committed()).toEqual({ 'clicks-0': 2 });
    expect(t.failures).toHaveLength(1);
    const [failure] = t.failures;
    expect(failure?.destination).toBe('arn:aws:s3:::dlq-bucket');
    expect(failure?.key).toMatch(/^aws\/lambda\/11111111-2222-3333-4444-555555555555\/clicks-0\/\d{4}\/\d{2}\/\d{2}\//);
    expect(failure?.body).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted' },
      KafkaBatchInfo: { batchSize: 2, topic: 'clicks', partition: 0, firstOffset: 0, lastOffset: 1 },
    });
    expect(t.poller.stats.recordsDiscarded).toBe(2);
    await t.poller.stop();
  });

  it('retries with half the batch when BisectBatchOnFunctionError is set', async () => {
    const t = setup({ batchSize: 4, bisectOnError: true }, (event) => {
      if (offsetsOf(event)['clicks-0']!.length > 2) throw new Error('too big');
      return null;
    });
    const s = await t.source();
    s.emit([0, 1, 2, 3].map((o) => record('clicks', 0, o, 'x')));
    await t.clock.advance(1000);
    expect(t.invocations.map((i) => offsetsOf(i.event)['clicks-0'])).toEqual([
      [0, 1, 2, 3],
      [0, 1],
      [2, 3],
    ]);
    expect(s.committed()).toEqual({ 'clicks-0': 4 });
    await t.poller.stop();
  });

  it('drops records re-read after a rebalance instead of delivering them twice', async () => {
    const t = setup({ batchSize: 2 });
    const s = await t.source();
    s.emit([record('clicks', 0, 0, 'a'), record('clicks', 0, 1, 'b')]);
    await t.clock.advance(0);
    s.handlers.onAssignment([{ topic: 'clicks', partition: 0 }]);
    s.emit([record('clicks', 0, 0, 'a'), record('clicks', 0, 1, 'b'), record('clicks', 0, 2, 'c')]);
    await t.clock.advance(1000);
    expect(t.invocations.map((i) => offsetsOf(i.event))).toEqual([{ 'clicks-0': [0, 1] }, { 'clicks-0': [2] }]);
    await t.poller.stop();
  });

  it('forgets buffered records of partitions revoked by a rebalance', async () => {
    const t = setup({ batchSize: 10 });
    const s = await t.source();
    s.emit([record('clicks', 0, 0, 'a'), record('clicks', 1, 0, 'b')]);
    s.handlers.onAssignment([{ topic: 'clicks', partition: 1 }]);
    await t.clock.advance(1000);
    expect(t.invocations.map((i) => offsetsOf(i.event))).toEqual([{ 'clicks-1': [0] }]);
    await t.poller.stop();
  });

  it('reopens the consumer from the committed offsets when it fails', async () => {
    const t = setup({ batchSize: 10 });
    const first = await t.source();
    first.emit([record('clicks', 0, 0, 'a')]);
    first.handlers.onError(new Error('broker gone'));
    await t.clock.advance(0);
    expect(first.closed).toBe(true);
    expect(t.sources).toHaveLength(2);
    expect(t.results).toContain('PROBLEM: Connection error. broker gone');
    const second = await t.source();
    second.emit([record('clicks', 0, 0, 'a')]);
    await t.clock.advance(1000);
    expect(t.invocations.map((i) => offsetsOf(i.event))).toEqual([{ 'clicks-0': [0] }]);
    await t.poller.stop();
  });

  it('pauses the consumer when its buffer is full and resumes when it drains', async () => {
    const t = setup({ batchSize: 1 }, async () => new Promise((resolve) => t.clock.schedule(() => resolve(null), 10)));
    const s = await t.source();
    s.emit(Array.from({ length: 1000 }, (_, i) => record('clicks', 0, i, 'x')));
    expect(s.paused).toBe(true);
    await t.clock.advance(10 * 600);
    expect(s.paused).toBe(false);
    expect(t.invocations.length).toBeGreaterThanOrEqual(500);
    const stopped = t.poller.stop(); // waits for the in-flight invocation, which needs the clock
    await t.clock.advance(10);
    await stopped;
  });
});

describe('interpretResponse', () => {
  const batch = [record('t', 0, 3, 'a'), record('t', 0, 4, 'b'), record('t', 1, 9, 'c')];

  it('treats null, empty and missing failure lists as success', () => {
    for (const response of [null, undefined, {}, { batchItemFailures: [] }, { batchItemFailures: null }, 'ok']) {
      expect(interpretResponse(response, batch)).toEqual({ kind: 'success' });
    }
  });

  it('keeps the lowest reported offset per partition and accepts numeric strings', () => {
    const outcome = interpretResponse(
      {
        batchItemFailures: [
          { itemIdentifier: { partition: 't-0', offset: 4 } },
          { itemIdentifier: { partition: 't-0', offset: '3' } },
        ],
      },
      batch,
    );
    expect(outcome).toEqual({ kind: 'partial', failed: new Map([['t-0', 3n]]) });
  });

  it('fails the whole batch on malformed or unknown identifiers', () => {
    for (const failures of [
      [{ itemIdentifier: null }],
      [{ itemIdentifier: { partition: 't-2', offset: 3 } }],
      [{ itemIdentifier: { partition: 't-0', offset: 5 } }],
      'x',
    ]) {
      expect(interpretResponse({ batchItemFailures: failures }, batch).kind).toBe('error');
    }
  });
});
