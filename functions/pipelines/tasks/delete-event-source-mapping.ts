/**
 * DeleteEventSourceMapping (teardown and rollback): deletes the pipeline's mapping. Idempotent:
 * no mapping, or "not found", is done; a mapping in transition (ResourceInUseException) is
 * retried. A mapping the registry does not know (CreateEventSourceMapping died before recording
 * it) is found by the pipeline's consumer group.
 */
import { DeleteEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { awsClientConfig } from '../../lib/aws.ts';
import { optionalString } from '../../lib/config.ts';
import type { Pipeline } from '../model.ts';
import { CLEANUP_STATUSES, stepStarted, type CleanupInput, type CleanupOutput } from './cleanup.ts';
import { isAwsError, isNotFound, toTaskError, TransientError } from './errors.ts';
import { registryStore, taskHandler, taskLog } from './lambda.ts';
import { findPipelineMapping } from './mapping-lookups.ts';
import { loadPipeline, runStep, type TaskDeps } from './step.ts';

export const DELETE_MAPPING_STEP = 'DeleteEventSourceMapping';

export interface DeleteEventSourceMappingDeps extends TaskDeps {
  lambda: Pick<LambdaClient, 'send'>;
  /** SINK_FUNCTION_NAME, to find an unrecorded mapping; optional. */
  sinkFunctionName: string | undefined;
}

async function mappingUuidOf(pipeline: Pipeline, deps: DeleteEventSourceMappingDeps): Promise<string | undefined> {
  if (pipeline.resources.mappingUuid) return pipeline.resources.mappingUuid;
  if (!stepStarted(pipeline, 'CreateEventSourceMapping') || deps.sinkFunctionName === undefined) return undefined;
  try {
    return (await findPipelineMapping(deps.lambda, deps.sinkFunctionName, pipeline.id))?.UUID;
  } catch (error) {
    throw toTaskError(error, "look for the pipeline's event source mapping");
  }
}

export async function deleteEventSourceMapping(
  input: CleanupInput,
  deps: DeleteEventSourceMappingDeps,
): Promise<CleanupOutput> {
  const pipeline = await loadPipeline(deps, input.pipelineId, CLEANUP_STATUSES);
  return runStep(
    deps,
    pipeline.id,
    input.step ?? DELETE_MAPPING_STEP,
    async () => {
      const uuid = await mappingUuidOf(pipeline, deps);
      if (uuid === undefined) return { deleted: undefined, alreadyGone: false };
      try {
        await deps.lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
        return { deleted: uuid, alreadyGone: false };
      } catch (error) {
        if (isNotFound(error)) return { deleted: uuid, alreadyGone: true };
        if (isAwsError(error, 'ResourceInUseException'))
          throw new TransientError(`event source mapping ${uuid} is changing state; will retry`, {
            cause: error,
          });
        throw toTaskError(error, `delete event source mapping ${uuid}`);
      }
    },
    {
      detail: (r) =>
        r.deleted === undefined
          ? 'no event source mapping to delete'
          : `event source mapping ${r.deleted} ${r.alreadyGone ? 'was already gone' : 'deleted'}`,
    },
  );
}

let deps: DeleteEventSourceMappingDeps | undefined;
export const handler = taskHandler<CleanupInput, CleanupOutput>(DELETE_MAPPING_STEP, (input) => {
  deps ??= {
    store: registryStore(),
    lambda: new LambdaClient(awsClientConfig()),
    log: taskLog,
    sinkFunctionName: optionalString(process.env, 'SINK_FUNCTION_NAME'),
  };
  return deleteEventSourceMapping(input, deps);
});
