import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { createEventProducer, parseClusterConfig } from '../lib/kafka/index.ts';
import { logger } from '../lib/logger.ts';
import type { CollectDeps } from './collect.ts';
import { readIngestConfig } from './config.ts';
import { createIngestApp } from './app.ts';

let deps: CollectDeps | undefined;

/**
 * Built once per container: configuration is read and validated, and the idempotent producer is
 * created and reused by every invocation (it connects lazily on the first send).
 */
function containerDeps(): CollectDeps {
  if (deps) return deps;
  const config = readIngestConfig(process.env);
  const producer = createEventProducer(parseClusterConfig(process.env), { logger });
  deps = {
    producer,
    topicFor: (appId) => (config.allowedAppIds.has(appId) ? config.topic : undefined),
    isUnavailable: (err) => err instanceof Error && err.name === 'KafkaUnavailableError',
    ackTimeoutMs: config.ackTimeoutMs,
    retryAfterSeconds: config.retryAfterSeconds,
    now: Date.now,
  };
  return deps;
}

export const handler = middy(createIngestApp(containerDeps, logger)).use(injectLambdaContext(logger));
