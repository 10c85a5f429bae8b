import { isUtf8 } from 'node:buffer';
import { firehoseLimits } from './limits.ts';
import { APP_ID } from '../lib/ids.ts';

/** Why a record can never be delivered to Firehose (it goes to the dead-letter prefix instead). */
export type DeadLetterReason =
  'VALUE_MISSING' | 'VALUE_NOT_BASE64' | 'VALUE_NOT_JSON' | 'PARTITION_FIELDS_INVALID' | 'RECORD_TOO_LARGE';

export type PreparedRecord =
  | { ok: true; /** The JSON line: the value's bytes followed by one '\n'. */ data: Buffer }
  | { ok: false; reason: DeadLetterReason; detail: string };

/** The last quantum: padding only at the very end. */
const BASE64_TAIL = /^[A-Za-z0-9+/]{2}(?:[A-Za-z0-9+/]{2}|[A-Za-z0-9+/]=|==)$/;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;

/**
 * One buffer the lines of an event are decoded into, each record a view of it: one allocation per
 * event instead of one per record (less allocation and GC work; see bench/sink.ts).
 */
export interface LineArena {
  buffer: Buffer;
  offset: number;
}

/** Bytes the line of this value takes (decoded value + newline), 0 when it cannot be one. */
export function lineSize(value: string | null | undefined): number {
  if (!value || value.length % 4 !== 0) return 0;
  const n = Buffer.byteLength(value, 'base64');
  return n > 0 && n < firehoseLimits.maxRecordBytes ? n + 1 : 0;
}

/** One arena sized for the lines of `values` (see LineArena). */
export function lineArena(values: Iterable<string | null | undefined>): LineArena {
  let total = 0;
  for (const v of values) total += lineSize(v);
  return { buffer: Buffer.allocUnsafeSlow(total), offset: 0 };
}

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
export function prepareRecord(value: string | null | undefined, arena?: LineArena): PreparedRecord {
  if (value === null || value === undefined || value === '') {
    return { ok: false, reason: 'VALUE_MISSING', detail: 'record has no value (null, absent or empty)' };
  }
  // Node's decoder skips characters outside the alphabet, so a value with any of them decodes to
  // fewer bytes than its length implies: checking the count is the (linear, native) validation.
  const n = value.length % 4 === 0 ? Buffer.byteLength(value, 'base64') : -1;
  if (n > firehoseLimits.maxRecordBytes - 1) {
    return {
      ok: false,
      reason: 'RECORD_TOO_LARGE',
      detail: `value is ${n} bytes; with its newline it exceeds Firehose's ${firehoseLimits.maxRecordBytes}-byte record limit`,
    };
  }
  let data: Buffer | undefined;
  if (n > 0 && arena && arena.buffer.length - arena.offset >= n + 1) {
    data = arena.buffer.subarray(arena.offset, arena.offset + n + 1);
    arena.offset += n + 1;
  } else if (n > 0) {
    data = Buffer.allocUnsafe(n + 1);
  }
  if (n <= 0 || !data || data.write(value, 0, n, 'base64') !== n || !BASE64_TAIL.test(value.slice(-4))) {
    return { ok: false, reason: 'VALUE_NOT_BASE64', detail: 'value is not valid base64' };
  }
  data[n] = LF; // the line's end, written first so the checks below need no sub-view
  if (!isUtf8(data)) return { ok: false, reason: 'VALUE_NOT_JSON', detail: 'value is not valid UTF-8' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8', 0, n));
  } catch (err) {
    return { ok: false, reason: 'VALUE_NOT_JSON', detail: `value is not JSON: ${(err as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, reason: 'PARTITION_FIELDS_INVALID', detail: 'value is JSON but not an object' };
  }
  const event = parsed as { app_id?: unknown; ingest_time?: unknown };
  if (typeof event.app_id !== 'string' || !APP_ID.test(event.app_id)) {
    return {
      ok: false,
      reason: 'PARTITION_FIELDS_INVALID',
      detail: 'app_id must be a string of letters, digits, _ . - (at most 128)',
    };
  }
  if (typeof event.ingest_time !== 'number' || !Number.isFinite(event.ingest_time) || event.ingest_time < 0) {
    return {
      ok: false,
      reason: 'PARTITION_FIELDS_INVALID',
      detail: 'ingest_time must be a millisecond epoch number',
    };
  }
  if (data.indexOf(LF) < n || data.indexOf(CR) !== -1) {
    for (let i = 0; i < n; i++) if (data[i] === LF || data[i] === CR) data[i] = SPACE;
  }
  return { ok: true, data };
}
