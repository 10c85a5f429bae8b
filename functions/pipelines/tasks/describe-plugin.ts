/**
 * DescribePlugin: one poll of the custom plugin. ACTIVE → the Choice moves on to CreateConnector;
 * CREATING or UPDATING → wait and poll again (bounded); CREATE_FAILED or any other state, or gone →
 * ResourceFailedError with MSK Connect's explanation.
 */
import { DescribeCustomPluginCommand } from '@aws-sdk/client-kafkaconnect';
import { kafkaConnectPorts, type KafkaConnectDeps } from './connect-lookups.ts';
import { taskLambda } from './lambda.ts';
import { resourceWait, stateWhy, WAITED_ON } from './poll-resource.ts';

export const DESCRIBE_PLUGIN_STEP = WAITED_ON.plugin.step;

/** Output: `{pluginArn, revision, state, attempt, since}`, `state` ACTIVE, CREATING or UPDATING. */
export const describePlugin = resourceWait('plugin', async (pluginArn, deps: KafkaConnectDeps) => {
  const out = await deps.kafkaConnect.send(new DescribeCustomPluginCommand({ customPluginArn: pluginArn }));
  return {
    reported: out.customPluginState ?? 'UNKNOWN',
    why: stateWhy(out.stateDescription),
    fields: { pluginArn, revision: out.latestRevision?.revision },
  };
});

export const handler = taskLambda(DESCRIBE_PLUGIN_STEP, describePlugin, kafkaConnectPorts);
