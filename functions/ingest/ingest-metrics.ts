import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResponse } from '../lib/http.ts';
import { MetricName, rejectionClass, type MetricsPort } from '../lib/metrics.ts';
import type { RecordProducer } from './collect.ts';

/**
 * The ingest's metrics, taken from what the app answered (so the core is unchanged): events
 * accepted per app, events rejected per reason class, requests refused per status, 503s. The
 * app dimension is set only on a 200, i.e. for an app with an ACTIVE pipeline (bounded); a
 * refused request's appId is attacker-chosen and never becomes a dimension.
 */
export function recordIngestResponse(
  metrics: MetricsPort,
  event: APIGatewayProxyEventV2,
  response: HttpResponse,
): void {
  const method = event.requestContext?.http?.method?.toUpperCase();
  if (method !== 'POST') return;
  const status = response.statusCode;
  const body = parseBody(response.body);
  if (status === 200) {
    const app = event.queryStringParameters?.appId;
    if (typeof body.accepted === 'number' && app !== undefined)
      metrics.count(MetricName.EventsAccepted, body.accepted, { app });
  } else {
    metrics.count(MetricName.RequestsRejected, 1, { status: String(status) });
    if (status === 503) metrics.count(MetricName.KafkaUnavailable, 1);
  }
  if (Array.isArray(body.rejected)) {
    const classes = new Map<string, number>();
    for (const r of body.rejected as { reason?: unknown }[]) {
      const cls = rejectionClass(typeof r?.reason === 'string' ? r.reason : '');
      classes.set(cls, (classes.get(cls) ?? 0) + 1);
    }
    for (const [reason, n] of classes) metrics.count(MetricName.EventsRejected, n, { reason });
  }
}

function parseBody(body: string | undefined): Record<string, unknown> {
  if (body === undefined || body === '') return {};
  try {
    const parsed: unknown = JSON.parse(body);
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/**
 * Longest time the ingest keeps recorded metrics before it writes them. One EMF flush per request
 * was ~470 B of CloudWatch Logs a request, the largest log cost at high rates (docs/cost.md);
 * one flush per this interval costs a few bytes a request. What it gives up: a retired execution
 * environment takes its last interval's unflushed 200s with it (refusals are flushed at once).
 */
export const METRICS_FLUSH_INTERVAL_MS = 10_000;

/**
 * Wraps the ingest app: records the response's metrics and writes them when the request was
 * refused (so 4xx/5xx counts and their alarms are not delayed) or when the last write is
 * `intervalMs` old; otherwise they accumulate (counts summed, latencies kept).
 */
export function withIngestMetrics(
  app: (event: APIGatewayProxyEventV2) => Promise<HttpResponse>,
  metrics: MetricsPort,
  options: { intervalMs?: number; now?: () => number } = {},
) {
  const intervalMs = options.intervalMs ?? METRICS_FLUSH_INTERVAL_MS;
  const now = options.now ?? Date.now;
  let flushedAt = -Infinity;
  return async function measuredIngest(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    const response = await app(event);
    try {
      recordIngestResponse(metrics, event, response);
    } finally {
      const at = now();
      if (response.statusCode !== 200 || at - flushedAt >= intervalMs) {
        flushedAt = at;
        metrics.flush();
      }
    }
    return response;
  };
}

/**
 * The producer port with its acknowledgement latency (acks=all) recorded, success or not. Generic
 * over the port's exact `send` signature so the wrapper does not follow its every change.
 */
export function timedProducer<P extends Pick<RecordProducer, 'send'>>(
  producer: P,
  metrics: MetricsPort,
  now: () => number = Date.now,
): Pick<P, 'send'> {
  const send = (async (...args: Parameters<P['send']>) => {
    const start = now();
    try {
      return await (producer.send as (...a: Parameters<P['send']>) => ReturnType<P['send']>)(...args);
    } finally {
      metrics.milliseconds(MetricName.ProduceLatency, now() - start);
    }
  }) as P['send'];
  return { send };
}
