/**
 * A local run of the Confluent S3 sink connector (`io.confluent.connect.s3.S3SinkConnector`):
 * consumes its `topics` from the dev brokers in the consumer group `connect-<connector name>`
 * and writes objects into the local S3 tree the way the connector names and cuts them:
 *
 *   <dataDir>/s3/<s3.bucket.name>/<topics.dir>/<topic>/<encoded partition>/<topic>+<partition>+<start offset>.json.gz
 *
 * - one writer per topic partition (Confluent's TopicPartitionWriter); the start offset is the
 *   offset of the object's first record, zero-padded to `filename.offset.zero.pad.width` (10);
 * - `partitioner.class` TimeBasedPartitioner (`path.format` in Joda letters, `partition.duration.ms`,
 *   `timestamp.extractor` Record | RecordField (`timestamp.field`) | Wallclock, `timezone`),
 *   DefaultPartitioner (`partition=<n>`) or FieldPartitioner (`partition.field.name`);
 * - rotation: `flush.size` (records in the writer), `rotate.interval.ms` (record time: a record
 *   at least that much newer than the first one of the open object, or in another encoded
 *   partition, starts a new object) and `rotate.schedule.interval.ms` (wall clock: whatever is
 *   open is written at the next multiple of the interval since midnight in `timezone`);
 * - `format.class` JsonFormat: one JSON document per line (values through the configured
 *   `value.converter`: JsonConverter parses, StringConverter writes a JSON string, ByteArray
 *   base64), or ByteArrayFormat: each value's bytes as they are, followed by
 *   `format.bytearray.line.separator` (default "\n"), extension `format.bytearray.extension`
 *   (default `.bin`; needs ByteArrayConverter); `s3.compression.type` gzip or none;
 *   `behavior.on.null.values` ignore | fail;
 * - offsets are committed only after every object holding the records is written
 *   (at-least-once: a crash or a rebalance between the two re-delivers records).
 * A converter error stops the sink and reports the connector FAILED. An S3 write that fails with a
 * retriable error (5xx, SlowDown: what `POST /_local/faults/s3` injects) is retried after
 * `retry.backoff.ms` (default 3000 ms here) with the records kept and uncommitted, as the Connect
 * framework retries a RetriableException from the Confluent sink; any other write error fails it.
 */
import { gzipSync } from 'node:zlib';
import { formatTimestamp, parseTimePattern, timeFields, type TimeToken } from '../firehose/prefix.ts';
import type {
  CommitOffset,
  KafkaSource,
  OpenKafkaSource,
  SourceRecord,
  TopicPartition,
} from '../lambda/kafka-source.ts';
import { log } from '../logger.ts';
import { BUCKET_NAME, writeObject } from '../s3/tree.ts';

export const S3_SINK_CLASS = 'io.confluent.connect.s3.S3SinkConnector';

export interface SinkConfig {
  connectorName: string;
  topics: string[];
  bucket: string;
  topicsDir: string;
  flushSize: number;
  rotateIntervalMs: number;
  rotateScheduleIntervalMs: number;
  timeZone: string;
  partitioner: 'time' | 'default' | 'field';
  pathFormat: TimeToken[];
  partitionDurationMs: number;
  timestampExtractor: 'Record' | 'RecordField' | 'Wallclock';
  timestampField: string | undefined;
  partitionField: string | undefined;
  converter: 'json' | 'string' | 'bytes';
  /** JsonFormat (one JSON document per line) or ByteArrayFormat (the value bytes as they are). */
  format: 'json' | 'bytearray';
  /** What follows every record: "\n" for JsonFormat, `format.bytearray.line.separator` otherwise. */
  separator: string;
  gzip: boolean;
  nullValues: 'ignore' | 'fail';
  padWidth: number;
  extension: string;
}

export class SinkConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SinkConfigError';
  }
}

function integer(config: Record<string, string>, key: string, fallback: number | undefined, min: number): number {
  const raw = config[key];
  if (raw === undefined) {
    if (fallback === undefined)
      throw new SinkConfigError(`Missing required configuration "${key}" which has no default value.`);
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min)
    throw new SinkConfigError(`Invalid value ${raw} for configuration ${key}: must be an integer >= ${min}`);
  return value;
}

/** Joda `path.format` → tokens (Joda's `Y` is the year of era, `y` here). */
/** The partitioners and value converters the local sink provides, by their classes' simple names. */
const PARTITIONERS = {
  TimeBasedPartitioner: 'time',
  FieldPartitioner: 'field',
  DefaultPartitioner: 'default',
} as const;
const CONVERTERS = { JsonConverter: 'json', StringConverter: 'string', ByteArrayConverter: 'bytes' } as const;

