/**
 * DescribePlugin: one poll of the custom plugin. ACTIVE → the Choice moves on; CREATING or
 * UPDATING → wait and poll again (bounded); CREATE_FAILED, UPDATE_FAILED, DELETING or gone →
 * ResourceFailedError with MSK Connect's own explanation.
 */
import { DescribeCustomPluginCommand, KafkaConnectClient } from '@aws-sdk/client-kafkaconnect';
import { awsClientConfig } from '../../lib/aws.ts';
import { isNotFound, ResourceFailedError, toTaskError } from './errors.ts';
import { registryStore, taskHandler, taskLog } from './lambda.ts';
import { nextAttempt, sinceOf, type PollState } from './poll.ts';
import { loadPipeline, nowIso, runStep, type PipelineInput, type TaskDeps } from './step.ts';

export const DESCRIBE_PLUGIN_STEP = 'WaitForPlugin';

export interface DescribePluginDeps extends TaskDeps {
  kafkaConnect: Pick<KafkaConnectClient, 'send'>;
}

export interface DescribePluginInput extends PipelineInput {
  /** CreatePlugin's output, then the previous poll's. */
  plugin: PollState & { pluginArn: string };
  maxAttempts?: number;
}

export interface DescribePluginOutput {
  pluginArn: string;
  /** ACTIVE | CREATING | UPDATING (failure states throw). */
  state: string;
  revision: number | undefined;
  attempt: number;
  since: string;
}

const PENDING = new Set(['CREATING', 'UPDATING']);

export async function describePlugin(
  input: DescribePluginInput,
  deps: DescribePluginDeps,
): Promise<DescribePluginOutput> {
  const pipeline = await loadPipeline(deps, input.pipelineId, ['CREATING']);
  const since = sinceOf(input.plugin) ?? nowIso(deps);
  const pluginArn = input.plugin?.pluginArn;
  return runStep(
    deps,
    pipeline.id,
    DESCRIBE_PLUGIN_STEP,
    async () => {
      let out;
      try {
        out = await deps.kafkaConnect.send(new DescribeCustomPluginCommand({ customPluginArn: pluginArn }));
      } catch (error) {
        if (isNotFound(error))
          throw new ResourceFailedError(
            `custom plugin ${pluginArn} does not exist (deleted while the pipeline was being created?)`,
          );
        throw toTaskError(error, `describe custom plugin ${pluginArn}`);
      }
      const state = out.customPluginState ?? 'UNKNOWN';
      if (state !== 'ACTIVE' && !PENDING.has(state)) {
        const why = out.stateDescription?.message
          ? `: ${out.stateDescription.code ?? ''} ${out.stateDescription.message}`.replace(':  ', ': ')
          : '';
        throw new ResourceFailedError(
          `custom plugin ${pluginArn} is ${state}${why}; check that the plugin ZIP in S3 is a valid connector archive`,
        );
      }
      const attempt = nextAttempt(
        input.plugin,
        input.maxAttempts,
        state === 'ACTIVE',
        `custom plugin ${pluginArn}`,
        state,
      );
      return { pluginArn, state, revision: out.latestRevision?.revision, attempt, since };
    },
    {
      startedAt: since,
      running: (r) => r.state !== 'ACTIVE',
      detail: (r) => `custom plugin ${r.state} (check ${r.attempt})`,
    },
  );
}

let deps: DescribePluginDeps | undefined;
export const handler = taskHandler<DescribePluginInput, DescribePluginOutput>(DESCRIBE_PLUGIN_STEP, (input) => {
  deps ??= {
    store: registryStore(),
    kafkaConnect: new KafkaConnectClient(awsClientConfig()),
    log: taskLog,
  };
  return describePlugin(input, deps);
});
