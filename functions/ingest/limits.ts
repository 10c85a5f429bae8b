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
} as const;
