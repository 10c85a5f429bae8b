import { identityFields, type ClickEvent } from './validate-event.ts';

export interface RequestContext {
  /** Server time the request was handled, ms epoch. */
  ingestTime: number;
  clientIp: string | undefined;
  userAgent: string | undefined;
  requestId: string | undefined;
  /** Client send time (`upload_timestamp` query parameter), ms epoch. */
  uploadTimestamp: number | undefined;
  /** The SDK's `platform` query parameter (`Web`, `Android`, `iOS`, ...). */
  platform: string | undefined;
}

/**
 * Enriches an event as the client sent it, with the server-side fields added inside its closing brace:
 * `raw` is the event's own JSON text (an object, as validated), never re-serialised, so numbers,
 * escapes and key order stay exactly as sent. Raw CR/LF bytes can only be insignificant whitespace
 * in valid JSON; they become spaces so that every event stays one JSON line in S3.
 *
 * `timestamp_corrected` shifts the client timestamp by the clock skew measured on this request
 * (server receive time − client send time), so events from devices with wrong clocks can still
 * be ordered.
 *
 * Returns the enrichment of one request's events: the fields they all share are serialised once.
 */
export function enricher(ctx: RequestContext): (raw: string, event: ClickEvent) => string {
  let fixed = `,"ingest_time":${ctx.ingestTime},"client_ip":${JSON.stringify(ctx.clientIp ?? null)},"user_agent":${JSON.stringify(ctx.userAgent ?? null)},"request_id":${JSON.stringify(ctx.requestId ?? null)}`;
  if (ctx.platform !== undefined) fixed += `,"request_platform":${JSON.stringify(ctx.platform)}`;
  const { uploadTimestamp } = ctx;
  return (raw, event) => {
    const fields =
      uploadTimestamp === undefined
        ? fixed
        : `${fixed},"timestamp_corrected":${event.timestamp + (ctx.ingestTime - uploadTimestamp)}`;
    const close = raw.lastIndexOf('}');
    const body = raw.slice(0, close);
    return `${/[\r\n]/.test(body) ? body.replace(/[\r\n]/g, ' ') : body}${fields}}`;
  };
}

/** The record key: `<app_id>:<first identity field present>` (else the event id); bounded by validation. */
export function recordKey(event: ClickEvent): string {
  for (const field of identityFields) {
    const value = event[field];
    if ((typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value))) {
      return `${event.app_id}:${value}`;
    }
  }
  return `${event.app_id}:${event.event_id}`;
}
