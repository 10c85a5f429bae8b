/**
 * DescribeConnector: one poll of the connector. RUNNING → the Choice moves on to MarkActive;
 * CREATING or UPDATING → wait and poll again (bounded); FAILED or any other state, or gone →
 * ResourceFailedError with MSK Connect's explanation (the workers' log group has the details).
 */
import { DescribeConnectorCommand, KafkaConnectClient } from '@aws-sdk/client-kafkaconnect';
import { awsClientConfig } from '../../lib/aws.ts';
import { taskLambda } from './lambda.ts';
import { pollResource, stateWhy, type PolledResource } from './poll-resource.ts';
import type { PollInput, PollState } from './poll.ts';
import type { TaskDeps } from './step.ts';

export const DESCRIBE_CONNECTOR_STEP = 'DescribeConnector';

export interface DescribeConnectorDeps extends TaskDeps {
  kafkaConnect: Pick<KafkaConnectClient, 'send'>;
}

export interface DescribeConnectorInput extends PollInput {
  /** CreateConnector's output, then the previous poll's. */
  connector: PollState & { connectorArn: string };
}

/** `state`: RUNNING | CREATING | UPDATING (failure states throw). */
export type DescribeConnectorOutput = PolledResource<{ connectorArn: string }>;

export async function describeConnector(
  input: DescribeConnectorInput,
  deps: DescribeConnectorDeps,
): Promise<DescribeConnectorOutput> {
  const connectorArn = input.connector?.connectorArn;
  return pollResource(deps, input, input.connector, {
    step: DESCRIBE_CONNECTOR_STEP,
    kind: 'connector',
    id: connectorArn,
    verb: 'describe',
    ready: 'RUNNING',
    pending: ['CREATING', 'UPDATING'],
    hint: "the workers' logs are in the connector log group",
    describe: async () => {
      const out = await deps.kafkaConnect.send(new DescribeConnectorCommand({ connectorArn }));
      return {
        reported: out.connectorState ?? 'UNKNOWN',
        why: stateWhy(out.stateDescription),
        fields: { connectorArn },
      };
    },
  });
}

export const handler = taskLambda(DESCRIBE_CONNECTOR_STEP, describeConnector, () => ({
  kafkaConnect: new KafkaConnectClient(awsClientConfig()),
}));
