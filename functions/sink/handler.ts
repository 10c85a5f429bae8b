import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import { logger } from '../lib/logger.ts';
import { noMetrics, PowertoolsMetrics, type MetricsPort } from '../lib/metrics.ts';
import type { KafkaBatchResponse } from './batch-response.ts';
import { readSinkConfig } from './config.ts';
import { deliverKafkaEvent } from './deliver.ts';
import { deliveryDeps, type SinkContainer } from './delivery-deps.ts';
import { recordSinkBatch } from './sink-metrics.ts';

let container: SinkContainer | undefined;

/**
 * Built once per container, on the first invocation: configuration is read and validated (a
 * missing variable fails the invocation with its name, and Lambda retries the batch), and the
 * SDK clients are created and reused (delivery-deps.ts).
 */
function containerDeps(): SinkContainer {
  container ??= deliveryDeps(readSinkConfig(process.env));
  return container;
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
