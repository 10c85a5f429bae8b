/** Size bounds of POST /collect. Documented in README and docs/openapi.yaml. */
export const limits = {
  /** Request body as received (after API Gateway's transport base64), compressed or not. */
  maxBodyBytes: 1024 * 1024,
  /** JSON text after gzip decompression: the gzip-bomb guard. */
  maxDecompressedBytes: 5 * 1024 * 1024,
  /**
   * One enriched event as a Kafka record value. Kept under Firehose's 1,000 KiB record limit
   * (minus the newline the sink adds) and Kafka's default 1 MB message size, so an accepted
   * event can always be delivered.
   */
  maxEventBytes: 1000 * 1024 - 1,
  /**
   * Events in one request. Every event gets a line in the answer when rejected, so without a
   * bound 5 MiB of `[{},{},…]` made a 120 MB answer (Lambda returns at most 6 MB: a 5xx). 2,000
   * is what Amplitude's and Mixpanel's batch APIs accept; SDK batches are far smaller.
   */
  maxEventsPerRequest: 2000,
  /**
   * Levels of objects/arrays in one event (the event object is level 1). Deeper values overflowed
   * the stack of JSON.stringify (a 500) and no analytics schema nests anywhere near this.
   */
  maxEventDepth: 32,
  /** A rejected event's `event_id` is echoed back only up to this length (the answer stays small). */
  maxEchoedIdChars: 128,
} as const;
