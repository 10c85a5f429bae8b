/**
 * The local Confluent S3 sink on an in-memory Kafka source: object naming and partitioning,
 * flush.size, record-time and scheduled rotation, offsets committed only after the objects.
 */
import {
  nextScheduledRotation,
  parseSinkConfig,
  S3Sink,
  SinkConfigError,
} from '../../../../local/aws/kafkaconnect/s3-sink.ts';
import { fakeSources, record, type FakeSource } from './fake-source.ts';
import { readObjects, tempDir } from './helpers.ts';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 2, 4, 5, 6, 7); // 2026-03-04T05:06:07Z

function config(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    'connector.class': 'io.confluent.connect.s3.S3SinkConnector',
    topics: 'clicks',
    's3.bucket.name': 'sink-bucket',
    'topics.dir': 'events',
    'flush.size': '3',
    timezone: 'UTC',
    'format.class': 'io.confluent.connect.s3.format.json.JsonFormat',
    's3.compression.type': 'gzip',
    'partitioner.class': 'io.confluent.connect.storage.partitioner.TimeBasedPartitioner',
    'path.format': "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH",
    'partition.duration.ms': String(HOUR),
    'timestamp.extractor': 'Record',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
    'behavior.on.null.values': 'ignore',
    ...overrides,
  };
}

const at = (topic: string, partition: number, offset: number, ms: number, value: unknown = { n: offset }) =>
  record(topic, partition, offset, JSON.stringify(value), { timestamp: BigInt(ms) });

