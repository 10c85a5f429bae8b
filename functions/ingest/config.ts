import { ConfigError } from '../lib/errors.ts';
import { ROUTE_MAX_AGE_SECONDS } from '../lib/route-fence.ts';
import { integer, list, optionalString, requiredString, type Env } from '../lib/config.ts';
import { parseOriginPolicy, type OriginPolicy } from '../lib/origins.ts';

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
  /** Browser origins allowed to send (CORS_ALLOWED_ORIGINS; empty or `*` = any). */
  origins: OriginPolicy;
  /** Kafka producers kept open at once, one per cluster (KAFKA_MAX_PRODUCERS). */
  maxProducers: number;
  /** A cluster's producer unused this long is closed (KAFKA_PRODUCER_IDLE_MS). */
  producerIdleMs: number;
  /** Signing region of IAM auth when a route does not name one. */
  region: string | undefined;
}

/** Reads and validates the ingest function's own settings (Kafka settings: lib/kafka). */
export function readIngestConfig(env: Env): IngestConfig {
  const pipelinesTable = optionalString(env, 'PIPELINES_TABLE');
  const allowed = list(env, 'ALLOWED_APP_IDS');
  if (allowed.length === 0 && pipelinesTable === undefined) {
    throw new ConfigError(
      'ALLOWED_APP_IDS is required: a comma-separated list of app ids (or set PIPELINES_TABLE to route apps through the pipelines registry)',
    );
  }
  return {
    topic: allowed.length > 0 ? requiredString(env, 'INGEST_TOPIC') : optionalString(env, 'INGEST_TOPIC'),
    allowedAppIds: new Set(allowed),
    pipelinesTable,
    ackTimeoutMs: integer(env, 'KAFKA_ACK_TIMEOUT_MS', 5000, 100, 25000),
    retryAfterSeconds: integer(env, 'RETRY_AFTER_SECONDS', 5, 1, 3600),
    routeMaxAgeMs: integer(env, 'ROUTE_MAX_AGE_MS', ROUTE_MAX_AGE_SECONDS * 1000, 1, ROUTE_MAX_AGE_SECONDS * 1000),
    origins: parseOriginPolicy(env.CORS_ALLOWED_ORIGINS, 'CORS_ALLOWED_ORIGINS'),
    maxProducers: integer(env, 'KAFKA_MAX_PRODUCERS', 16, 1, 256),
    producerIdleMs: integer(env, 'KAFKA_PRODUCER_IDLE_MS', 300_000, 1_000, 86_400_000),
    region: optionalString(env, 'AWS_REGION'),
  };
}
