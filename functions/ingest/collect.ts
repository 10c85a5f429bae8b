import { BadRequestError, ForbiddenError, ServiceUnavailableError } from '../lib/errors.ts';
import { shown } from '../lib/shown.ts';
import { decodeBody, parseEvents } from './decode-body.ts';
import { enrich, recordKey } from './enrich.ts';
import { limits } from './limits.ts';
import { validateEvents, type Rejection } from './validate-event.ts';

/** One Kafka record as the ingest core hands it to the producer port. */
export interface OutgoingRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * The producer port. `send` resolves only once Kafka acknowledged every record (acks=all) and
 * rejects otherwise; `isUnavailable` tells a timeout/outage (→ 503) from a programming error.
 */
export interface RecordProducer {
  send(topic: string, records: OutgoingRecord[], opts: { timeoutMs: number }): Promise<void>;
}

export interface CollectDeps {
  producer: RecordProducer;
  /** Resolves the Kafka topic for an app, or undefined when the app is not allowed to send. */
  topicFor(appId: string): string | undefined | Promise<string | undefined>;
  isUnavailable(err: unknown): boolean;
  /** Told when Kafka refused a write for an app, so its cached route is looked up again. */
  routeFailed?(appId: string): void;
  ackTimeoutMs: number;
  retryAfterSeconds: number;
  now(): number;
}

export interface CollectRequest {
  query: Record<string, string | undefined>;
  headers: Record<string, string | undefined>;
  body: string | undefined;
  isBase64Encoded: boolean;
  clientIp: string | undefined;
  requestId: string | undefined;
}

export interface CollectResult {
  accepted: number;
  rejected: Rejection[];
}

const APP_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

function parseUploadTimestamp(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new BadRequestError(`query parameter upload_timestamp=${shown(value)} must be a millisecond epoch integer`);
  }
  return n;
}

/**
 * POST /collect without HTTP: decode, validate, enrich, key, and write to Kafka. Answers only
 * after Kafka acknowledged; throws the HttpError that describes any refusal.
 */
export async function collect(req: CollectRequest, deps: CollectDeps): Promise<CollectResult> {
  const appId = req.query.appId;
  if (appId === undefined || appId === '') throw new BadRequestError('query parameter appId is required');
  if (!APP_ID.test(appId)) throw new BadRequestError(`query parameter appId=${shown(appId)} is not a valid app id`);
  const uploadTimestamp = parseUploadTimestamp(req.query.upload_timestamp);

  const topic = await deps.topicFor(appId);
  if (topic === undefined) throw new ForbiddenError(`appId '${appId}' is not registered for ingestion`);

  const text = decodeBody({
    body: req.body,
    isBase64Encoded: req.isBase64Encoded,
    compression: req.query.compression,
    contentEncoding: req.headers['content-encoding'],
  });
  const candidates = parseEvents(text);
  const { valid, rejected } = validateEvents(candidates, appId);

  const ctx = {
    ingestTime: deps.now(),
    clientIp: req.clientIp,
    userAgent: req.headers['user-agent'],
    requestId: req.requestId,
    uploadTimestamp,
  };
  const records: OutgoingRecord[] = [];
  for (const { index, event } of valid) {
    const value = JSON.stringify(enrich(event, ctx));
    if (Buffer.byteLength(value) > limits.maxEventBytes) {
      rejected.push({ index, event_id: event.event_id, reason: `event is larger than ${limits.maxEventBytes} bytes once enriched` });
      continue;
    }
    records.push({ key: recordKey(event), value, headers: { app_id: event.app_id, event_type: event.event_type } });
  }
  rejected.sort((a, b) => a.index - b.index);

  if (records.length === 0) {
    throw new BadRequestError(`all ${candidates.length} events are invalid`, { accepted: 0, rejected });
  }
  try {
    await deps.producer.send(topic, records, { timeoutMs: deps.ackTimeoutMs });
  } catch (err) {
    deps.routeFailed?.(appId);
    if (deps.isUnavailable(err)) {
      throw new ServiceUnavailableError('Kafka did not acknowledge the events (none of them may be assumed stored); retry later', deps.retryAfterSeconds, err);
    }
    throw err;
  }
  return { accepted: records.length, rejected };
}
