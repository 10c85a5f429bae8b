import { PutRecordBatchCommand, type FirehoseClient, type PutRecordBatchCommandOutput } from '@aws-sdk/client-firehose';
import type { S3Client } from '@aws-sdk/client-s3';
import { isTransientAwsError, isUnansweredCall } from '../lib/aws-errors.ts';
import type { Log } from '../lib/logger.ts';
import { fullJitterDelay } from './backoff.ts';
import { batchResponse, type KafkaBatchResponse, type KafkaItemIdentifier } from './batch-response.ts';
import { deadLetter, writeDeadLetters, type DeadLetter } from './dead-letter.ts';
import { readKafkaEvent, type KafkaEventRecord, type PartitionBatch } from './kafka-event.ts';
import { firehoseLimits } from './limits.ts';
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

type ItemState = 'pending' | 'retry' | 'delivered' | 'dead' | 'blocked';

interface Item {
  part: Part;
  index: number;
  record: KafkaEventRecord;
  prepared: PreparedRecord;
  state: ItemState;
  /** Times Firehose rejected this record (its own backoff exponent). */
  rejections: number;
}

interface Part {
  batch: PartitionBatch;
  items: Item[];
  /** First item that may still be pending (items before it were sent or settled). */
  next: number;
  /** Items from this index on must not be sent: an earlier record of the partition could not be settled. */
  cutoff: number;
  /** Items Firehose rejected, in offset order. While non-empty the partition sends nothing new. */
  retry: Item[];
}

/** No call (or dead-letter write) starts with less than this left after the safety margin. */
const MIN_CALL_BUDGET_MS = 100;

/**
 * Whether a failed PutRecordBatch call may succeed if sent again: what the shared classification
 * calls transient, plus a call that got no answer at all (socket, DNS, our own deadline's abort):
 * resending records is safe (a duplicate at worst, never a loss). Client errors are permanent.
 */
export function isRetryableCallError(err: unknown): boolean {
  return isTransientAwsError(err) || isUnansweredCall(err);
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

/** The next call: rejected records first (oldest first), then new records of partitions with none rejected. */
function nextCall(parts: Part[]): Item[] {
  const call: Item[] = [];
  let bytes = 0;
  const fits = (it: Item) => {
    const size = (it.prepared as { data: Buffer }).data.length;
    if (call.length === firehoseLimits.maxRecordsPerCall || bytes + size > firehoseLimits.maxBytesPerCall) return false;
    call.push(it);
    bytes += size;
    return true;
  };
  for (const part of parts) for (const it of part.retry) if (!fits(it)) return call;
  for (const part of parts) {
    if (part.retry.length > 0) continue;
    for (let i = part.next; i < part.cutoff; i++) {
      const it = part.items[i]!;
      if (it.state !== 'pending') continue;
      if (!fits(it)) return call;
    }
  }
  return call;
}

/**
 * Backoff exponent of a call: the most times any of its records was rejected, plus the number of
 * consecutive whole-call failures. Per record rather than per call, so that fresh records are not
 * slowed down because earlier calls had some rejections (with a steady share of rejected entries
 * a per-call counter would climb to the cap while every call makes progress).
 */
function backoffAttempt(call: readonly Item[], failedCalls: number): number {
  let most = 0;
  for (const it of call) if (it.rejections > most) most = it.rejections;
  return most + failedCalls;
}

async function sendToFirehose(parts: Part[], deps: DeliverDeps, stats: DeliveryStats): Promise<void> {
  let failedCalls = 0;
  for (;;) {
    const call = nextCall(parts);
    if (call.length === 0) return;
    const attempt = backoffAttempt(call, failedCalls);
    // The backoff may use the time left but never the safety margin: a shorter (still random) wait
    // and one more try beat giving up early.
    const spare = deps.remainingTimeMs() - deps.safetyMarginMs - MIN_CALL_BUDGET_MS;
    if (spare < 0) {
      stats.timedOut = true;
      deps.log.warn('stopping before the Lambda deadline; undelivered records are reported', {
        remainingMs: deps.remainingTimeMs(),
        attempt,
      });
      return;
    }
    const delay = Math.min(spare, fullJitterDelay(attempt, deps.retryBaseDelayMs, deps.retryMaxDelayMs, deps.random));
    if (delay > 0) await deps.sleep(delay);
    const budget = Math.min(deps.requestTimeoutMs, deps.remainingTimeMs() - deps.safetyMarginMs);
    if (budget < MIN_CALL_BUDGET_MS) {
      stats.timedOut = true;
      deps.log.warn('stopping before the Lambda deadline; undelivered records are reported', {
        remainingMs: deps.remainingTimeMs(),
        attempt,
      });
      return;
    }

    stats.firehoseCalls++;
    let out: PutRecordBatchCommandOutput;
    try {
      out = await deps.firehose.send(
        new PutRecordBatchCommand({
          DeliveryStreamName: deps.streamName,
          Records: call.map((it) => ({ Data: (it.prepared as { data: Buffer }).data })),
        }),
        { abortSignal: AbortSignal.timeout(budget) },
      );
    } catch (err) {
      stats.failedCalls++;
      const detail = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (!isRetryableCallError(err)) {
        stats.permanentError = detail;
        deps.log.error('Firehose rejected the call; not retrying', {
          stream: deps.streamName,
          error: detail,
          records: call.length,
        });
        return;
      }
      failedCalls++;
      deps.log.warn('Firehose call failed; retrying with backoff', {
        error: detail,
        attempt: attempt + 1,
        records: call.length,
      });
      continue;
    }
    failedCalls = 0;

    const responses = out.RequestResponses ?? [];
    const failedPutCount = out.FailedPutCount ?? 0;
    const touched = new Set<Part>();
    let failed = 0;
    call.forEach((it, i) => {
      const entry = responses[i];
      const rejected = entry === undefined ? failedPutCount > 0 : Boolean(entry.ErrorCode);
      touched.add(it.part);
      if (rejected) {
        failed++;
        it.rejections++;
        if (it.state === 'pending') it.part.retry.push(it);
        it.state = 'retry';
      } else {
        it.state = 'delivered';
        stats.delivered++;
      }
    });
    for (const part of touched) {
      part.retry = part.retry.filter((it) => it.state === 'retry');
      while (part.next < part.cutoff && part.items[part.next]!.state !== 'pending') part.next++;
    }
    if (failed > 0) {
      stats.failedPuts += failed;
      const codes = [...new Set(call.map((_, i) => responses[i]?.ErrorCode).filter((c): c is string => Boolean(c)))];
      deps.log.info('Firehose rejected some records; resending only those', {
        failed,
        of: call.length,
        errorCodes: codes,
      });
    }
  }
}
