import { MetricName, type MetricsPort } from '../lib/metrics.ts';
import type { DeliveryStats } from './deliver.ts';

/**
 * The topic and the oldest record timestamp of an MSK / self-managed Kafka event, read
 * defensively (the core validates the event; this only labels metrics). One event source
 * mapping reads one pipeline's topic, so the topic is the bounded per-pipeline dimension.
 */
function batchShape(event: unknown): { topic: string | undefined; oldest: number | undefined } {
  const records = (event as { records?: unknown } | null)?.records;
  if (records === null || typeof records !== 'object') return { topic: undefined, oldest: undefined };
  let topic: string | undefined;
  let oldest: number | undefined;
  for (const list of Object.values(records as Record<string, unknown>)) {
    if (!Array.isArray(list)) continue;
    for (const r of list as { topic?: unknown; timestamp?: unknown }[]) {
      if (topic === undefined && typeof r?.topic === 'string') topic = r.topic;
      if (
        typeof r?.timestamp === 'number' &&
        Number.isFinite(r.timestamp) &&
        (oldest === undefined || r.timestamp < oldest)
      )
        oldest = r.timestamp;
    }
  }
  return { topic, oldest };
}

/**
 * Records one batch's metrics from the core's delivery stats: records delivered, dead-lettered,
 * Firehose retries (records resent + calls retried), partitions reported back to Lambda, and
 * the batch age (now − the oldest record's Kafka timestamp), all with dimension `topic`.
 */
export function recordSinkBatch(metrics: MetricsPort, event: unknown, stats: DeliveryStats, now: number): void {
  const { topic, oldest } = batchShape(event);
  const dims: Record<string, string> = topic === undefined ? {} : { topic };
  metrics.count(MetricName.RecordsDelivered, stats.delivered, dims);
  metrics.count(MetricName.RecordsDeadLettered, stats.deadLettered, dims);
  metrics.count(MetricName.FirehoseRetries, stats.failedPuts + stats.failedCalls, dims);
  metrics.count(MetricName.PartitionsReported, stats.reportedPartitions, dims);
  if (oldest !== undefined) metrics.milliseconds(MetricName.BatchAge, Math.max(0, now - oldest), dims);
}
