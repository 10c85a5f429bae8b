import { ConfigError } from '../lib/errors.ts';
import { ROUTE_MAX_AGE_SECONDS } from '../lib/route-fence.ts';
import { integer, list, optionalString, requiredString, type Env } from '../lib/config.ts';

export interface IngestConfig {
  /**
   * The static route: the topic the configured apps write to. Optional next to the pipelines
   * registry; kept so deployments without pipelines and the local demo need no table.
   */
  topic: string | undefined;
  allowedAppIds: ReadonlySet<string>;
  /** The pipelines registry table (routes by appId); consulted before the static route. */
  pipelinesTable?: string | undefined;
  ackTimeoutMs: number;
  retryAfterSeconds: number;
  /** Oldest usable cached route (ms); only lowered, never raised past the teardown fence. */
  routeMaxAgeMs: number;
}

/** Reads and validates the ingest function's own settings (Kafka settings: lib/kafka). */
export function readIngestConfig(env: Env): IngestConfig {
  const pipelinesTable = optionalString(env, 'PIPELINES_TABLE');
  const allowed = list(env, 'ALLOWED_APP_IDS');
  if (allowed.length === 0 && pipelinesTable === undefined) {
    throw new ConfigError('ALLOWED_APP_IDS is required: a comma-separated list of app ids (or set PIPELINES_TABLE to route apps through the pipelines registry)');
  }
  return {
    topic: allowed.length > 0 ? requiredString(env, 'INGEST_TOPIC') : optionalString(env, 'INGEST_TOPIC'),
    allowedAppIds: new Set(allowed),
    pipelinesTable,
    ackTimeoutMs: integer(env, 'KAFKA_ACK_TIMEOUT_MS', 5000, 100, 25000),
    retryAfterSeconds: integer(env, 'RETRY_AFTER_SECONDS', 5, 1, 3600),
    routeMaxAgeMs: integer(env, 'ROUTE_MAX_AGE_MS', ROUTE_MAX_AGE_SECONDS * 1000, 1, ROUTE_MAX_AGE_SECONDS * 1000),
  };
}
