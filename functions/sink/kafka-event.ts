/**
 * The event Lambda's Kafka event source mappings deliver, for Amazon MSK (`aws:kafka`) and
 * self-managed Apache Kafka (`SelfManagedKafka`): records grouped by `"<topic>-<partition>"`,
 * key and value base64-encoded, header values as arrays of byte values.
 * https://docs.aws.amazon.com/lambda/latest/dg/with-msk.html (example event)
 */
import { NamedError } from '../lib/errors.ts';

export interface KafkaEventRecord {
  topic: string;
  partition: number;
  offset: number;
  /** Record timestamp, ms epoch (CREATE_TIME or LOG_APPEND_TIME). */
  timestamp: number;
  timestampType?: string;
  /** base64; absent or null for records without a key. */
  key?: string | null;
  /** base64; null for tombstones. */
  value?: string | null;
  /** One object per header: `{ "<name>": [byte, ...] }`. */
  headers?: Record<string, number[] | string>[];
}

export type KafkaEventSource = 'aws:kafka' | 'SelfManagedKafka';

export interface KafkaEvent {
  eventSource: KafkaEventSource;
  /** MSK cluster ARN (MSK only). */
  eventSourceArn?: string;
  bootstrapServers?: string;
  records: Record<string, KafkaEventRecord[]>;
}

/** One topic-partition of an event, records in offset order. */
export interface PartitionBatch {
  /** The key Lambda used in `records` (`"<topic>-<partition>"`); partial batch responses name it. */
  key: string;
  topic: string;
  partition: number;
  records: KafkaEventRecord[];
}

/**
 * The invocation payload is not a Kafka event. Thrown (not reported per record) because no
 * record can be identified: Lambda then retries the whole batch and, after the mapping's
 * retry limit, sends it to the on-failure destination.
 */
export class InvalidKafkaEventError extends NamedError {}

function isInt(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function checkRecord(r: unknown, where: string): asserts r is KafkaEventRecord {
  if (r === null || typeof r !== 'object') throw new InvalidKafkaEventError(`${where}: record is not an object`);
  const rec = r as Record<string, unknown>;
  if (typeof rec.topic !== 'string' || rec.topic === '')
    throw new InvalidKafkaEventError(`${where}: topic must be a non-empty string`);
  if (!isInt(rec.partition)) throw new InvalidKafkaEventError(`${where}: partition must be a non-negative integer`);
  if (!isInt(rec.offset)) throw new InvalidKafkaEventError(`${where}: offset must be a non-negative integer`);
  if (rec.key !== undefined && rec.key !== null && typeof rec.key !== 'string')
    throw new InvalidKafkaEventError(`${where}: key must be a base64 string or null`);
  if (rec.value !== undefined && rec.value !== null && typeof rec.value !== 'string')
    throw new InvalidKafkaEventError(`${where}: value must be a base64 string or null`);
  if (rec.headers !== undefined && rec.headers !== null && !Array.isArray(rec.headers))
    throw new InvalidKafkaEventError(`${where}: headers must be an array`);
}

/**
 * Checks the event's shape and returns its partitions, each with its records in offset order
 * (Lambda already delivers them so; sorting keeps "first undelivered" correct regardless).
 */
export function readKafkaEvent(event: unknown): {
  source: KafkaEventSource;
  eventSourceArn: string | undefined;
  partitions: PartitionBatch[];
} {
  if (event === null || typeof event !== 'object') throw new InvalidKafkaEventError('event is not an object');
  const e = event as Record<string, unknown>;
  if (e.eventSource !== 'aws:kafka' && e.eventSource !== 'SelfManagedKafka') {
    throw new InvalidKafkaEventError(`eventSource '${String(e.eventSource)}' is not aws:kafka or SelfManagedKafka`);
  }
  if (e.records === null || typeof e.records !== 'object' || Array.isArray(e.records)) {
    throw new InvalidKafkaEventError('records must be an object keyed by "<topic>-<partition>"');
  }
  const partitions: PartitionBatch[] = [];
  for (const [key, list] of Object.entries(e.records as Record<string, unknown>)) {
    if (!Array.isArray(list)) throw new InvalidKafkaEventError(`records['${key}'] must be an array`);
    if (list.length === 0) continue;
    list.forEach((r, i) => checkRecord(r, `records['${key}'][${i}]`));
    const records = list as KafkaEventRecord[];
    const first = records[0]!;
    for (const r of records) {
      if (r.topic !== first.topic || r.partition !== first.partition) {
        throw new InvalidKafkaEventError(
          `records['${key}'] mixes topic-partitions (${first.topic}-${first.partition} and ${r.topic}-${r.partition})`,
        );
      }
    }
    let ordered = true;
    for (let i = 1; i < records.length; i++) if (records[i]!.offset <= records[i - 1]!.offset) ordered = false;
    partitions.push({
      key,
      topic: first.topic,
      partition: first.partition,
      records: ordered ? records : [...records].sort((a, b) => a.offset - b.offset),
    });
  }
  return {
    source: e.eventSource,
    eventSourceArn: typeof e.eventSourceArn === 'string' ? e.eventSourceArn : undefined,
    partitions,
  };
}

export interface KafkaHeader {
  name: string;
  value: string;
}

const utf8 = new TextDecoder('utf-8');

/**
 * Header values arrive as arrays of byte values (signed or unsigned, depending on the poller);
 * decoded here as UTF-8. Kafka allows repeated header names, so the result is a list in order.
 * A value given as a string (some emulators send base64) is decoded from base64.
 */
export function decodeHeaders(headers: KafkaEventRecord['headers']): KafkaHeader[] {
  const out: KafkaHeader[] = [];
  for (const header of headers ?? []) {
    if (header === null || typeof header !== 'object') continue;
    for (const [name, raw] of Object.entries(header)) {
      if (Array.isArray(raw)) {
        const bytes = new Uint8Array(raw.length);
        for (let i = 0; i < raw.length; i++) bytes[i] = Number(raw[i]) & 0xff;
        out.push({ name, value: utf8.decode(bytes) });
      } else if (typeof raw === 'string') {
        out.push({ name, value: Buffer.from(raw, 'base64').toString('utf8') });
      }
    }
  }
  return out;
}
