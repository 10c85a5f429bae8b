import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createEventProducer, parseClusterConfig, type EventProducer } from '../lib/kafka/index.ts';
import { logger } from '../lib/logger.ts';
import { PowertoolsMetrics } from '../lib/metrics.ts';
import { createDocumentClient, DynamoPipelineStore } from '../pipelines/registry.ts';
import type { CollectDeps } from './collect.ts';
import { readIngestConfig } from './config.ts';
import { createIngestApp } from './app.ts';
import { createTopicResolver } from './routes.ts';
import { timedProducer, withIngestMetrics } from './ingest-metrics.ts';

/** EMF metrics (docs/operations.md): flushed once per request, no API call. */
const metrics = new PowertoolsMetrics();

let container: { deps: CollectDeps; producer: EventProducer } | undefined;

/**
 * Built once per container: configuration is read and validated, and the idempotent producer is
 * created and reused by every invocation (it connects lazily on the first send), as are the
 * registry client and the route cache.
 */
function containerDeps(): CollectDeps {
  if (container) return container.deps;
  const config = readIngestConfig(process.env);
  // Never auto-create: the pipeline workflow creates each topic, and a producer that recreated a
  // deleted pipeline's topic would acknowledge events that no sink ever delivers.
  const producer = createEventProducer(parseClusterConfig(process.env), { logger, autocreateTopics: false });
  const topicFor = createTopicResolver({
      // Registry reads must fail fast: the request still has Kafka's acknowledgement to wait for.
      registry: config.pipelinesTable === undefined
        ? undefined
        : new DynamoPipelineStore({ client: createDocumentClient({ maxAttempts: 2, connectionTimeoutMs: 1_000, requestTimeoutMs: 1_500 }), tableName: config.pipelinesTable }),
      staticRoute: config.topic === undefined ? undefined : { topic: config.topic, appIds: config.allowedAppIds },
      log: logger,
      retryAfterSeconds: config.retryAfterSeconds,
      maxAgeMs: config.routeMaxAgeMs,
    });
  const deps: CollectDeps = {
    producer: timedProducer(producer, metrics),
    topicFor,
    // A write that failed may mean the route is gone (pipeline deleted): look it up again next time.
    routeFailed: topicFor.forget,
    isUnavailable: (err) => err instanceof Error && err.name === 'KafkaUnavailableError',
    ackTimeoutMs: config.ackTimeoutMs,
    retryAfterSeconds: config.retryAfterSeconds,
    now: Date.now,
  };
  container = { deps, producer };
  return deps;
}

/** Closes the container's Kafka connections (the local stack calls it on exit; Lambda never does). */
export async function shutdown(): Promise<void> {
  const current = container;
  container = undefined;
  await current?.producer.close();
}

export const handler = middy(withIngestMetrics(createIngestApp(containerDeps, logger), metrics)).use(injectLambdaContext(logger));
