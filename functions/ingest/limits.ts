/** Bounds of POST /collect. Documented in README and docs/openapi.yaml. */
export const limits = {
  /** Request body as received (after API Gateway's transport base64), compressed or not. */
  maxBodyBytes: 1024 * 1024,
  /** JSON text after gzip decompression: the gzip-bomb guard. */
  maxDecompressedBytes: 5 * 1024 * 1024,
  /**
   * Events in one request. Bounds the work and the size of the answer (one rejection per event
   * must fit in a Lambda response).
   */
  maxEventsPerRequest: 10_000,
  /**
   * One enriched event as a Kafka record value. Kept under Firehose's 1,000 KiB record limit
   * (minus the newline the sink adds) and Kafka's default 1 MB message size, so an accepted
   * event can always be delivered.
   */
  maxEventBytes: 1000 * 1024 - 1,
  /** Nesting of objects/arrays inside one event (`{"a":[1]}` is 2): deeper events are rejected. */
  maxEventDepth: 64,
  /**
   * Characters of `event_id`, `event_type` and the identity fields the record key is built from
   * (`user_id`, `user_pseudo_id`, `unique_id`, `device_id`, `session_id`): longer → rejected.
   */
  maxIdentityChars: 256,
  /** Characters of the `platform` query parameter kept with the enrichment. */
  maxPlatformChars: 64,
} as const;

/**
 * The UTF-8 size of `text` when it exceeds `max`, else undefined. A UTF-16 code unit encodes to at
 * most 3 bytes, so short text needs no count: counting every event took ~12% of the ingest core.
 */
export function utf8BytesOver(text: string, max: number): number | undefined {
  if (text.length * 3 <= max) return undefined;
  const bytes = Buffer.byteLength(text);
  return bytes > max ? bytes : undefined;
}
