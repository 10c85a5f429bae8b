/**
 * DeletePlugin (teardown and rollback): deletes the custom plugin only when this pipeline created
 * it (a plugin given by ARN is shared and stays). Idempotent: "not found" is done; a plugin still
 * used by a connector that is going away (ConflictException) is retried.
 */
import { DeleteCustomPluginCommand, KafkaConnectClient } from '@aws-sdk/client-kafkaconnect';
import { awsClientConfig } from '../../lib/aws.ts';
import type { Pipeline } from '../model.ts';
import { CLEANUP_STATUSES, stepStarted, type CleanupInput, type CleanupOutput } from './cleanup.ts';
import { findPluginByName, pluginName } from './connect-lookups.ts';
import { isAwsError, isNotFound, toTaskError, TransientError } from './errors.ts';
import { registryStore, taskHandler, taskLog } from './lambda.ts';
import { loadPipeline, runStep, type TaskDeps } from './step.ts';

export const DELETE_PLUGIN_STEP = 'DeletePlugin';

export interface DeletePluginDeps extends TaskDeps {
  kafkaConnect: Pick<KafkaConnectClient, 'send'>;
}

async function ownPluginArn(pipeline: Pipeline, deps: DeletePluginDeps): Promise<string | undefined> {
  const { resources } = pipeline;
  if (resources.pluginArn) return resources.pluginCreated === true ? resources.pluginArn : undefined;
  if (!stepStarted(pipeline, 'CreatePlugin') || pipeline.sink.connector?.pluginLocation === undefined) return undefined;
  try {
    return (await findPluginByName(deps.kafkaConnect, pluginName(pipeline.id)))?.customPluginArn;
  } catch (error) {
    throw toTaskError(error, "look for the pipeline's custom plugin");
  }
}

export async function deletePlugin(input: CleanupInput, deps: DeletePluginDeps): Promise<CleanupOutput> {
  const pipeline = await loadPipeline(deps, input.pipelineId, CLEANUP_STATUSES);
  return runStep(
    deps,
    pipeline.id,
    input.step ?? DELETE_PLUGIN_STEP,
    async () => {
      const pluginArn = await ownPluginArn(pipeline, deps);
      if (pluginArn === undefined) return { deleted: undefined, alreadyGone: false };
      try {
        await deps.kafkaConnect.send(new DeleteCustomPluginCommand({ customPluginArn: pluginArn }));
        return { deleted: pluginArn, alreadyGone: false };
      } catch (error) {
        if (isNotFound(error)) return { deleted: pluginArn, alreadyGone: true };
        if (isAwsError(error, 'ConflictException'))
          throw new TransientError(`custom plugin ${pluginArn} is still in use by a connector; will retry`, {
            cause: error,
          });
        throw toTaskError(error, `delete custom plugin ${pluginArn}`);
      }
    },
    {
      detail: (r) =>
        r.deleted === undefined
          ? 'no custom plugin of this pipeline to delete'
          : `custom plugin ${r.deleted} ${r.alreadyGone ? 'was already gone' : 'deleted'}`,
    },
  );
}

let deps: DeletePluginDeps | undefined;
export const handler = taskHandler<CleanupInput, CleanupOutput>(DELETE_PLUGIN_STEP, (input) => {
  deps ??= { store: registryStore(), kafkaConnect: new KafkaConnectClient(awsClientConfig()), log: taskLog };
  return deletePlugin(input, deps);
});
