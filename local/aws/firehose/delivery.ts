/**
 * Buffering and delivery of one delivery stream into the local S3 tree.
 *
 * Records are processed on arrival (de-aggregation, partition-key extraction, delimiter), then
 * buffered per partition (per set of partition-key values; failed records in their own error
 * partition). A partition is written as one object when its buffer reaches `SizeInMBs` or its
 * oldest record is `IntervalInSeconds` old, and on `flushAll()` / `close()`.
 *
 * Durability: accepted records are appended to `<dataDir>/firehose/buffers/<stream>/<id>.buf`
 * before the Put call is answered, and the file is removed only after the object was written.
 * A restart (even after a crash) therefore re-buffers them: nothing acknowledged is lost. As with
 * the real service, a crash between writing an object and removing the buffer file can deliver
 * those records twice (at-least-once).
 *
 * Objects are written to `<s3Root>/<bucket>/<key>` through a temporary file and a rename
 * (s3/tree.ts), so a reader never sees half an object.
 */
import { createHash, randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Clock } from '../clock.ts';
import { log } from '../logger.ts';
import { writeObject } from '../s3/tree.ts';
import type { JqResult, JqValue } from './jq.ts';
import { objectName, PrefixError, renderPrefix } from './prefix.ts';
import type { CompiledDestination } from './stream-config.ts';

interface BufferedRecord {
  data: Buffer;
  arrival: number;
}

interface Partition {
  id: string;
  keys: Record<string, string> | undefined;
  errorType: string | undefined;
  records: BufferedRecord[];
  bytes: number;
  oldest: number;
  cancelTimer: (() => void) | undefined;
  file: string;
}

export interface DeliveredObject {
  bucket: string;
  key: string;
  records: number;
  bytes: number;
}

export interface DeliveryOptions {
  stream: string;
  version: string;
  destination: CompiledDestination;
  /** `<dataDir>/firehose/buffers/<stream>` */
  bufferDir: string;
  /** `<dataDir>/s3` */
  s3Root: string;
  clock: Clock;
  onDelivered?: (object: DeliveredObject) => void;
}

/** Where failed records go, and why (the `!{firehose:error-output-type}` value and errorCode). */
export interface RecordFailure {
  errorType: string;
  errorCode: string;
  message: string;
}

const FRAME_META = 1;
const FRAME_RECORD = 2;

function frame(type: number, arrival: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt8(type, 0);
  header.writeUInt32BE(payload.length, 1);
  header.writeDoubleBE(arrival, 5);
  return Buffer.concat([header, payload]);
}

function* readFrames(bytes: Buffer): Generator<{ type: number; arrival: number; payload: Buffer }> {
  let offset = 0;
  while (offset + 13 <= bytes.length) {
    const type = bytes.readUInt8(offset);
    const length = bytes.readUInt32BE(offset + 1);
    const arrival = bytes.readDoubleBE(offset + 5);
    if (offset + 13 + length > bytes.length) return; // torn write at a crash: the tail was never acknowledged
    yield { type, arrival, payload: bytes.subarray(offset + 13, offset + 13 + length) };
    offset += 13 + length;
  }
}

/** Splits concatenated JSON values (`{..}{..}` or newline-separated); undefined when malformed. */
export function splitJsonRecords(data: Buffer): Buffer[] | undefined {
  const text = data.toString('utf8');
  const out: Buffer[] = [];
  let depth = 0;
  let inString = false;
  let start = -1;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (inString) {
      if (ch === '\\') i += 1;
      else if (ch === '"') inString = false;
      continue;
    }
    if (ch === '"') {
      inString = true;
      if (start < 0) return undefined; // a bare string at top level is not a JSON record
      continue;
    }
    if (ch === '{' || ch === '[') {
      if (depth === 0) start = i;
      depth += 1;
    } else if (ch === '}' || ch === ']') {
      depth -= 1;
      if (depth < 0) return undefined;
      if (depth === 0) {
        out.push(Buffer.from(text.slice(start, i + 1), 'utf8'));
        start = -1;
      }
    } else if (depth === 0 && !/\s/.test(ch ?? '')) {
      return undefined;
    }
  }
  return depth === 0 && !inString ? out : undefined;
}

function splitDelimited(data: Buffer, delimiter: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const at = data.indexOf(delimiter, offset);
    if (at < 0) break;
    out.push(data.subarray(offset, at));
    offset = at + delimiter.length;
  }
  if (offset < data.length) out.push(data.subarray(offset));
  return out.filter((b) => b.length > 0);
}

