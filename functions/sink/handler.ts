import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { setTimeout as sleep } from 'node:timers/promises';
import { awsClientConfig } from '../lib/aws.ts';
import { logger, type Log } from '../lib/logger.ts';
import { noMetrics, PowertoolsMetrics, type MetricsPort } from '../lib/metrics.ts';
import type { KafkaBatchResponse } from './batch-response.ts';
import { readSinkConfig } from './config.ts';
import { deliverKafkaEvent, type DeliverDeps } from './deliver.ts';
import { recordSinkBatch } from './sink-metrics.ts';

/** Everything of DeliverDeps that does not depend on the invocation. */
export type SinkContainer = Omit<DeliverDeps, 'remainingTimeMs'>;

let container: SinkContainer | undefined;

/** The Powertools logger behind the core's small Log port. */
const log: Log = {
  debug: (message, extra) => logger.debug(message, extra ?? {}),
  info: (message, extra) => logger.info(message, extra ?? {}),
  warn: (message, extra) => logger.warn(message, extra ?? {}),
  error: (message, extra) => logger.error(message, extra ?? {}),
};

/**
 * Built once per container, on the first invocation: configuration is read and validated (a
 * missing variable fails the invocation with its name, and Lambda retries the batch), and the
 * SDK clients are created and reused. Firehose gets maxAttempts 1 because the core runs its own
 * backoff within the remaining time; S3 (dead letters) keeps the SDK's standard retries.
 * Endpoints come from AWS_ENDPOINT_URL when set (the local stack), so nothing here knows it.
 */
function containerDeps(): SinkContainer {
  if (container) return container;
  const config = readSinkConfig(process.env);
  const built: SinkContainer = {
    firehose: new FirehoseClient(awsClientConfig({ maxAttempts: 1, requestTimeoutMs: config.requestTimeoutMs })),
    s3: new S3Client(awsClientConfig()),
    streamName: config.streamName,
    deadLetterBucket: config.deadLetterBucket,
    deadLetterPrefix: config.deadLetterPrefix,
    sleep: (ms) => sleep(ms),
    random: Math.random,
    now: Date.now,
    log,
    safetyMarginMs: config.safetyMarginMs,
    retryBaseDelayMs: config.retryBaseDelayMs,
    retryMaxDelayMs: config.retryMaxDelayMs,
    requestTimeoutMs: config.requestTimeoutMs,
  };
  container = built;
  return built;
}

/**
 * The Lambda shape of the sink, independent of middleware: MSK / self-managed Kafka event in,
 * partial batch response out. Exported for tests and for the local stack's event source
 * mappings, which invoke it in-process.
 */
export function createSinkHandler(getDeps: () => SinkContainer, metrics: MetricsPort = noMetrics) {
  return async function sink(
    event: unknown,
    context: Pick<Context, 'getRemainingTimeInMillis'>,
  ): Promise<KafkaBatchResponse> {
    const deps = getDeps();
    const { response, stats } = await deliverKafkaEvent(event, {
      ...deps,
      remainingTimeMs: () => context.getRemainingTimeInMillis(),
    });
    deps.log.info('batch processed', { ...stats });
    recordSinkBatch(metrics, event, stats, deps.now());
    metrics.flush();
    return response;
  };
}

export const handler = middy(createSinkHandler(containerDeps, new PowertoolsMetrics())).use(
  injectLambdaContext(logger),
);
