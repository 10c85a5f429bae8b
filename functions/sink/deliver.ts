import type { FirehoseClient } from '@aws-sdk/client-firehose';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Log } from '../lib/logger.ts';
import { batchResponse, type KafkaBatchResponse, type KafkaItemIdentifier } from './batch-response.ts';
import { deadLetter, writeDeadLetters, type DeadLetter } from './dead-letter.ts';
import { readKafkaEvent } from './kafka-event.ts';
import { MIN_CALL_BUDGET_MS, sendToFirehose, type ItemState, type Part } from './firehose-calls.ts';
import { lineArena, prepareRecord, type PreparedRecord } from './prepare-record.ts';

/** Ports and settings of the sink core; the handler binds them to the AWS SDK and Lambda. */
export interface DeliverDeps {
  firehose: FirehoseClient;
  s3: S3Client;
  streamName: string;
  deadLetterBucket: string;
  deadLetterPrefix: string;
  /** Milliseconds left before the Lambda deadline (context.getRemainingTimeInMillis). */
  remainingTimeMs(): number;
  sleep(ms: number): Promise<void>;
  /** Uniform in [0, 1), for the backoff jitter. */
  random(): number;
  /** ms epoch, for dead-letter timestamps. */
  now(): number;
  log: Log;
  safetyMarginMs: number;
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  requestTimeoutMs: number;
}

export interface DeliveryStats {
  records: number;
  partitions: number;
  delivered: number;
  deadLettered: number;
  /** Partitions reported in the partial batch response. */
  reportedPartitions: number;
  firehoseCalls: number;
  /** Per-record failures Firehose returned (each was resent while time allowed). */
  failedPuts: number;
  /** Whole calls that failed (throttling, 5xx, timeouts, network). */
  failedCalls: number;
  /** Records delivered after the reported offset of their partition: Lambda will redeliver them. */
  deliveredAhead: number;
  timedOut: boolean;
  /** A Firehose error that retrying cannot fix (e.g. stream missing, access denied) stopped sending. */
  permanentError: string | undefined;
}

export interface DeliveryReport {
  response: KafkaBatchResponse;
  stats: DeliveryStats;
}

/**
 * Delivers one Kafka event to Firehose with exactly-once boundaries per partition.
 *
 * - Records are prepared first (base64 → JSON line); those that can never be delivered are
 *   written to S3 as one dead-letter object per partition. If that write fails, the partition
 *   stops at its first undeliverable record (it is reported, never dropped).
 * - Calls are packed greedily in order (≤ 500 records, ≤ 4 MiB); Firehose's per-record failures
 *   are resent, and only them; whole-call throttling/5xx are retried; both with exponential
 *   backoff and full jitter, and only while the remaining time allows.
 * - Per partition, records are sent in order, and a partition with rejected records sends none
 *   of its later records until the rejected ones are in. So when time runs out, the reported
 *   offset (the first undelivered record of the partition) is the exact boundary of what was
 *   delivered, except for records that shared a call with a rejected one and were accepted
 *   ("deliveredAhead", counted and logged): those will be delivered again when Lambda retries.
 */
export async function deliverKafkaEvent(event: unknown, deps: DeliverDeps): Promise<DeliveryReport> {
  const { source, eventSourceArn, partitions } = readKafkaEvent(event);
  const arena = lineArena(partitions.flatMap((p) => p.records.map((r) => r.value)));
  const parts: Part[] = partitions.map((batch) => {
    const part: Part = { batch, items: [], next: 0, cutoff: batch.records.length, retry: [] };
    part.items = batch.records.map((record, index) => {
      const prepared = prepareRecord(record.value, arena);
      return { part, index, record, prepared, state: 'pending' as ItemState, rejections: 0 };
    });
    return part;
  });
  const stats: DeliveryStats = {
    records: parts.reduce((n, p) => n + p.items.length, 0),
    partitions: parts.length,
    delivered: 0,
    deadLettered: 0,
    reportedPartitions: 0,
    firehoseCalls: 0,
    failedPuts: 0,
    failedCalls: 0,
    deliveredAhead: 0,
    timedOut: false,
    permanentError: undefined,
  };

  await settleDeadLetters(parts, { eventSource: source, eventSourceArn }, deps, stats);
  await sendToFirehose(parts, deps, stats);

  const failures: KafkaItemIdentifier[] = [];
  for (const part of parts) {
    const first = part.items.find((it) => it.state !== 'delivered' && it.state !== 'dead');
    if (!first) continue;
    failures.push({ partition: part.batch.key, offset: first.record.offset });
    stats.deliveredAhead += part.items.filter((it) => it.index > first.index && it.state === 'delivered').length;
  }
  stats.reportedPartitions = failures.length;
  if (stats.deliveredAhead > 0) {
    deps.log.warn('records delivered after the reported offset will be delivered again on retry', {
      deliveredAhead: stats.deliveredAhead,
    });
  }
  return { response: batchResponse(failures), stats };
}

async function settleDeadLetters(
  parts: Part[],
  source: Parameters<typeof deadLetter>[3],
  deps: DeliverDeps,
  stats: DeliveryStats,
): Promise<void> {
  await Promise.all(
    parts.map(async (part) => {
      const bad = part.items.filter((it) => !it.prepared.ok);
      if (bad.length === 0) return;
      const now = deps.now();
      const letters: DeadLetter[] = bad.map((it) => {
        const p = it.prepared as Extract<PreparedRecord, { ok: false }>;
        return deadLetter(it.record, p.reason, p.detail, source, now);
      });
      const budget = Math.min(deps.requestTimeoutMs, deps.remainingTimeMs() - deps.safetyMarginMs);
      try {
        if (budget < MIN_CALL_BUDGET_MS) throw new Error('no time left before the Lambda deadline');
        const key = await writeDeadLetters(
          deps.s3,
          { bucket: deps.deadLetterBucket, prefix: deps.deadLetterPrefix },
          letters,
          now,
          AbortSignal.timeout(budget),
        );
        for (const it of bad) it.state = 'dead';
        stats.deadLettered += bad.length;
        deps.log.warn('undeliverable records written to the dead-letter prefix', {
          partition: part.batch.key,
          count: bad.length,
          offsets: bad.slice(0, 20).map((it) => it.record.offset),
          reasons: [...new Set(letters.map((l) => l.reason))],
          bucket: deps.deadLetterBucket,
          key,
        });
      } catch (err) {
        // Not written means not handled: the partition stops at its first undeliverable record.
        for (const it of bad) it.state = 'blocked';
        part.cutoff = bad[0]!.index;
        deps.log.error('dead-letter write failed; the partition is reported from its first undeliverable record', {
          partition: part.batch.key,
          offset: bad[0]!.record.offset,
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
      }
    }),
  );
}
