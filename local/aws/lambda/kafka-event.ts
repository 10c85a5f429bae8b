/**
 * The event Lambda delivers for Kafka sources, built exactly as the service does:
 * - MSK: `{ eventSource: "aws:kafka", eventSourceArn, bootstrapServers, records }`;
 * - self-managed: `{ eventSource: "SelfManagedKafka", bootstrapServers, records }`;
 * `records` is keyed `"<topic>-<partition>"`, each record with base64 `key` (absent for a null
 * key) and `value`, `headers` as `[{ "<name>": [byte, ...] }]`, `timestamp` (ms) and
 * `timestampType`.
 */
import type { MSKEvent, MSKRecord, SelfManagedKafkaEvent } from 'aws-lambda';
import type { SourceRecord } from './kafka-source.ts';

export type KafkaEvent = MSKEvent | SelfManagedKafkaEvent;

export interface EventSource {
  /** The MSK cluster ARN; absent for self-managed Kafka. */
  eventSourceArn?: string | undefined;
  bootstrapServers: readonly string[];
}

export const partitionKeyOf = (topic: string, partition: number): string => `${topic}-${partition}`;

export function toEventRecord(record: SourceRecord): MSKRecord {
  const event: Partial<MSKRecord> & Omit<MSKRecord, 'key'> = {
    topic: record.topic,
    partition: record.partition,
    offset: Number(record.offset),
    timestamp: Number(record.timestamp),
    timestampType: 'CREATE_TIME',
    value: record.value === undefined ? '' : record.value.toString('base64'),
    headers: record.headers.map(([name, value]) => ({ [name.toString('utf8')]: [...value] })),
  };
  if (record.key !== undefined) event.key = record.key.toString('base64');
  return event as MSKRecord;
}

export function buildKafkaEvent(source: EventSource, records: readonly SourceRecord[]): KafkaEvent {
  const grouped: Record<string, MSKRecord[]> = {};
  for (const record of records) {
    const key = partitionKeyOf(record.topic, record.partition);
    (grouped[key] ??= []).push(toEventRecord(record));
  }
  const bootstrapServers = source.bootstrapServers.join(',');
  if (source.eventSourceArn !== undefined) {
    return {
      eventSource: 'aws:kafka',
      eventSourceArn: source.eventSourceArn,
      bootstrapServers,
      records: grouped,
    };
  }
  return { eventSource: 'SelfManagedKafka', bootstrapServers, records: grouped };
}

/** Rough size of a record in the event JSON, to keep invocations under Lambda's 6 MB payload limit. */
export function estimateEventBytes(record: SourceRecord): number {
  const b64 = (n: number): number => Math.ceil(n / 3) * 4;
  let size = 160 + record.topic.length + b64(record.key?.length ?? 0) + b64(record.value?.length ?? 0);
  for (const [name, value] of record.headers) size += name.length + 8 + value.length * 4;
  return size;
}

/** Lambda's synchronous invocation payload limit. */
export const MAX_EVENT_BYTES = 6 * 1024 * 1024;