/** Turns the query's result for one record into prefix key values, or explains why it cannot. */
export function partitionValues(result: JqResult, keys: readonly string[]): Record<string, string> | string {
  if ('error' in result) return `MetadataExtractionQuery failed: ${result.error}`;
  const [value, ...more] = result.outputs;
  if (value === undefined) return 'The MetadataExtractionQuery produced no output';
  if (more.length > 0)
    return `The MetadataExtractionQuery produced ${result.outputs.length} outputs; it must produce one`;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return 'The MetadataExtractionQuery must produce a JSON object';
  const values: Record<string, string> = {};
  for (const key of keys) {
    const field = value[key];
    if (field === undefined || field === null) return `partitionKeys values must not be null or empty (key '${key}')`;
    if (typeof field === 'object')
      return `partition key '${key}' must be a string, number or boolean, got ${Array.isArray(field) ? 'array' : 'object'}`;
    // jq's `tostring`: strings unchanged, numbers and booleans as JSON.
    const text = typeof field === 'string' ? field : JSON.stringify(field);
    if (text === '') return `partitionKeys values must not be null or empty (key '${key}')`;
    values[key] = text;
  }
  return values;
}

export class DeliveryBuffer {
  private readonly options: DeliveryOptions;
  private readonly partitions = new Map<string, Partition>();
  private closed = false;
  /** Records delivered and objects written since start (status page, tests). */
  readonly stats = { records: 0, objects: 0, errorRecords: 0 };

  constructor(options: DeliveryOptions) {
    this.options = options;
    mkdirSync(options.bufferDir, { recursive: true });
    this.restore();
  }

  /** Records and bytes currently buffered. */
  get buffered(): { partitions: number; records: number; bytes: number } {
    let records = 0;
    let bytes = 0;
    for (const p of this.partitions.values()) {
      records += p.records.length;
      bytes += p.bytes;
    }
    return { partitions: this.partitions.size, records, bytes };
  }

  /**
   * Accepts records of one Put call (already validated, not failed by fault injection): they are
   * processed, persisted to the buffer files and may trigger size flushes.
   */
  accept(records: readonly Buffer[]): void {
    if (this.closed) throw new Error(`delivery stream ${this.options.stream} is closed`);
    const arrival = this.options.clock.now();
    const byPartition = new Map<
      string,
      { keys: Record<string, string> | undefined; errorType: string | undefined; data: Buffer[] }
    >();
    const add = (
      groupKey: string,
      keys: Record<string, string> | undefined,
      errorType: string | undefined,
      data: Buffer,
    ): void => {
      let group = byPartition.get(groupKey);
      if (!group) {
        group = { keys, errorType, data: [] };
        byPartition.set(groupKey, group);
      }
      group.data.push(data);
    };
    for (const processed of this.process(records, arrival)) {
      if ('failure' in processed)
        add(`error:${processed.failure.errorType}`, undefined, processed.failure.errorType, processed.data);
      else add(processed.keys ? JSON.stringify(processed.keys) : '', processed.keys, undefined, processed.data);
    }
    for (const [groupKey, group] of byPartition) {
      this.append(groupKey, group.keys, group.errorType, group.data, arrival);
    }
  }

  /** De-aggregation, then the partition keys of every (sub-)record from one run of the query. */
  private process(
    records: readonly Buffer[],
    arrival: number,
  ): Array<{ data: Buffer; keys: Record<string, string> | undefined } | { data: Buffer; failure: RecordFailure }> {
    const { destination } = this.options;
    const subRecords = records.flatMap((record): Buffer[] => {
      if (destination.deaggregation?.kind === 'DELIMITED')
        return splitDelimited(record, destination.deaggregation.delimiter);
      if (destination.deaggregation?.kind === 'JSON') return splitJsonRecords(record) ?? [record];
      return [record];
    });
    const withDelimiter = (data: Buffer): Buffer =>
      destination.delimiter ? Buffer.concat([data, destination.delimiter]) : data;
    const query = destination.query;
    if (!query) return subRecords.map((data) => ({ data: withDelimiter(data), keys: undefined }));

    const parsed = subRecords.map((data): { value: JqValue } | undefined => {
      try {
        return { value: JSON.parse(data.toString('utf8')) as JqValue };
      } catch {
        return undefined;
      }
    });
    const results = query.evaluateAll(parsed.flatMap((p) => (p ? [p.value] : [])));
    let next = 0;
    return subRecords.map((data, i) => {
      const result = parsed[i] ? results[next++] : undefined;
      const values = result ? partitionValues(result, destination.prefixKeys) : 'Non JSON record provided';
      if (typeof values !== 'string') return { data: withDelimiter(data), keys: values };
      const envelope = {
        attemptsMade: 1,
        arrivalTimestamp: arrival,
        errorCode: 'DynamicPartitioning.MetadataExtractionFailed',
        errorMessage: values,
        attemptEndingTimestamp: arrival,
        rawData: data.toString('base64'),
      };
      return {
        data: Buffer.from(`${JSON.stringify(envelope)}\n`),
        failure: { errorType: 'partitioning-failed', errorCode: envelope.errorCode, message: values },
      };
    });
  }

