/**
 * The Lambda port of the tasks that manage the sink's event source mapping, and finding a
 * pipeline's mapping by its consumer group (after a conflict, or when the registry missed it).
 */
import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  type EventSourceMappingConfiguration,
} from '@aws-sdk/client-lambda';
import { clientPort } from '../../lib/aws.ts';
import { findInPages } from '../../lib/aws-pages.ts';
import { consumerGroupId } from '../build-event-source-mapping.ts';
import type { TaskDeps } from './step.ts';

/** The ports of a task that calls Lambda's event source mapping API. */
export type LambdaDeps = TaskDeps & { lambda: Pick<LambdaClient, 'send'> };

export const lambdaPorts = clientPort('lambda', LambdaClient);

/** The mapping of this function whose consumer group is the pipeline's. */
export async function findPipelineMapping(
  lambda: Pick<LambdaClient, 'send'>,
  functionName: string,
  pipelineId: string,
): Promise<EventSourceMappingConfiguration | undefined> {
  const group = consumerGroupId(pipelineId);
  return findInPages(
    {
      fetch: (Marker) => lambda.send(new ListEventSourceMappingsCommand({ FunctionName: functionName, Marker })),
      items: (page) => page.EventSourceMappings,
      next: (page) => page.NextMarker,
    },
    (m) =>
      m.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId === group ||
      m.SelfManagedKafkaEventSourceConfig?.ConsumerGroupId === group,
  );
}
