/**
 * DeletePlugin (teardown and rollback): deletes the custom plugin only when this pipeline created
 * it (a plugin given by ARN is shared and stays). Idempotent: "not found" is done; a plugin still
 * used by a connector that is going away (ConflictException) is retried.
 */
import { DeleteCustomPluginCommand } from '@aws-sdk/client-kafkaconnect';
import { awsDelete, cleanupStep, unrecorded, type CleanupInput, type CleanupOutput } from './cleanup.ts';
import { findArnByName, pluginName, kafkaConnectPorts, type KafkaConnectDeps } from './connect-lookups.ts';
import { taskLambda } from './lambda.ts';

export const DELETE_PLUGIN_STEP = 'DeletePlugin';

export async function deletePlugin(input: CleanupInput, deps: KafkaConnectDeps): Promise<CleanupOutput> {
  return cleanupStep(deps, input, {
    step: DELETE_PLUGIN_STEP,
    kind: 'custom plugin',
    nothing: 'no custom plugin of this pipeline to delete',
    find: async (pipeline) => {
      const { resources } = pipeline;
      if (resources.pluginArn) return resources.pluginCreated === true ? resources.pluginArn : undefined;
      // Only a plugin built from a plugin location is the pipeline's own.
      const own = pipeline.sink.connector?.pluginLocation !== undefined;
      return unrecorded(
        pipeline,
        'CreatePlugin',
        'custom plugin',
        own ? () => findArnByName(deps.kafkaConnect, 'custom plugin', pluginName(pipeline.id)) : undefined,
      );
    },
    remove: (pluginArn) =>
      awsDelete(
        `custom plugin ${pluginArn}`,
        () => deps.kafkaConnect.send(new DeleteCustomPluginCommand({ customPluginArn: pluginArn })),
        { error: 'ConflictException', why: 'is still in use by a connector' },
      ),
  });
}

export const handler = taskLambda(DELETE_PLUGIN_STEP, deletePlugin, kafkaConnectPorts);
