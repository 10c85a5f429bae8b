import { isUtf8 } from 'node:buffer';
import { firehoseLimits } from './limits.ts';

/** Why a record can never be delivered to Firehose (it goes to the dead-letter prefix instead). */
export type DeadLetterReason =
  | 'VALUE_MISSING'
  | 'VALUE_NOT_BASE64'
  | 'VALUE_NOT_JSON'
  | 'PARTITION_FIELDS_INVALID'
  | 'RECORD_TOO_LARGE';

export type PreparedRecord =
  | { ok: true; /** The JSON line: the value's bytes followed by one '\n'. */ data: Buffer }
  | { ok: false; reason: DeadLetterReason; detail: string };

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** The app ids ingest accepts (functions/ingest/collect.ts); they become an S3 path segment. */
const APP_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

/**
 * Turns a record value (base64 of the enriched event JSON written by ingest) into the newline
 * terminated JSON line sent to Firehose, or says why it can never be delivered.
 *
 * The bytes are passed through, not re-serialised: parsing only validates them (re-serialising
 * could change numbers beyond 2^53 or key order). A raw CR/LF byte in valid JSON can only be
 * insignificant whitespace (strings cannot hold raw control characters, and UTF-8 continuation
 * bytes are >= 0x80), so such bytes are replaced by spaces to keep one event per line.
 *
 * The fields Firehose partitions on (`app_id`, `ingest_time`) are checked here so that a record
 * Firehose could not partition gets a dead letter with a clear reason instead of landing in
 * Firehose's processing-failed output.
 */
export function prepareRecord(value: string | null | undefined): PreparedRecord {
  if (value === null || value === undefined || value === '') {
    return { ok: false, reason: 'VALUE_MISSING', detail: 'record has no value (null, absent or empty)' };
  }
  if (value.length % 4 !== 0 || !BASE64.test(value)) {
    return { ok: false, reason: 'VALUE_NOT_BASE64', detail: 'value is not valid base64' };
  }
  const n = Buffer.byteLength(value, 'base64');
  if (n + 1 > firehoseLimits.maxRecordBytes) {
    return { ok: false, reason: 'RECORD_TOO_LARGE', detail: `value is ${n} bytes; with its newline it exceeds Firehose's ${firehoseLimits.maxRecordBytes}-byte record limit` };
  }
  const data = Buffer.allocUnsafe(n + 1);
  data.write(value, 0, n, 'base64');
  const json = data.subarray(0, n);
  if (!isUtf8(json)) return { ok: false, reason: 'VALUE_NOT_JSON', detail: 'value is not valid UTF-8' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(json.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: 'VALUE_NOT_JSON', detail: `value is not JSON: ${(err as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, reason: 'PARTITION_FIELDS_INVALID', detail: 'value is JSON but not an object' };
  }
  const event = parsed as { app_id?: unknown; ingest_time?: unknown };
  if (typeof event.app_id !== 'string' || !APP_ID.test(event.app_id)) {
    return { ok: false, reason: 'PARTITION_FIELDS_INVALID', detail: 'app_id must be a string of letters, digits, _ . - (at most 128)' };
  }
  if (typeof event.ingest_time !== 'number' || !Number.isFinite(event.ingest_time) || event.ingest_time < 0) {
    return { ok: false, reason: 'PARTITION_FIELDS_INVALID', detail: 'ingest_time must be a millisecond epoch number' };
  }
  if (json.indexOf(LF) !== -1 || json.indexOf(CR) !== -1) {
    for (let i = 0; i < n; i++) if (json[i] === LF || json[i] === CR) json[i] = SPACE;
  }
  data[n] = LF;
  return { ok: true, data };
}