describe('local S3 sink connector', () => {
  let dir: ReturnType<typeof tempDir>;
  let failures: string[];
  let sink: S3Sink | undefined;

  beforeEach(() => {
    dir = tempDir('s3-sink-');
    failures = [];
  });
  afterEach(async () => {
    await sink?.stop();
    sink = undefined;
    dir.remove();
  });

  async function startSink(overrides: Record<string, string> = {}): Promise<FakeSource> {
    const sources = fakeSources();
    sink = new S3Sink(parseSinkConfig('conn-a', config(overrides)), ['127.0.0.1:9092'], {
      s3Root: dir.path,
      openSource: sources.open,
      onFailure: (message) => failures.push(message),
    });
    await sink.start();
    const source = sources.sources[0]!;
    expect(source.options).toMatchObject({
      groupId: 'connect-conn-a',
      topics: ['clicks'],
      startingPosition: 'TRIM_HORIZON',
    });
    return source;
  }

  const flushed = () => new Promise((resolve) => setImmediate(resolve));

  it('writes one gzip JSON-lines object per flush.size records, named <topic>+<partition>+<start offset>, and commits after it', async () => {
    const source = await startSink();
    source.emit([0, 1, 2, 3, 4].map((o) => at('clicks', 0, o, T0 + o)));
    source.emit([10, 11, 12].map((o) => at('clicks', 1, o, T0)));
    await flushed();
    const objects = readObjects(dir.path, 'sink-bucket');
    expect([...objects.keys()].sort()).toEqual([
      'events/clicks/year=2026/month=03/day=04/hour=05/clicks+0+0000000000.json.gz',
      'events/clicks/year=2026/month=03/day=04/hour=05/clicks+1+0000000010.json.gz',
    ]);
    expect(objects.get('events/clicks/year=2026/month=03/day=04/hour=05/clicks+0+0000000000.json.gz')).toBe(
      '{"n":0}\n{"n":1}\n{"n":2}\n',
    );
    // Offsets 3 and 4 are buffered, not committed.
    expect(source.committed()).toEqual({ 'clicks-0': 3, 'clicks-1': 13 });
    expect(sink!.stats).toEqual({ recordsWritten: 6, objectsWritten: 2, buffered: 2 });
  });

  it('writes each value byte for byte with ByteArrayFormat (what the pipelines configure)', async () => {
    const exact =
      '{"n":12345678901234567890,"z":-0,"e":1E+2,"f":0.10000000000000000001,"u":"\\u00e9\\ud83d\\ude00","k":{"b":1,"a":2}}';
    const bytes = await startSink({
      'format.class': 'io.confluent.connect.s3.format.bytearray.ByteArrayFormat',
      'format.bytearray.extension': '.json',
      'format.bytearray.line.separator': '\n',
      'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
      'flush.size': '1',
    });
    bytes.emit([record('clicks', 0, 0, exact, { timestamp: BigInt(T0) })]);
    await flushed();
    expect([...readObjects(dir.path, 'sink-bucket').entries()]).toEqual([
      ['events/clicks/year=2026/month=03/day=04/hour=05/clicks+0+0000000000.json.gz', `${exact}\n`],
    ]);
    expect(() =>
      parseSinkConfig('c', config({ 'format.class': 'io.confluent.connect.s3.format.bytearray.ByteArrayFormat' })),
    ).toThrow('ByteArrayConverter');
  });

  it('rotates on record time (rotate.interval.ms) and on a new hour partition, committing only what precedes the new object', async () => {
    const source = await startSink({ 'flush.size': '1000', 'rotate.interval.ms': '60000' });
    source.emit([at('clicks', 0, 0, T0), at('clicks', 0, 1, T0 + 1000), at('clicks', 0, 2, T0 + 61_000)]);
    await flushed();
    expect([...readObjects(dir.path, 'sink-bucket').keys()]).toEqual([
      'events/clicks/year=2026/month=03/day=04/hour=05/clicks+0+0000000000.json.gz',
    ]);
    expect(source.committed()).toEqual({ 'clicks-0': 2 });
    // The next record is in the next hour: the open object (offset 2) is written first.
    source.emit([at('clicks', 0, 3, T0 + HOUR)]);
    await flushed();
    expect([...readObjects(dir.path, 'sink-bucket').keys()].sort()).toEqual([
      'events/clicks/year=2026/month=03/day=04/hour=05/clicks+0+0000000000.json.gz',
      'events/clicks/year=2026/month=03/day=04/hour=05/clicks+0+0000000002.json.gz',
    ]);
    expect(source.committed()).toEqual({ 'clicks-0': 3 });
  });

  it('writes what is buffered at the next rotate.schedule.interval.ms boundary of the wall clock', async () => {
    const source = await startSink({ 'flush.size': '1000', 'rotate.schedule.interval.ms': '200' });
    source.emit([at('clicks', 0, 0, T0), at('clicks', 0, 1, T0)]);
    expect(readObjects(dir.path, 'sink-bucket').size).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 450));
    const objects = readObjects(dir.path, 'sink-bucket');
    expect([...objects.values()]).toEqual(['{"n":0}\n{"n":1}\n']);
    expect(source.committed()).toEqual({ 'clicks-0': 2 });
  });

  it('drops records re-read after a rebalance, skips null values, and fails on a value that is not JSON', async () => {
    const source = await startSink();
    source.emit([at('clicks', 0, 0, T0), at('clicks', 0, 1, T0)]);
    source.emit([at('clicks', 0, 0, T0), at('clicks', 0, 1, T0)]); // re-delivered: dropped
    source.emit([record('clicks', 0, 2, '', { value: undefined, timestamp: BigInt(T0) }), at('clicks', 0, 3, T0)]);
    await flushed();
    expect([...readObjects(dir.path, 'sink-bucket').values()]).toEqual(['{"n":0}\n{"n":1}\n{"n":3}\n']);
    expect(source.committed()).toEqual({ 'clicks-0': 4 });
    source.emit([record('clicks', 0, 4, 'not json', { timestamp: BigInt(T0) })]);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain('Converting byte[] to Kafka Connect data failed');
    await flushed();
    expect(source.closed).toBe(true);
  });

  it('refuses configurations the connector would refuse', () => {
    expect(() => parseSinkConfig('c', config({ 'flush.size': '0' }))).toThrow(SinkConfigError);
    expect(() => parseSinkConfig('c', config({ timezone: '' }))).toThrow('timezone');
    expect(() =>
      parseSinkConfig('c', config({ 'format.class': 'io.confluent.connect.s3.format.avro.AvroFormat' })),
    ).toThrow('JsonFormat');
    expect(() => parseSinkConfig('c', config({ 'value.converter.schemas.enable': 'true' }))).toThrow('schemaless');
    const { topics, topicsDir, extension } = parseSinkConfig('c', config({ topics: 'a, b', 'topics.dir': '/x/y/' }));
    expect({ topics, topicsDir, extension }).toEqual({
      topics: ['a', 'b'],
      topicsDir: 'x/y',
      extension: '.json.gz',
    });
  });

  it('schedules rotations at multiples of the interval since midnight in the time zone', () => {
    const fiveMinutes = 300_000;
    expect(new Date(nextScheduledRotation(Date.UTC(2026, 0, 1, 10, 7, 30), fiveMinutes, 'UTC')).toISOString()).toBe(
      '2026-01-01T10:10:00.000Z',
    );
    expect(new Date(nextScheduledRotation(Date.UTC(2026, 0, 1, 10, 10, 0), fiveMinutes, 'UTC')).toISOString()).toBe(
      '2026-01-01T10:15:00.000Z',
    );
    // 7 hours is not a divisor of a day: the last slot of the day ends at midnight.
    expect(new Date(nextScheduledRotation(Date.UTC(2026, 0, 1, 22, 0, 0), 7 * HOUR, 'UTC')).toISOString()).toBe(
      '2026-01-02T00:00:00.000Z',
    );
    // Kolkata is UTC+05:30: its hours start at :30 UTC.
    expect(new Date(nextScheduledRotation(Date.UTC(2026, 0, 1, 10, 7, 0), HOUR, 'Asia/Kolkata')).toISOString()).toBe(
      '2026-01-01T10:30:00.000Z',
    );
  });
});