/**
 * What a Java class setting (`key`, `fallback` when unset) names, by the class's simple name in
 * any package; a class the local sink does not provide is a configuration error naming it.
 */
function classSetting<K extends string>(
  config: Record<string, string>,
  key: string,
  fallback: string,
  kinds: Readonly<Record<string, K>>,
): K {
  const className = config[key] ?? fallback;
  const known = Object.keys(kinds).find((simpleName) => className.endsWith(`.${simpleName}`));
  if (known === undefined) throw new SinkConfigError(`The local S3 sink does not provide ${key} ${className}`);
  return kinds[known]!;
}

function parsePathFormat(pattern: string): TimeToken[] {
  let quoted = false;
  let converted = '';
  for (const ch of pattern) {
    if (ch === "'") quoted = !quoted;
    converted += !quoted && ch === 'Y' ? 'y' : ch;
  }
  try {
    return parseTimePattern(converted);
  } catch (error) {
    throw new SinkConfigError(
      `Invalid path.format '${pattern}': ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Reads and checks the connector configuration as the S3 sink would at start. */
export function parseSinkConfig(connectorName: string, config: Record<string, string>): SinkConfig {
  const topics = (config.topics ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (topics.length === 0)
    throw new SinkConfigError('Must configure one of topics or topics.regex (the local sink supports topics only)');
  const bucket = config['s3.bucket.name'];
  if (!bucket) throw new SinkConfigError('Missing required configuration "s3.bucket.name" which has no default value.');
  if (!BUCKET_NAME.test(bucket)) throw new SinkConfigError(`Invalid value ${bucket} for configuration s3.bucket.name`);
  const format = config['format.class'] ?? '';
  const byteArray = format.endsWith('.ByteArrayFormat');
  if (!format.endsWith('.JsonFormat') && !byteArray)
    throw new SinkConfigError(
      `The local S3 sink writes io.confluent.connect.s3.format.json.JsonFormat or format.bytearray.ByteArrayFormat only, not '${format || '(none)'}'`,
    );
  const compression = config['s3.compression.type'] ?? 'none';
  if (compression !== 'gzip' && compression !== 'none')
    throw new SinkConfigError(`Invalid value ${compression} for configuration s3.compression.type`);
  const partitioner = classSetting(
    config,
    'partitioner.class',
    'io.confluent.connect.storage.partitioner.DefaultPartitioner',
    PARTITIONERS,
  );
  const timeZone = config.timezone ?? '';
  const rotateScheduleIntervalMs = integer(config, 'rotate.schedule.interval.ms', -1, -1);
  const timestampExtractor = (config['timestamp.extractor'] ?? 'Wallclock') as SinkConfig['timestampExtractor'];
  if (!['Record', 'RecordField', 'Wallclock'].includes(timestampExtractor))
    throw new SinkConfigError(`Invalid value ${timestampExtractor} for configuration timestamp.extractor`);
  if ((partitioner === 'time' || rotateScheduleIntervalMs > 0) && timeZone === '') {
    throw new SinkConfigError(
      'Invalid value for configuration timezone: a timezone is required for time-based partitioning and scheduled rotation',
    );
  }
  if (timeZone !== '') {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone });
    } catch {
      throw new SinkConfigError(`Invalid value ${timeZone} for configuration timezone`);
    }
  }
  const pathFormat = partitioner === 'time' ? parsePathFormat(config['path.format'] ?? '') : [];
  if (partitioner === 'time' && pathFormat.length === 0)
    throw new SinkConfigError('Missing required configuration "path.format" which has no default value.');
  const converter = classSetting(config, 'value.converter', 'org.apache.kafka.connect.json.JsonConverter', CONVERTERS);
  if (byteArray && converter !== 'bytes')
    throw new SinkConfigError(
      'ByteArrayFormat writes byte[] values only: set value.converter=org.apache.kafka.connect.converters.ByteArrayConverter',
    );
  if (converter === 'json' && config['value.converter.schemas.enable'] !== 'false') {
    throw new SinkConfigError('The local S3 sink reads schemaless JSON only: set value.converter.schemas.enable=false');
  }
  return {
    connectorName,
    topics,
    bucket,
    topicsDir: (config['topics.dir'] ?? 'topics').replace(/^\/+|\/+$/g, ''),
    flushSize: integer(config, 'flush.size', undefined, 1),
    rotateIntervalMs: integer(config, 'rotate.interval.ms', -1, -1),
    rotateScheduleIntervalMs,
    timeZone: timeZone || 'UTC',
    partitioner,
    pathFormat,
    partitionDurationMs: partitioner === 'time' ? integer(config, 'partition.duration.ms', undefined, 1) : 0,
    timestampExtractor,
    timestampField: config['timestamp.field'],
    partitionField: config['partition.field.name'],
    converter,
    format: byteArray ? 'bytearray' : 'json',
    separator: byteArray ? (config['format.bytearray.line.separator'] ?? '\n') : '\n',
    gzip: compression === 'gzip',
    nullValues: config['behavior.on.null.values'] === 'ignore' ? 'ignore' : 'fail',
    padWidth: integer(config, 'filename.offset.zero.pad.width', 10, 0),
    extension: `${byteArray ? (config['format.bytearray.extension'] ?? '.bin') : '.json'}${compression === 'gzip' ? '.gz' : ''}`,
  };
}

/** Milliseconds since midnight of `epochMs` in `timeZone`. */
function msSinceMidnight(epochMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return ((epochMs % 86_400_000) + 86_400_000) % 86_400_000;
  const { hour, minute, second, millisecond } = timeFields(epochMs, timeZone);
  return ((hour * 60 + minute) * 60 + second) * 1000 + millisecond;
}

/** The next wall-clock rotation: the next multiple of the interval since midnight in the time zone. */
export function nextScheduledRotation(now: number, intervalMs: number, timeZone: string): number {
  const sinceMidnight = msSinceMidnight(now, timeZone);
  const midnight = now - sinceMidnight;
  const next = midnight + (Math.floor(sinceMidnight / intervalMs) + 1) * intervalMs;
  return Math.min(next, midnight + 86_400_000);
}

interface Converted {
  line: string;
  value: unknown;
}

interface OpenFile {
  startOffset: bigint;
  lines: string[];
}

/** Confluent's TopicPartitionWriter, reduced to what the local sink needs. */
class PartitionWriter {
  readonly topic: string;
  readonly partition: number;
  files = new Map<string, OpenFile>();
  recordCount = 0;
  baseTimestamp = 0;
  currentEncoded: string | undefined;
  /** Offset of the last record added (the commit after a flush is this + 1). */
  lastOffset = -1n;
  leaderEpoch = -1;
  /** The next offset expected from the consumer (re-reads after a rebalance are dropped). */
  nextOffset: bigint | undefined;

  constructor(topic: string, partition: number) {
    this.topic = topic;
    this.partition = partition;
  }
}

export interface SinkDeps {
  s3Root: string;
  openSource: OpenKafkaSource;
  /** The sink stopped on an error (the connector becomes FAILED). */
  onFailure(message: string): void;
  now?: () => number;
  /** Called before each object write; a returned error fails that write (injected S3 faults). */
  beforeWrite?: (bucket: string, key: string) => Error | undefined;
  /** Wait before retrying a failed write (default 3000 ms). */
  retryBackoffMs?: number;
}

/** An S3 write failure the Connect framework retries (throttling, 5xx). */
export class RetriableWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RetriableWriteError';
  }
}

export interface SinkStats {
  recordsWritten: number;
  objectsWritten: number;
  buffered: number;
}

export class S3Sink {
  readonly config: SinkConfig;
  private readonly brokers: readonly string[];
  private readonly deps: SinkDeps;
  private readonly writers = new Map<string, PartitionWriter>();
  private source: KafkaSource | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryTimers = new Set<NodeJS.Timeout>();
  private nextRotation = 0;
  private stopped = false;
  private commitChain: Promise<void> = Promise.resolve();
  readonly stats: SinkStats = { recordsWritten: 0, objectsWritten: 0, buffered: 0 };

  constructor(config: SinkConfig, brokers: readonly string[], deps: SinkDeps) {
    this.config = config;
    this.brokers = brokers;
    this.deps = deps;
  }

  private now(): number {
    return this.deps.now?.() ?? Date.now();
  }

  /** Opens the consumer (resolves once it has joined its group). */
  async start(): Promise<void> {
    this.source = await this.deps.openSource(
      {
        brokers: this.brokers,
        groupId: `connect-${this.config.connectorName}`,
        topic: this.config.topics[0] ?? '',
        topics: this.config.topics,
        startingPosition: 'TRIM_HORIZON',
        clientId: `connector-consumer-${this.config.connectorName}-0`,
      },
      {
        onRecord: (record) => this.onRecord(record),
        onAssignment: (partitions) => this.onAssignment(partitions),
        onError: (error) => this.fail(`The Kafka consumer failed: ${error.message}`),
      },
    );
    if (this.stopped) {
      await this.source.close();
      return;
    }
    if (this.config.rotateScheduleIntervalMs > 0) this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = this.now();
    this.nextRotation = nextScheduledRotation(now, this.config.rotateScheduleIntervalMs, this.config.timeZone);
    this.timer = setTimeout(
      () => {
        for (const writer of this.writers.values()) if (writer.recordCount > 0) this.flush(writer);
        this.schedule();
      },
      Math.max(1, this.nextRotation - now),
    );
  }

  private key(topic: string, partition: number): string {
    return `${topic}-${partition}`;
  }

  private onAssignment(partitions: TopicPartition[]): void {
    const owned = new Set(partitions.map((p) => this.key(p.topic, p.partition)));
    for (const [key, writer] of this.writers) {
      // Not ours any more: its buffered records are uncommitted and the new owner reads them.
      if (!owned.has(key)) {
        this.stats.buffered -= writer.recordCount;
        this.writers.delete(key);
      }
    }
  }

  private convert(record: SourceRecord): Converted | undefined {
    if (record.value === undefined) {
      if (this.config.nullValues === 'ignore') return undefined;
      throw new Error(
        `Null valued records are not writeable with current behavior.on.null.values 'settings' (${record.topic}-${record.partition} offset ${record.offset})`,
      );
    }
    if (this.config.converter === 'string') {
      const text = record.value.toString('utf8');
      return { line: JSON.stringify(text), value: text };
    }
    if (this.config.format === 'bytearray') return { line: record.value.toString('utf8'), value: undefined };
    if (this.config.converter === 'bytes')
      return { line: JSON.stringify(record.value.toString('base64')), value: undefined };
    let value: unknown;
    try {
      value = JSON.parse(record.value.toString('utf8'));
    } catch (error) {
      throw new Error(
        `Converting byte[] to Kafka Connect data failed due to serialization error of topic ${record.topic}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (value === null) return this.config.nullValues === 'ignore' ? undefined : { line: 'null', value };
    return { line: JSON.stringify(value), value };
  }

  private timestampOf(record: SourceRecord, value: unknown): number {
    if (this.config.timestampExtractor === 'Record') return Number(record.timestamp);
    if (this.config.timestampExtractor === 'Wallclock') return this.now();
    const field = this.config.timestampField ?? 'timestamp';
    let current: unknown = value;
    for (const part of field.split('.'))
      current =
        current !== null && typeof current === 'object' ? (current as Record<string, unknown>)[part] : undefined;
    if (typeof current === 'number') return current;
    if (typeof current === 'string' && !Number.isNaN(Date.parse(current))) return Date.parse(current);
    throw new Error(
      `Unable to extract the timestamp field '${field}' of record ${record.topic}-${record.partition}@${record.offset}`,
    );
  }

  private encodedPartition(record: SourceRecord, value: unknown, timestamp: number): string {
    if (this.config.partitioner === 'default') return `partition=${record.partition}`;
    if (this.config.partitioner === 'field') {
      const name = this.config.partitionField ?? '';
      return name
        .split(',')
        .map((f) => `${f.trim()}=${String((value as Record<string, unknown> | null)?.[f.trim()] ?? 'null')}`)
        .join('/');
    }
    const floored = Math.floor(timestamp / this.config.partitionDurationMs) * this.config.partitionDurationMs;
    return formatTimestamp(this.config.pathFormat, floored, this.config.timeZone);
  }

  private onRecord(record: SourceRecord): void {
    if (this.stopped) return;
    const key = this.key(record.topic, record.partition);
    let writer = this.writers.get(key);
    if (!writer) {
      writer = new PartitionWriter(record.topic, record.partition);
      this.writers.set(key, writer);
    }
    if (writer.nextOffset !== undefined && record.offset < writer.nextOffset) return;
    writer.nextOffset = record.offset + 1n;
    try {
      const converted = this.convert(record);
      writer.lastOffset = record.offset;
      writer.leaderEpoch = record.leaderEpoch;
      if (!converted) {
        if (writer.recordCount === 0) this.commit([writer]);
        return;
      }
      const timestamp = this.timestampOf(record, converted.value);
      const encoded = this.encodedPartition(record, converted.value, timestamp);
      if (
        writer.recordCount > 0 &&
        this.config.rotateIntervalMs > 0 &&
        (timestamp - writer.baseTimestamp >= this.config.rotateIntervalMs || encoded !== writer.currentEncoded)
      ) {
        this.flush(writer, record.offset);
      }
      if (writer.recordCount === 0) writer.baseTimestamp = timestamp;
      writer.currentEncoded = encoded;
      let file = writer.files.get(encoded);
      if (!file) {
        file = { startOffset: record.offset, lines: [] };
        writer.files.set(encoded, file);
      }
      file.lines.push(converted.line);
      writer.recordCount += 1;
      this.stats.buffered += 1;
      if (writer.recordCount >= this.config.flushSize) this.flush(writer);
    } catch (error) {
      this.fail(error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * Writes every open object of the writer, then commits its offsets. `upTo`: the offset of the
   * record that triggered a record-time rotation (not part of what is written).
   */
  private flush(writer: PartitionWriter, upTo?: bigint): void {
    const files = writer.files;
    const count = writer.recordCount;
    writer.files = new Map();
    writer.recordCount = 0;
    this.stats.buffered -= count;
    try {
      for (const [encoded, file] of files) {
        const name = `${writer.topic}+${writer.partition}+${file.startOffset.toString().padStart(this.config.padWidth, '0')}${this.config.extension}`;
        const key = [this.config.topicsDir, writer.topic, encoded, name].filter((s) => s !== '').join('/');
        const body = `${file.lines.join(this.config.separator)}${this.config.separator}`;
        const refused = this.deps.beforeWrite?.(this.config.bucket, key);
        if (refused) throw refused;
        writeObject(this.deps.s3Root, this.config.bucket, key, this.config.gzip ? gzipSync(body) : body);
        files.delete(encoded);
        this.stats.objectsWritten += 1;
        this.stats.recordsWritten += file.lines.length;
        log.debug('connector wrote object', {
          connector: this.config.connectorName,
          key,
          records: file.lines.length,
        });
      }
    } catch (error) {
      if (error instanceof RetriableWriteError && !this.stopped) {
        // Keep what was not written (ahead of anything buffered since) and try again later;
        // nothing is committed until it is in S3.
        for (const [encoded, file] of writer.files) {
          const kept = files.get(encoded);
          if (kept) kept.lines.push(...file.lines);
          else files.set(encoded, file);
        }
        const pending = [...files.values()].reduce((n, f) => n + f.lines.length, 0);
        writer.files = files;
        this.stats.buffered += pending - writer.recordCount;
        writer.recordCount = pending;
        log.warn('connector S3 write failed; retrying', {
          connector: this.config.connectorName,
          error: error.message,
        });
        const retry = setTimeout(() => {
          this.retryTimers.delete(retry);
          if (!this.stopped && writer.recordCount > 0) this.flush(writer, upTo);
        }, this.deps.retryBackoffMs ?? 3_000);
        this.retryTimers.add(retry);
        return;
      }
      this.fail(
        `Failed to write to s3://${this.config.bucket}: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    this.commit([writer], upTo);
  }

  private commit(writers: PartitionWriter[], upTo?: bigint): void {
    const offsets: CommitOffset[] = writers.map((w) => ({
      topic: w.topic,
      partition: w.partition,
      offset: upTo ?? w.lastOffset + 1n,
      leaderEpoch: w.leaderEpoch,
    }));
    const source = this.source;
    if (!source) return;
    this.commitChain = this.commitChain
      .then(() => source.commit(offsets))
      .catch((error: unknown) => {
        // A rebalance can refuse the commit; the records are read again (at-least-once).
        log.warn('connector offset commit failed', {
          connector: this.config.connectorName,
          error: error instanceof Error ? error.message : String(error),
        });
      });
  }

  private fail(message: string): void {
    if (this.stopped) return;
    log.warn('connector failed', { connector: this.config.connectorName, message });
    void this.stop();
    this.deps.onFailure(message);
  }

  /** Closes the consumer. Open objects are not written: their records are uncommitted and read again by the next consumer of the group. */
  async stop(): Promise<void> {
    if (this.stopped) {
      await this.commitChain;
      return;
    }
    this.stopped = true;
    clearTimeout(this.timer);
    for (const t of this.retryTimers) clearTimeout(t);
    this.retryTimers.clear();
    await this.commitChain;
    await this.source?.close();
  }
}