  private append(
    groupKey: string,
    keys: Record<string, string> | undefined,
    errorType: string | undefined,
    data: Buffer[],
    arrival: number,
  ): void {
    let partition = this.partitions.get(groupKey);
    const frames: Buffer[] = [];
    if (!partition) {
      const id = createHash('sha1').update(groupKey).digest('hex').slice(0, 20);
      partition = {
        id,
        keys,
        errorType,
        records: [],
        bytes: 0,
        oldest: arrival,
        cancelTimer: undefined,
        file: join(this.options.bufferDir, `${id}.buf`),
      };
      this.partitions.set(groupKey, partition);
      frames.push(frame(FRAME_META, arrival, Buffer.from(JSON.stringify({ groupKey, keys, errorType }))));
      this.scheduleFlush(groupKey, partition);
    }
    for (const d of data) {
      frames.push(frame(FRAME_RECORD, arrival, d));
      partition.records.push({ data: d, arrival });
      partition.bytes += d.length;
    }
    appendFileSync(partition.file, Buffer.concat(frames));
    if (partition.bytes >= this.options.destination.sizeBytes) this.flushPartition(groupKey);
  }

  private scheduleFlush(groupKey: string, partition: Partition): void {
    const due = partition.oldest + this.options.destination.intervalMs - this.options.clock.now();
    partition.cancelTimer = this.options.clock.schedule(() => {
      partition.cancelTimer = undefined;
      if (this.partitions.get(groupKey) === partition) this.flushPartition(groupKey);
    }, due);
  }

  private restore(): void {
    let restored = 0;
    for (const file of readdirSync(this.options.bufferDir)) {
      if (!file.endsWith('.buf')) continue;
      const path = join(this.options.bufferDir, file);
      let meta: { groupKey: string; keys?: Record<string, string>; errorType?: string } | undefined;
      const records: BufferedRecord[] = [];
      for (const f of readFrames(readFileSync(path))) {
        if (f.type === FRAME_META) meta = JSON.parse(f.payload.toString('utf8')) as typeof meta;
        else if (f.type === FRAME_RECORD) records.push({ data: Buffer.from(f.payload), arrival: f.arrival });
      }
      if (!meta || records.length === 0) {
        unlinkSync(path);
        continue;
      }
      const partition: Partition = {
        id: file.slice(0, -4),
        keys: meta.keys,
        errorType: meta.errorType,
        records,
        bytes: records.reduce((n, r) => n + r.data.length, 0),
        oldest: records[0]?.arrival ?? this.options.clock.now(),
        cancelTimer: undefined,
        file: path,
      };
      this.partitions.set(meta.groupKey, partition);
      this.scheduleFlush(meta.groupKey, partition);
      restored += records.length;
    }
    if (restored > 0) log.info('restored buffered records', { stream: this.options.stream, records: restored });
  }

  private flushPartition(groupKey: string): void {
    const partition = this.partitions.get(groupKey);
    if (!partition || partition.records.length === 0) return;
    const { destination, stream, version, s3Root } = this.options;
    partition.cancelTimer?.();
    let key: string;
    try {
      const prefix = renderPrefix(partition.errorType ? destination.errorPrefix : destination.prefix, {
        timestamp: partition.oldest,
        timeZone: destination.timeZone,
        ...(partition.keys ? { partitionKeys: partition.keys } : {}),
        ...(partition.errorType ? { errorOutputType: partition.errorType } : {}),
      });
      key =
        prefix +
        objectName(stream, version, partition.oldest, destination.extension, destination.timeZone, randomUUID());
    } catch (error) {
      // Cannot happen for validated streams; keep the data and say why.
      log.error('cannot render the object key; records stay buffered', {
        stream,
        error: error instanceof PrefixError ? error.message : String(error),
      });
      return;
    }
    const content = Buffer.concat(partition.records.map((r) => r.data));
    const body = destination.compression === 'GZIP' ? gzipSync(content) : content;
    try {
      writeObject(s3Root, destination.bucket, key, body);
    } catch (error) {
      log.error('writing the S3 object failed; records stay buffered and are retried', {
        stream,
        key,
        error: String(error),
      });
      partition.cancelTimer = this.options.clock.schedule(() => this.flushPartition(groupKey), 1000);
      return;
    }
    rmSync(partition.file, { force: true });
    this.partitions.delete(groupKey);
    this.stats.objects += 1;
    if (partition.errorType) this.stats.errorRecords += partition.records.length;
    else this.stats.records += partition.records.length;
    log.info('delivered object', {
      stream,
      bucket: destination.bucket,
      key,
      records: partition.records.length,
    });
    this.options.onDelivered?.({
      bucket: destination.bucket,
      key,
      records: partition.records.length,
      bytes: body.length,
    });
  }

  /** Writes every buffered partition now. */
  flushAll(): void {
    for (const groupKey of [...this.partitions.keys()]) this.flushPartition(groupKey);
  }

  /** Flushes and stops the timers; the buffer directory is left (empty) in place. */
  close(): void {
    if (this.closed) return;
    this.flushAll();
    for (const p of this.partitions.values()) p.cancelTimer?.();
    this.closed = true;
  }
}
