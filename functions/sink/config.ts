import { ConfigError } from '../lib/errors.ts';
import { integer, optionalString, requiredString, type Env } from '../lib/config.ts';

export interface SinkConfig {
  /** Firehose DirectPut delivery stream the records are written to. */
  streamName: string;
  /** Bucket of the dead-letter objects (the data bucket: dead letters live under an error prefix). */
  deadLetterBucket: string;
  /** Key prefix of the dead-letter objects, always ending with '/'. */
  deadLetterPrefix: string;
  /** Time kept in reserve before the Lambda deadline: no Firehose call starts inside it. */
  safetyMarginMs: number;
  /** Full-jitter exponential backoff: first ceiling and cap, ms. */
  retryBaseDelayMs: number;
  retryMaxDelayMs: number;
  /** Upper bound of one PutRecordBatch call (further bounded by the remaining time). */
  requestTimeoutMs: number;
}

export const DEFAULT_DEAD_LETTER_PREFIX = 'errors/sink/';

/** Reads and validates the sink function's settings; every error names its variable. */
export function readSinkConfig(env: Env): SinkConfig {
  const prefix = optionalString(env, 'DLQ_PREFIX') ?? DEFAULT_DEAD_LETTER_PREFIX;
  if (prefix.startsWith('/')) throw new ConfigError(`DLQ_PREFIX='${prefix}' must not start with '/'`);
  const base = integer(env, 'SINK_RETRY_BASE_DELAY_MS', 100, 1, 10_000);
  const max = integer(env, 'SINK_RETRY_MAX_DELAY_MS', 5_000, 1, 60_000);
  if (max < base)
    throw new ConfigError(`SINK_RETRY_MAX_DELAY_MS=${max} must not be smaller than SINK_RETRY_BASE_DELAY_MS=${base}`);
  return {
    streamName: requiredString(env, 'FIREHOSE_STREAM_NAME'),
    deadLetterBucket: requiredString(env, 'DLQ_BUCKET'),
    deadLetterPrefix: prefix.endsWith('/') ? prefix : `${prefix}/`,
    safetyMarginMs: integer(env, 'SINK_SAFETY_MARGIN_MS', 3_000, 0, 60_000),
    retryBaseDelayMs: base,
    retryMaxDelayMs: max,
    requestTimeoutMs: integer(env, 'FIREHOSE_REQUEST_TIMEOUT_MS', 10_000, 100, 120_000),
  };
}
