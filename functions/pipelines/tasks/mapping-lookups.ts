/** Finding a pipeline's event source mapping by its consumer group (after a conflict, or when the registry missed it). */
import {
  ListEventSourceMappingsCommand,
  type EventSourceMappingConfiguration,
  type LambdaClient,
} from '@aws-sdk/client-lambda';
import { consumerGroupId } from '../build-event-source-mapping.ts';

/** The mapping of this function whose consumer group is the pipeline's. */
export async function findPipelineMapping(
  lambda: Pick<LambdaClient, 'send'>,
  functionName: string,
  pipelineId: string,
): Promise<EventSourceMappingConfiguration | undefined> {
  const group = consumerGroupId(pipelineId);
  let marker: string | undefined;
  do {
    const page = await lambda.send(
      new ListEventSourceMappingsCommand({
        FunctionName: functionName,
        ...(marker ? { Marker: marker } : {}),
      }),
    );
    const found = page.EventSourceMappings?.find(
      (m) =>
        m.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId === group ||
        m.SelfManagedKafkaEventSourceConfig?.ConsumerGroupId === group,
    );
    if (found) return found;
    marker = page.NextMarker;
  } while (marker);
  return undefined;
}
