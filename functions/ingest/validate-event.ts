import { limits } from './limits.ts';
import { clipped, quoted } from '../lib/shown.ts';

/** A clickstream event after validation: the four required fields typed, everything else kept. */
export interface ClickEvent {
  event_id: string;
  event_type: string;
  timestamp: number;
  app_id: string;
  [field: string]: unknown;
}

export interface Rejection {
  index: number;
  event_id?: string;
  reason: string;
}

/**
 * Identity fields tried, in order, for the record key. The first present one keeps one
 * user's (or device's, or session's) events in one partition, hence in order.
 */
export const identityFields = ['user_id', 'user_pseudo_id', 'unique_id', 'device_id', 'session_id'] as const;

/** Top-level fields the server adds to every event (enrich.ts); an event may not carry them. */
export const enrichmentFields = [
  'ingest_time',
  'client_ip',
  'user_agent',
  'request_id',
  'request_platform',
  'timestamp_corrected',
] as const;

function isNonEmptyString(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

function tooLong(field: string, value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > limits.maxIdentityChars) {
    return `${field}: ${value.length} characters; the limit is ${limits.maxIdentityChars} (maxIdentityChars)`;
  }
  return undefined;
}

/**
 * Checks the fields every event must carry. Returns the reason naming the field at fault, or
 * undefined when the event is valid. `appId` is the query parameter the events must belong to.
 */
export function eventProblem(candidate: unknown, appId: string): string | undefined {
  if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) {
    return 'event must be a JSON object';
  }
  const e = candidate as Record<string, unknown>;
  if (!isNonEmptyString(e.event_id)) return 'event_id: required, must be a non-empty string';
  if (!isNonEmptyString(e.event_type)) return 'event_type: required, must be a non-empty string';
  if (typeof e.timestamp !== 'number' || !Number.isFinite(e.timestamp) || e.timestamp < 0) {
    return 'timestamp: required, must be a millisecond epoch number';
  }
  if (!isNonEmptyString(e.app_id)) return 'app_id: required, must be a non-empty string';
  if (e.app_id !== appId) return `app_id: ${quoted(e.app_id)} does not match the appId query parameter '${appId}'`;
  for (const field of ['event_id', 'event_type', ...identityFields]) {
    const problem = tooLong(field, e[field]);
    if (problem) return problem;
  }
  const reserved = enrichmentFields.find((field) => Object.hasOwn(e, field));
  if (reserved !== undefined) return `${reserved}: reserved for the server's enrichment; rename the field`;
  return undefined;
}

/** The rejection of the event at `index`; its event_id is echoed (shortened) when it has one. */
export function rejection(index: number, candidate: unknown, reason: string): Rejection {
  const id = (candidate as { event_id?: unknown } | null | undefined)?.event_id;
  return { index, ...(isNonEmptyString(id) ? { event_id: clipped(id) } : {}), reason };
}
