import type { ClickEvent } from './validate-event.ts';

export interface RequestContext {
  /** Server time the request was handled, ms epoch. */
  ingestTime: number;
  clientIp: string | undefined;
  userAgent: string | undefined;
  requestId: string | undefined;
  /** Client send time (`upload_timestamp` query parameter), ms epoch. */
  uploadTimestamp: number | undefined;
}

export interface EnrichedEvent extends ClickEvent {
  ingest_time: number;
  client_ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  timestamp_corrected?: number;
}

/**
 * Adds the server-side fields. `timestamp_corrected` shifts the client timestamp by the clock
 * skew measured on this request (server receive time − client send time), so events from
 * devices with wrong clocks can still be ordered.
 */
export function enrich(event: ClickEvent, ctx: RequestContext): EnrichedEvent {
  const enriched: EnrichedEvent = {
    ...event,
    ingest_time: ctx.ingestTime,
    client_ip: ctx.clientIp ?? null,
    user_agent: ctx.userAgent ?? null,
    request_id: ctx.requestId ?? null,
  };
  if (ctx.uploadTimestamp !== undefined) {
    enriched.timestamp_corrected = event.timestamp + (ctx.ingestTime - ctx.uploadTimestamp);
  }
  return enriched;
}

/**
 * Identity fields tried, in order, for the record key. The first present one keeps one
 * user's (or device's, or session's) events in one partition, hence in order.
 */
export const identityFields = ['user_id', 'user_pseudo_id', 'unique_id', 'device_id', 'session_id'] as const;

export function recordKey(event: ClickEvent): string {
  for (const field of identityFields) {
    const value = event[field];
    if ((typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value))) {
      return `${event.app_id}:${value}`;
    }
  }
  return `${event.app_id}:${event.event_id}`;
}
