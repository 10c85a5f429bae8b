/**
 * DescribePlugin: one poll of the custom plugin. ACTIVE → the Choice moves on to CreateConnector;
 * CREATING or UPDATING → wait and poll again (bounded); CREATE_FAILED or any other state, or gone →
 * ResourceFailedError with MSK Connect's explanation.
 */
import { DescribeCustomPluginCommand, KafkaConnectClient } from '@aws-sdk/client-kafkaconnect';
import { awsClientConfig } from '../../lib/aws.ts';
import { taskLambda } from './lambda.ts';
import { pollResource, stateWhy, type PolledResource } from './poll-resource.ts';
import type { PollInput, PollState } from './poll.ts';
import type { TaskDeps } from './step.ts';

export const DESCRIBE_PLUGIN_STEP = 'DescribePlugin';

export interface DescribePluginDeps extends TaskDeps {
  kafkaConnect: Pick<KafkaConnectClient, 'send'>;
}

export interface DescribePluginInput extends PollInput {
  /** CreatePlugin's output, then the previous poll's. */
  plugin: PollState & { pluginArn: string };
}

/** `state`: ACTIVE | CREATING | UPDATING (failure states throw). */
export type DescribePluginOutput = PolledResource<{ pluginArn: string; revision: number | undefined }>;

export async function describePlugin(
  input: DescribePluginInput,
  deps: DescribePluginDeps,
): Promise<DescribePluginOutput> {
  const pluginArn = input.plugin?.pluginArn;
  return pollResource(deps, input, input.plugin, {
    step: DESCRIBE_PLUGIN_STEP,
    kind: 'custom plugin',
    id: pluginArn,
    verb: 'describe',
    ready: 'ACTIVE',
    pending: ['CREATING', 'UPDATING'],
    hint: 'check that the plugin ZIP in S3 is a valid connector archive',
    describe: async () => {
      const out = await deps.kafkaConnect.send(new DescribeCustomPluginCommand({ customPluginArn: pluginArn }));
      return {
        reported: out.customPluginState ?? 'UNKNOWN',
        why: stateWhy(out.stateDescription),
        fields: { pluginArn, revision: out.latestRevision?.revision },
      };
    },
  });
}

export const handler = taskLambda(DESCRIBE_PLUGIN_STEP, describePlugin, () => ({
  kafkaConnect: new KafkaConnectClient(awsClientConfig()),
}));
