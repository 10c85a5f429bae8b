import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DeliveryBuffer, partitionValues, splitJsonRecords } from '../../../../local/aws/firehose/delivery.ts';
import { compileDestination, validateCreateRequest } from '../../../../local/aws/firehose/stream-config.ts';
import { FakeClock } from './fake-clock.ts';
import { partitionedDestination, readObjects, tempDir } from './helpers.ts';

const line = (event: Record<string, unknown>): Buffer => Buffer.from(`${JSON.stringify(event)}\n`);
const HOUR = Date.UTC(2026, 0, 15, 10, 0, 0);

function buffer(dir: string, clock: FakeClock, destination: Record<string, unknown>): DeliveryBuffer {
  const normalized = validateCreateRequest({
    DeliveryStreamName: 'events',
    ExtendedS3DestinationConfiguration: destination,
  }).destination;
  return new DeliveryBuffer({
    stream: 'events',
    version: '1',
    destination: compileDestination(normalized),
    bufferDir: join(dir, 'buffers', 'events'),
    s3Root: join(dir, 's3'),
    clock,
  });
}

describe('Firehose delivery buffer', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => dir.remove());

  /** A buffer of a plain (not partitioned) destination into plain-bucket, 1 MB of SizeInMBs. */
  const plainBuffer = (clock: FakeClock, intervalInSeconds: number): DeliveryBuffer =>
    buffer(dir.path, clock, {
      RoleARN: 'arn:aws:iam::000000000000:role/r',
      BucketARN: 'arn:aws:s3:::plain-bucket',
      BufferingHints: { SizeInMBs: 1, IntervalInSeconds: intervalInSeconds },
    });

  it('writes one gzip object per partition when the interval elapses, readable back', async () => {
    const clock = new FakeClock();
    const b = buffer(
      dir.path,
      clock,
      partitionedDestination({ BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 } }),
    );
    b.accept([line({ app_id: 'a', ingest_time: HOUR + 1, n: 1 }), line({ app_id: 'b', ingest_time: HOUR + 2, n: 2 })]);
    await clock.advance(30_000);
    b.accept([line({ app_id: 'a', ingest_time: HOUR + 3, n: 3 })]);
    await clock.advance(29_999);
    expect(readObjects(join(dir.path, 's3'), 'data-bucket').size).toBe(0);
    await clock.advance(1);
    const objects = readObjects(join(dir.path, 's3'), 'data-bucket');
    expect([...objects.keys()].map((k) => k.replace(/[^/]+$/, ''))).toEqual(
      expect.arrayContaining([
        'events/app_id=a/year=2026/month=01/day=15/hour=10/',
        'events/app_id=b/year=2026/month=01/day=15/hour=10/',
      ]),
    );
    const a = [...objects.entries()].find(([k]) => k.includes('app_id=a/'));
    expect(a?.[1]).toBe(
      `${JSON.stringify({ app_id: 'a', ingest_time: HOUR + 1, n: 1 })}\n${JSON.stringify({ app_id: 'a', ingest_time: HOUR + 3, n: 3 })}\n`,
    );
    expect(a?.[0]).toMatch(/\/events-1-2026-01-15-10-30-00-[0-9a-f-]{36}\.gz$/);
    expect(b.buffered.records).toBe(0);
  });

  it('flushes a partition as soon as its buffer reaches SizeInMBs', async () => {
    const clock = new FakeClock();
    const b = plainBuffer(clock, 900);
    const big = Buffer.alloc(400 * 1024, 'x');
    b.accept([big, big]);
    expect(readObjects(join(dir.path, 's3'), 'plain-bucket').size).toBe(0);
    b.accept([big]);
    const objects = readObjects(join(dir.path, 's3'), 'plain-bucket');
    expect(objects.size).toBe(1);
    expect([...objects.values()][0]?.length).toBe(3 * 400 * 1024);
    expect([...objects.keys()][0]).toMatch(/^2026\/01\/15\/10\/events-1-/);
  });

  it('delivers records with an IntervalInSeconds of 0 on the next tick', async () => {
    const clock = new FakeClock();
    const b = plainBuffer(clock, 0);
    b.accept([Buffer.from('x\n')]);
    await clock.advance(0);
    expect([...readObjects(join(dir.path, 's3'), 'plain-bucket').values()]).toEqual(['x\n']);
  });

  it('sends records it cannot partition to the error prefix with the failure envelope', async () => {
    const clock = new FakeClock();
    const b = buffer(dir.path, clock, partitionedDestination());
    b.accept([
      Buffer.from('not json\n'),
      line({ app_id: null, ingest_time: HOUR }),
      line({ app_id: 'a', ingest_time: 'soon' }),
    ]);
    b.flushAll();
    const objects = [...readObjects(join(dir.path, 's3'), 'data-bucket').entries()];
    expect(objects).toHaveLength(1);
    const [key, content] = objects[0]!;
    expect(key).toMatch(/^errors\/firehose\/partitioning-failed\/year=2026\/events-1-/);
    const envelopes = content
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(envelopes.map((e) => e.errorCode)).toEqual(Array(3).fill('DynamicPartitioning.MetadataExtractionFailed'));
    expect(envelopes[0]?.errorMessage).toBe('Non JSON record provided');
    expect(envelopes[1]?.errorMessage).toMatch(/must not be null/);
    expect(Buffer.from(String(envelopes[0]?.rawData), 'base64').toString()).toBe('not json\n');
  });

  it('keeps accepted records across a restart and delivers them once', async () => {
    // A crash: the first process's buffer is abandoned without close(); its clock never runs again.
    const first = buffer(dir.path, new FakeClock(), partitionedDestination());
    first.accept([line({ app_id: 'a', ingest_time: HOUR, n: 1 }), line({ app_id: 'a', ingest_time: HOUR, n: 2 })]);
    expect(readObjects(join(dir.path, 's3'), 'data-bucket').size).toBe(0);
    const clock = new FakeClock();
    const second = buffer(dir.path, clock, partitionedDestination());
    expect(second.buffered.records).toBe(2);
    await clock.advance(60_000);
    const objects = readObjects(join(dir.path, 's3'), 'data-bucket');
    expect(
      [...objects.values()]
        .join('')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { n: number }).n),
    ).toEqual([1, 2]);
    expect(existsSync(join(dir.path, 'buffers', 'events'))).toBe(true);
    expect(readdirSync(join(dir.path, 'buffers', 'events'))).toEqual([]);
  });

  it('flushes everything on close', () => {
    const clock = new FakeClock();
    const b = buffer(dir.path, clock, partitionedDestination());
    b.accept([line({ app_id: 'a', ingest_time: HOUR }), line({ app_id: 'b', ingest_time: HOUR })]);
    b.close();
    expect(readObjects(join(dir.path, 's3'), 'data-bucket').size).toBe(2);
    expect(() => b.accept([line({ app_id: 'a', ingest_time: HOUR })])).toThrow(/closed/);
  });

  it('de-aggregates JSON and delimited records before partitioning', () => {
    expect(splitJsonRecords(Buffer.from('{"a":1}{"a":"}{"}\n[1]'))?.map(String)).toEqual([
      '{"a":1}',
      '{"a":"}{"}',
      '[1]',
    ]);
    expect(splitJsonRecords(Buffer.from('{"a":1} x'))).toBeUndefined();
    const clock = new FakeClock();
    const b = buffer(
      dir.path,
      clock,
      partitionedDestination({
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [
            {
              Type: 'RecordDeAggregation',
              Parameters: [{ ParameterName: 'SubRecordType', ParameterValue: 'JSON' }],
            },
            {
              Type: 'MetadataExtraction',
              Parameters: [
                {
                  ParameterName: 'MetadataExtractionQuery',
                  ParameterValue: '{app_id: .app_id, year: "y", month: "m", day: "d", hour: "h"}',
                },
                { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
              ],
            },
            { Type: 'AppendDelimiterToRecord' },
          ],
        },
      }),
    );
    b.accept([Buffer.from('{"app_id":"a"}{"app_id":"b"}{"app_id":"a","x":1}')]);
    b.flushAll();
    const objects = readObjects(join(dir.path, 's3'), 'data-bucket');
    const a = [...objects.entries()].find(([k]) => k.startsWith('events/app_id=a/'));
    expect(a?.[1]).toBe('{"app_id":"a"}\n{"app_id":"a","x":1}\n');
    expect(objects.size).toBe(2);
  });

  it.each([
    [{ outputs: [{ a: 1, b: true, c: 'x' }] }, { a: '1', b: 'true', c: 'x' }],
    [{ outputs: [{ a: '', b: 1, c: 1 }] }, "partitionKeys values must not be null or empty (key 'a')"],
    [{ outputs: [{ b: 1, c: 1 }] }, "partitionKeys values must not be null or empty (key 'a')"],
    [{ outputs: [{ a: { x: 1 } }] }, "partition key 'a' must be a string, number or boolean, got object"],
    [{ outputs: ['x'] }, 'The MetadataExtractionQuery must produce a JSON object'],
    [{ outputs: [] }, 'The MetadataExtractionQuery produced no output'],
    [{ outputs: [{}, {}] }, 'The MetadataExtractionQuery produced 2 outputs; it must produce one'],
    [{ error: 'null (null) cannot be divided' }, 'MetadataExtractionQuery failed: null (null) cannot be divided'],
  ])('turns the query result %j into prefix values or a failure reason', (result, expected) => {
    expect(partitionValues(result, ['a', 'b', 'c'])).toEqual(expected);
  });
});
