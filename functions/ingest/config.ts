import { ConfigError } from '../lib/errors.ts';
import { integer, list, requiredString, type Env } from '../lib/config.ts';

export interface IngestConfig {
  /** Topic the configured apps write to (until the pipelines registry routes by appId). */
  topic: string;
  allowedAppIds: ReadonlySet<string>;
  ackTimeoutMs: number;
  retryAfterSeconds: number;
}

/** Reads and validates the ingest function's own settings (Kafka settings: lib/kafka). */
export function readIngestConfig(env: Env): IngestConfig {
  const allowed = list(env, 'ALLOWED_APP_IDS');
  if (allowed.length === 0) throw new ConfigError('ALLOWED_APP_IDS is required: a comma-separated list of app ids');
  return {
    topic: requiredString(env, 'INGEST_TOPIC'),
    allowedAppIds: new Set(allowed),
    ackTimeoutMs: integer(env, 'KAFKA_ACK_TIMEOUT_MS', 5000, 100, 25000),
    retryAfterSeconds: integer(env, 'RETRY_AFTER_SECONDS', 5, 1, 3600),
  };
}
