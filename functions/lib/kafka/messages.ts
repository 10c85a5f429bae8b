import type { EventRecord } from './producer.ts';

/** Strings up to this many UTF-16 units share slabs; a longer one gets a buffer of its own. */
const SHARED_MAX_UNITS = 16 * 1024;
const SLAB_BYTES = 256 * 1024;

/**
 * A UTF-8 encoder for the keys and values of one send: short strings are written one after the
 * other into shared slabs, so a 100-event request costs a few allocations instead of two per
 * event (`Buffer.from` per string was ~20% of the ingest core, most of it allocation). The
 * returned buffers are views into the slab: they must not be written to.
 *
 * `expectedUnits` is the UTF-16 length of everything the send will encode: slabs are sized to
 * it (at most 256 KiB each), so a small request does not allocate a large slab.
 */
export function utf8Slabs(expectedUnits = SLAB_BYTES / 3): (text: string) => Buffer {
  let slab = Buffer.alloc(0);
  let used = 0;
  // Bytes still to come at most (a UTF-16 unit is at most 3 UTF-8 bytes).
  let pending = expectedUnits * 3;
  return (text) => {
    const most = text.length * 3;
    pending -= most;
    if (text.length > SHARED_MAX_UNITS) return Buffer.from(text, 'utf8');
    // This much room always holds the text.
    if (slab.length - used < most) {
      slab = Buffer.allocUnsafe(Math.max(most, Math.min(SLAB_BYTES, pending + most)));
      used = 0;
    }
    const written = slab.write(text, used, 'utf8');
    const view = slab.subarray(used, used + written);
    used += written;
    return view;
  };
}

/** A record as the client sends it. */
export type Message = { topic: string; key: Buffer; value: Buffer; headers?: Map<Buffer, Buffer> };

/** The client's messages of one send: keys and values in shared slabs, header buffers encoded once. */
export function toMessages(topic: string, records: readonly EventRecord[]): Message[] {
  // Header names and values repeat across a batch (app_id, event_type): encoded once per send.
  const encoded = new Map<string, Buffer>();
  const bytes = (text: string): Buffer => {
    let buffer = encoded.get(text);
    if (buffer === undefined) encoded.set(text, (buffer = Buffer.from(text)));
    return buffer;
  };
  const utf8 = utf8Slabs(
    records.reduce((n, r) => n + r.key.length + (typeof r.value === 'string' ? r.value.length : 0), 0),
  );
  return records.map((record) => ({
    topic,
    key: utf8(record.key),
    value: typeof record.value === 'string' ? utf8(record.value) : record.value,
    ...(record.headers
      ? { headers: new Map(Object.entries(record.headers).map(([k, v]) => [bytes(k), bytes(v)])) }
      : {}),
  }));
}
