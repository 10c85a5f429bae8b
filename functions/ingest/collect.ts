import type { ClusterDescription } from '../lib/kafka/index.ts';
import { BadRequestError, ForbiddenError, PayloadTooLargeError, ServiceUnavailableError } from '../lib/errors.ts';
import { OriginNotAllowedError, originProblem, type OriginPolicy } from './cors.ts';
import { decodeBody } from './decode-body.ts';
import { enricher, recordKey } from './enrich.ts';
import { limits, utf8BytesOver } from './limits.ts';
import { scanEvents } from './scan-events.ts';
import { eventProblem, rejection, type ClickEvent, type Rejection } from './validate-event.ts';
import { APP_ID } from '../lib/ids.ts';

/** One Kafka record as the ingest core hands it to the producer port. */
export interface OutgoingRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** Where an app's events go: its pipeline's topic on its pipeline's cluster. */
export interface IngestRoute {
  topic: string;
  /** The pipeline's cluster connection; absent = the stack's default cluster (the static route). */
  cluster?: ClusterDescription;
  /** The pipeline's browser origins (exact or `*.example.com`); absent = any the stack allows. */
  allowedOrigins?: readonly string[];
}

/**
 * The producer port. `send` resolves only once Kafka acknowledged every record (acks=all) and
 * rejects otherwise.
 */
export interface RecordProducer {
  send(route: IngestRoute, records: OutgoingRecord[], opts: { timeoutMs: number }): Promise<void>;
}

export interface CollectDeps {
  producer: RecordProducer;
  /** Resolves the route of an app, or undefined when the app is not allowed to send. */
  routeFor(appId: string): IngestRoute | undefined | Promise<IngestRoute | undefined>;
  /** Tells a failed send's timeout/outage (→ 503) from a programming error. */
  isUnavailable(err: unknown): boolean;
  /** Told when Kafka refused a write for an app, so its cached route is looked up again. */
  routeFailed?(appId: string): void;
  /** The stack's browser origins (CORS_ALLOWED_ORIGINS). Default: any origin. */
  origins?: OriginPolicy;
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

function parseUploadTimestamp(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) {
    throw new BadRequestError(
      `query parameter upload_timestamp='${value.slice(0, 64)}' must be a millisecond epoch integer`,
    );
  }
  return n;
}

function parsePlatform(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > limits.maxPlatformChars) {
    throw new BadRequestError(
      `query parameter platform is ${value.length} characters; the limit is ${limits.maxPlatformChars}`,
    );
  }
  return value;
}

/** The app id of a request, validated (used by POST and by the CORS preflight). */
export function requestAppId(query: Record<string, string | undefined>): string {
  const appId = query.appId;
  if (appId === undefined || appId === '') throw new BadRequestError('query parameter appId is required');
  if (!APP_ID.test(appId))
    throw new BadRequestError(`query parameter appId='${appId.slice(0, 64)}' is not a valid app id`);
  return appId;
}

/** The route of an app whose request comes from `origin` (undefined = not a browser): 403 when refused. */
export async function authorisedRoute(
  appId: string,
  origin: string | undefined,
  deps: Pick<CollectDeps, 'routeFor' | 'origins'>,
): Promise<IngestRoute> {
  const route = await deps.routeFor(appId);
  if (route === undefined) throw new ForbiddenError(`appId '${appId}' is not registered for ingestion`);
  const problem = originProblem(origin, deps.origins, route.allowedOrigins);
  if (problem !== undefined) throw new OriginNotAllowedError(problem);
  return route;
}

/**
 * POST /collect without HTTP: decode, validate, enrich, key, and write to Kafka. Answers only
 * after Kafka acknowledged; throws the HttpError that describes any refusal. Each event's own
 * bytes are what Kafka receives (the enrichment is spliced in, see enrich.ts).
 */
export async function collect(req: CollectRequest, deps: CollectDeps): Promise<CollectResult> {
  const appId = requestAppId(req.query);
  const uploadTimestamp = parseUploadTimestamp(req.query.upload_timestamp);
  const platform = parsePlatform(req.query.platform);
  const route = await authorisedRoute(appId, req.headers.origin, deps);

  const text = decodeBody({
    body: req.body,
    isBase64Encoded: req.isBase64Encoded,
    compression: req.query.compression,
    contentEncoding: req.headers['content-encoding'],
  });
  const { spans, batch } = scanEvents(text);
  if (spans.length === 0) throw new BadRequestError('request body is an empty batch: send at least one event');
  if (spans.length > limits.maxEventsPerRequest) {
    throw new PayloadTooLargeError(
      `request body has ${spans.length} events; the limit is ${limits.maxEventsPerRequest} per request (maxEventsPerRequest)`,
    );
  }
  if (!batch && text.charCodeAt(spans[0]!.start) !== 123) {
    throw new BadRequestError('request body must be a JSON array of events or one event object');
  }

  const ctx = {
    ingestTime: deps.now(),
    clientIp: req.clientIp,
    userAgent: req.headers['user-agent'],
    requestId: req.requestId,
    uploadTimestamp,
    platform,
  };
  const enrich = enricher(ctx);
  const records: OutgoingRecord[] = [];
  const rejected: Rejection[] = [];
  spans.forEach(({ start, end, depth }, index) => {
    const raw = text.slice(start, end);
    const bytes = utf8BytesOver(raw, limits.maxEventBytes);
    if (bytes !== undefined) {
      rejected.push({
        index,
        reason: `event is ${bytes} bytes; the limit is ${limits.maxEventBytes} bytes (maxEventBytes)`,
      });
      return;
    }
    if (depth > limits.maxEventDepth) {
      rejected.push({
        index,
        reason: `event nests ${depth} levels deep; the limit is ${limits.maxEventDepth} (maxEventDepth)`,
      });
      return;
    }
    const candidate: unknown = JSON.parse(raw);
    const problem = eventProblem(candidate, appId);
    if (problem !== undefined) {
      rejected.push(rejection(index, candidate, problem));
      return;
    }
    const event = candidate as ClickEvent;
    const value = enrich(raw, event);
    if (utf8BytesOver(value, limits.maxEventBytes) !== undefined) {
      rejected.push(
        rejection(index, event, `event is larger than ${limits.maxEventBytes} bytes once enriched (maxEventBytes)`),
      );
      return;
    }
    records.push({
      key: recordKey(event),
      value,
      headers: { app_id: event.app_id, event_type: event.event_type },
    });
  });

  if (records.length === 0) {
    throw new BadRequestError(`all ${spans.length} events are invalid`, { accepted: 0, rejected });
  }
  try {
    await deps.producer.send(route, records, { timeoutMs: deps.ackTimeoutMs });
  } catch (err) {
    deps.routeFailed?.(appId);
    if (deps.isUnavailable(err)) {
      throw new ServiceUnavailableError(
        'Kafka did not acknowledge the events (none of them may be assumed stored); retry later',
        deps.retryAfterSeconds,
        err,
      );
    }
    throw err;
  }
  return { accepted: records.length, rejected };
}
