import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { decodeHeaders, type KafkaEventRecord, type KafkaEventSource, type KafkaHeader } from './kafka-event.ts';
import type { DeadLetterReason } from './prepare-record.ts';

/** One line of a dead-letter object: where the record came from, why it failed, its raw bytes. */
export interface DeadLetter {
  topic: string;
  partition: number;
  offset: number;
  /** Kafka record timestamp, ms epoch. */
  timestamp: number;
  timestampType: string | null;
  reason: DeadLetterReason;
  detail: string;
  /** The record key and value exactly as received (base64), null when absent. */
  key: string | null;
  value: string | null;
  headers: KafkaHeader[];
  eventSource: KafkaEventSource;
  eventSourceArn: string | null;
  /** When the sink gave up on the record, ISO 8601. */
  failedAt: string;
}

export function deadLetter(
  record: KafkaEventRecord,
  reason: DeadLetterReason,
  detail: string,
  source: { eventSource: KafkaEventSource; eventSourceArn: string | undefined },
  now: number,
): DeadLetter {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    timestampType: record.timestampType ?? null,
    reason,
    detail,
    key: record.key ?? null,
    value: record.value ?? null,
    headers: decodeHeaders(record.headers),
    eventSource: source.eventSource,
    eventSourceArn: source.eventSourceArn ?? null,
    failedAt: new Date(now).toISOString(),
  };
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Key of the dead-letter object holding one partition's undeliverable records of one invocation:
 * `<prefix>topic=<t>/partition=<p>/year=YYYY/month=MM/day=DD/<t>-<p>-<firstOffset>-<lastOffset>.jsonl`.
 * The date is the first record's Kafka timestamp (UTC) and the name its offsets, so a redelivered
 * batch overwrites the same object instead of adding a duplicate.
 */
export function deadLetterKey(prefix: string, letters: readonly DeadLetter[], now: number): string {
  const first = letters[0];
  const last = letters[letters.length - 1];
  if (!first || !last) throw new RangeError('a dead-letter object needs at least one record');
  const when = new Date(Number.isFinite(first.timestamp) && first.timestamp > 0 ? first.timestamp : now);
  const date = `year=${when.getUTCFullYear()}/month=${pad(when.getUTCMonth() + 1)}/day=${pad(when.getUTCDate())}`;
  return `${prefix}topic=${first.topic}/partition=${first.partition}/${date}/${first.topic}-${first.partition}-${first.offset}-${last.offset}.jsonl`;
}

/** Writes one partition's dead letters as one JSON-lines object. Rejects when S3 does. */
export async function writeDeadLetters(
  s3: S3Client,
  target: { bucket: string; prefix: string },
  letters: readonly DeadLetter[],
  now: number,
  abortSignal?: AbortSignal,
): Promise<string> {
  const key = deadLetterKey(target.prefix, letters, now);
  const body = letters.map((l) => JSON.stringify(l)).join('\n') + '\n';
  await s3.send(
    new PutObjectCommand({
      Bucket: target.bucket,
      Key: key,
      Body: body,
      ContentType: 'application/x-ndjson',
    }),
    abortSignal ? { abortSignal } : {},
  );
  return key;
}
