import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import {
  createClusterConnection,
  createProducerPool,
  KafkaUnavailableError,
  parseClusterConfig,
  type ClusterConnection,
  type ClusterDescription,
  type ProducerPool,
} from '../lib/kafka/index.ts';
import { logger } from '../lib/logger.ts';
import { PowertoolsMetrics } from '../lib/metrics.ts';
import { createDocumentClient, DynamoPipelineStore } from '../pipelines/registry.ts';
import type { CollectDeps, IngestRoute } from './collect.ts';
import { readIngestConfig, type IngestConfig } from './config.ts';
import { createIngestApp } from './app.ts';
import { createRouteResolver } from './routes.ts';
import { timedProducer, withIngestMetrics } from './ingest-metrics.ts';

/** EMF metrics (docs/operations.md): flushed once per request, no API call. */
const metrics = new PowertoolsMetrics();

let container: { deps: CollectDeps; pool: ProducerPool } | undefined;

/**
 * The connection of a route: the pipeline's cluster as the registry route carries it, or the
 * stack's KAFKA_* cluster for the static route. Validated once per route object (routes are
 * cached), so a send costs no re-validation.
 */
function connectionResolver(config: IngestConfig) {
  // The stack's cluster is the static route's; read (and validated) at start when configured.
  let stackCluster = config.topic === undefined ? undefined : parseClusterConfig(process.env, { logger });
  const validated = new WeakMap<ClusterDescription, ClusterConnection>();
  return (route: IngestRoute): ClusterConnection => {
    const description = route.cluster;
    if (description === undefined) {
      // The static route, or a registry route written before routes carried their cluster: such a
      // pipeline was created when ingest wrote only to the stack's cluster, so that is its cluster.
      stackCluster ??= parseClusterConfig(process.env, { logger });
      return stackCluster;
    }
    let conn = validated.get(description);
    if (conn === undefined) {
      const region = description.auth === 'iam' ? (description.region ?? config.region) : description.region;
      conn = createClusterConnection({ ...description, ...(region !== undefined ? { region } : {}) }, { logger });
      validated.set(description, conn);
    }
    return conn;
  };
}

/**
 * Built once per container: configuration is read and validated; the producer pool keeps one
 * idempotent producer per cluster (each connects lazily on its first send), reused by every
 * invocation, as are the registry client and the route cache.
 */
function containerDeps(): CollectDeps {
  if (container) return container.deps;
  const config = readIngestConfig(process.env);
  const connectionFor = connectionResolver(config);
  // Never auto-create: the pipeline workflow creates each topic, and a producer that recreated a
  // deleted pipeline's topic would acknowledge events that no sink ever delivers.
  const pool = createProducerPool({
    logger,
    autocreateTopics: false,
    maxProducers: config.maxProducers,
    idleMs: config.producerIdleMs,
  });
  const routeFor = createRouteResolver({
    // Registry reads must fail fast: the request still has Kafka's acknowledgement to wait for.
    registry:
      config.pipelinesTable === undefined
        ? undefined
        : new DynamoPipelineStore({
            client: createDocumentClient({
              maxAttempts: 2,
              connectionTimeoutMs: 1_000,
              requestTimeoutMs: 1_500,
            }),
            tableName: config.pipelinesTable,
          }),
    staticRoute: config.topic === undefined ? undefined : { topic: config.topic, appIds: config.allowedAppIds },
    log: logger,
    retryAfterSeconds: config.retryAfterSeconds,
    maxAgeMs: config.routeMaxAgeMs,
  });
  const deps: CollectDeps = {
    producer: timedProducer(
      {
        send: (
          route: IngestRoute,
          records: Parameters<ProducerPool['send']>[2],
          opts?: Parameters<ProducerPool['send']>[3],
        ) => pool.send(connectionFor(route), route.topic, records, opts),
      },
      metrics,
    ),
    routeFor,
    // A write that failed may mean the route is gone (pipeline deleted): look it up again next time.
    routeFailed: routeFor.forget,
    isUnavailable: (err) => err instanceof KafkaUnavailableError,
    origins: config.origins,
    ackTimeoutMs: config.ackTimeoutMs,
    retryAfterSeconds: config.retryAfterSeconds,
    now: Date.now,
  };
  container = { deps, pool };
  return deps;
}

/** Closes the container's Kafka connections (the local stack calls it on exit; Lambda never does). */
export async function shutdown(): Promise<void> {
  const current = container;
  container = undefined;
  await current?.pool.close();
}

export const handler = middy(withIngestMetrics(createIngestApp(containerDeps, logger), metrics)).use(
  injectLambdaContext(logger),
);
