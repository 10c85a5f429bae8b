/**
 * DeleteEventSourceMapping (teardown and rollback): deletes the pipeline's mapping. Idempotent:
 * no mapping, or "not found", is done; a mapping in transition (ResourceInUseException) is
 * retried. A mapping the registry does not know (CreateEventSourceMapping died before recording
 * it) is found by the pipeline's consumer group.
 */
import { DeleteEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { optionalString } from '../../lib/config.ts';
import { awsDelete, cleanupStep, unrecorded, type CleanupInput, type CleanupOutput } from './cleanup.ts';
import { taskLambda } from './lambda.ts';
import { findPipelineMapping, lambdaPorts, type LambdaDeps } from './mapping-lookups.ts';

export const DELETE_MAPPING_STEP = 'DeleteEventSourceMapping';

export interface DeleteEventSourceMappingDeps extends LambdaDeps {
  /** SINK_FUNCTION_NAME, to find an unrecorded mapping; optional. */
  sinkFunctionName: string | undefined;
}

export async function deleteEventSourceMapping(
  input: CleanupInput,
  deps: DeleteEventSourceMappingDeps,
): Promise<CleanupOutput> {
  const { sinkFunctionName } = deps;
  return cleanupStep(deps, input, {
    step: DELETE_MAPPING_STEP,
    kind: 'event source mapping',
    nothing: 'no event source mapping to delete',
    find: async (pipeline) =>
      pipeline.resources.mappingUuid ||
      unrecorded(
        pipeline,
        'CreateEventSourceMapping',
        'event source mapping',
        sinkFunctionName !== undefined
          ? async () => (await findPipelineMapping(deps.lambda, sinkFunctionName, pipeline.id))?.UUID
          : undefined,
      ),
    remove: (uuid) =>
      awsDelete(
        `event source mapping ${uuid}`,
        () => deps.lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid })),
        { error: 'ResourceInUseException', why: 'is changing state' },
      ),
  });
}

export const handler = taskLambda(DELETE_MAPPING_STEP, deleteEventSourceMapping, () => ({
  ...lambdaPorts(),
  sinkFunctionName: optionalString(process.env, 'SINK_FUNCTION_NAME'),
}));
