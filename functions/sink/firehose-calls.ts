/**
 * The sink's Firehose calls: pending records packed greedily in order (≤ 500 records, ≤ 4 MiB),
 * rejected records resent first and a partition with rejected records sending nothing new, whole
 * failed calls retried, all with full-jitter backoff and only while the Lambda's remaining time
 * (minus the safety margin) allows. deliver.ts owns the per-partition state this works on.
 */
import { PutRecordBatchCommand, type PutRecordBatchCommandOutput } from '@aws-sdk/client-firehose';
import { isTransientAwsError, isUnansweredCall } from '../lib/aws-errors.ts';
import { fullJitterDelay } from './backoff.ts';
import type { DeliverDeps, DeliveryStats } from './deliver.ts';
import type { KafkaEventRecord, PartitionBatch } from './kafka-event.ts';
import { firehoseLimits } from './limits.ts';
import type { PreparedRecord } from './prepare-record.ts';

export type ItemState = 'pending' | 'retry' | 'delivered' | 'dead' | 'blocked';

export interface Item {
  part: Part;
  index: number;
  record: KafkaEventRecord;
  prepared: PreparedRecord;
  state: ItemState;
  /** Times Firehose rejected this record (its own backoff exponent). */
  rejections: number;
}

export interface Part {
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
export const MIN_CALL_BUDGET_MS = 100;

/**
 * Whether a failed PutRecordBatch call may succeed if sent again: what the shared classification
 * calls transient, plus a call that got no answer at all (socket, DNS, our own deadline's abort):
 * resending records is safe (a duplicate at worst, never a loss). Client errors are permanent.
 */
export function isRetryableCallError(err: unknown): boolean {
  return isTransientAwsError(err) || isUnansweredCall(err);
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

/** Gives up before the Lambda deadline: what is undelivered is reported, never dropped. */
function stopForDeadline(deps: DeliverDeps, stats: DeliveryStats, attempt: number): void {
  stats.timedOut = true;
  deps.log.warn('stopping before the Lambda deadline; undelivered records are reported', {
    remainingMs: deps.remainingTimeMs(),
    attempt,
  });
}

/**
 * Sends the partitions' pending records until all are settled, time runs out or Firehose refuses
 * for good (stats say which).
 */
export async function sendToFirehose(parts: Part[], deps: DeliverDeps, stats: DeliveryStats): Promise<void> {
  let failedCalls = 0;
  for (;;) {
    const call = nextCall(parts);
    if (call.length === 0) return;
    const attempt = backoffAttempt(call, failedCalls);
    // The backoff may use the time left but never the safety margin: a shorter (still random) wait
    // and one more try beat giving up early.
    const spare = deps.remainingTimeMs() - deps.safetyMarginMs - MIN_CALL_BUDGET_MS;
    if (spare < 0) {
      stopForDeadline(deps, stats, attempt);
      return;
    }
    const delay = Math.min(spare, fullJitterDelay(attempt, deps.retryBaseDelayMs, deps.retryMaxDelayMs, deps.random));
    if (delay > 0) await deps.sleep(delay);
    const budget = Math.min(deps.requestTimeoutMs, deps.remainingTimeMs() - deps.safetyMarginMs);
    if (budget < MIN_CALL_BUDGET_MS) {
      stopForDeadline(deps, stats, attempt);
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
