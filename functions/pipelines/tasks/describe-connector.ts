/**
 * DescribeConnector: one poll of the connector. RUNNING → the Choice moves on to MarkActive;
 * CREATING or UPDATING → wait and poll again (bounded); FAILED or any other state, or gone →
 * ResourceFailedError with MSK Connect's explanation (the workers' log group has the details).
 */
import { DescribeConnectorCommand, KafkaConnectClient } from '@aws-sdk/client-kafkaconnect';
import { awsClientConfig } from '../../lib/aws.ts';
import { isNotFound, ResourceFailedError, toTaskError } from './errors.ts';
import { registryStore, taskHandler, taskLog } from './lambda.ts';
import { nextAttempt, sinceOf, type PollState } from './poll.ts';
import { loadPipeline, nowIso, runStep, type PipelineInput, type TaskDeps } from './step.ts';

export const DESCRIBE_CONNECTOR_STEP = 'WaitForConnector';

export interface DescribeConnectorDeps extends TaskDeps {
  kafkaConnect: Pick<KafkaConnectClient, 'send'>;
}

export interface DescribeConnectorInput extends PipelineInput {
  /** CreateConnector's output, then the previous poll's. */
  connector: PollState & { connectorArn: string };
  maxAttempts?: number;
}

export interface DescribeConnectorOutput {
  connectorArn: string;
  /** RUNNING | CREATING | UPDATING (failure states throw). */
  state: string;
  attempt: number;
  since: string;
}

const PENDING = new Set(['CREATING', 'UPDATING']);

export async function describeConnector(
  input: DescribeConnectorInput,
  deps: DescribeConnectorDeps,
): Promise<DescribeConnectorOutput> {
  const pipeline = await loadPipeline(deps, input.pipelineId, ['CREATING']);
  const since = sinceOf(input.connector) ?? nowIso(deps);
  const connectorArn = input.connector?.connectorArn;
  return runStep(
    deps,
    pipeline.id,
    DESCRIBE_CONNECTOR_STEP,
    async () => {
      let out;
      try {
        out = await deps.kafkaConnect.send(new DescribeConnectorCommand({ connectorArn }));
      } catch (error) {
        if (isNotFound(error))
          throw new ResourceFailedError(
            `connector ${connectorArn} does not exist (deleted while the pipeline was being created?)`,
          );
        throw toTaskError(error, `describe connector ${connectorArn}`);
      }
      const state = out.connectorState ?? 'UNKNOWN';
      if (state !== 'RUNNING' && !PENDING.has(state)) {
        const d = out.stateDescription;
        const why = d?.message ? `: ${[d.code, d.message].filter(Boolean).join(' ')}` : '';
        throw new ResourceFailedError(
          `connector ${connectorArn} is ${state}${why}; the workers' logs are in the connector log group`,
        );
      }
      const attempt = nextAttempt(
        input.connector,
        input.maxAttempts,
        state === 'RUNNING',
        `connector ${connectorArn}`,
        state,
      );
      return { connectorArn, state, attempt, since };
    },
    {
      startedAt: since,
      running: (r) => r.state !== 'RUNNING',
      detail: (r) => `connector ${r.state} (check ${r.attempt})`,
    },
  );
}

let deps: DescribeConnectorDeps | undefined;
export const handler = taskHandler<DescribeConnectorInput, DescribeConnectorOutput>(
  DESCRIBE_CONNECTOR_STEP,
  (input) => {
    deps ??= {
      store: registryStore(),
      kafkaConnect: new KafkaConnectClient(awsClientConfig()),
      log: taskLog,
    };
    return describeConnector(input, deps);
  },
);
