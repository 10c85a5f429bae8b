/**
 * DescribeConnector: one poll of the connector. RUNNING → the Choice moves on to MarkActive;
 * CREATING or UPDATING → wait and poll again (bounded); FAILED or any other state, or gone →
 * ResourceFailedError with MSK Connect's explanation (the workers' log group has the details).
 */
import { DescribeConnectorCommand } from '@aws-sdk/client-kafkaconnect';
import { kafkaConnectPorts, type KafkaConnectDeps } from './connect-lookups.ts';
import { taskLambda } from './lambda.ts';
import { resourceWait, stateWhy, WAITED_ON } from './poll-resource.ts';

export const DESCRIBE_CONNECTOR_STEP = WAITED_ON.connector.step;

/** Output: `{connectorArn, state, attempt, since}`, `state` RUNNING, CREATING or UPDATING. */
export const describeConnector = resourceWait('connector', async (connectorArn, deps: KafkaConnectDeps) => {
  const out = await deps.kafkaConnect.send(new DescribeConnectorCommand({ connectorArn }));
  return { reported: out.connectorState ?? 'UNKNOWN', why: stateWhy(out.stateDescription), fields: { connectorArn } };
});

export const handler = taskLambda(DESCRIBE_CONNECTOR_STEP, describeConnector, kafkaConnectPorts);
