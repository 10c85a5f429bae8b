/**
 * Shared fixtures of the collect tests: the dependencies and the request of one POST /collect,
 * and the HTTP answer of a refused one. App `app1` routes to topic `clicks`; nothing else routes.
 */
import type { CollectDeps, CollectRequest } from '../../../functions/ingest/collect.ts';
import { HttpError } from '../../../functions/lib/errors.ts';
import { RecordingProducer } from '../../helpers/fake-producer.ts';
import { rejectedAs } from '../../helpers/thrown.ts';

/** The ingest's clock in these tests (ingest_time of every enriched event). */
export const NOW = 1_700_000_001_000;

export function deps(producer = new RecordingProducer()): CollectDeps & { producer: RecordingProducer } {
  return {
    producer,
    routeFor: (appId: string) => (appId === 'app1' ? { topic: 'clicks' } : undefined),
    isUnavailable: (err) => err instanceof Error && err.name === 'KafkaUnavailableError',
    ackTimeoutMs: 1234,
    retryAfterSeconds: 7,
    now: () => NOW,
  };
}

/** A request of app1 from 198.51.100.1; `body` is sent as given when a string, else as its JSON. */
export function request(body: unknown, over: Partial<CollectRequest> = {}): CollectRequest {
  return {
    query: { appId: 'app1' },
    headers: { 'user-agent': 'test-agent/1.0' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    isBase64Encoded: false,
    clientIp: '198.51.100.1',
    requestId: 'req-1',
    ...over,
  };
}

/** The HTTP answer of a refused collect (fails the test if it was not refused with an HttpError). */
export async function httpStatusOf(promise: Promise<unknown>): Promise<{
  status: number;
  message: string;
  headers: Record<string, string>;
  details?: Record<string, unknown>;
}> {
  const err = await rejectedAs(HttpError, promise);
  return {
    status: err.statusCode,
    message: err.message,
    headers: err.headers,
    ...(err.details ? { details: err.details } : {}),
  };
}
