/**
 * CreateConnector: the MSK Connect S3 sink connector of a connector pipeline, built by
 * build-connector-config.ts. ConflictException (a connector with the pipeline's name exists: an
 * earlier attempt of this task created it) → that connector is found by name and reused.
 * DescribeConnector then polls until it is RUNNING.
 */
import { CreateConnectorCommand } from '@aws-sdk/client-kafkaconnect';
import { optionalString } from '../../lib/config.ts';
import { buildCreateConnectorRequest, connectorName } from '../build-connector-config.ts';
import type { ValidatedCluster } from '../cluster-rules.ts';
import type { Pipeline } from '../model.ts';
import { readRegion, readStackNetwork, requiredString, sinkSecurityGroups, type StackNetworkConfig } from './config.ts';
import { findArnByName, kafkaConnectPorts, type KafkaConnectDeps } from './connect-lookups.ts';
import type { CreateTopicOutput } from './create-topic.ts';
import { InvalidPipelineError, isAwsError, toTaskError } from './errors.ts';
import { taskLambda } from './lambda.ts';
import { pipelineStep, type PipelineInput } from './step.ts';

export const CREATE_CONNECTOR_STEP = 'CreateConnector';

export interface ConnectorEnvironment {
  network: StackNetworkConfig;
  /** DATA_BUCKET: where the connector writes unless the pipeline names another bucket. */
  dataBucket: string;
  region: string;
  /** CONNECTOR_ROLE_ARN: the connectors' service execution role. */
  connectorRoleArn: string;
  /** CONNECTOR_LOG_GROUP: the workers' CloudWatch Logs group. */
  logGroup: string;
}

export function readConnectorEnvironment(env: Record<string, string | undefined>): ConnectorEnvironment {
  return {
    network: readStackNetwork(env),
    dataBucket: requiredString(env, 'DATA_BUCKET'),
    region: readRegion(env),
    connectorRoleArn: requiredString(env, 'CONNECTOR_ROLE_ARN'),
    logGroup: optionalString(env, 'CONNECTOR_LOG_GROUP') ?? '/aws/msk-connect/clickstream',
  };
}

export interface CreateConnectorDeps extends KafkaConnectDeps, ConnectorEnvironment {}

export interface CreateConnectorInput extends PipelineInput {
  cluster: Pick<ValidatedCluster, 'bootstrapBrokers'>;
  topic: Pick<CreateTopicOutput, 'topic' | 'partitions'>;
  plugin: { pluginArn: string; revision?: number };
}

export interface CreateConnectorOutput {
  connectorArn: string;
  /** Polls done so far: the start of DescribeConnector's bounded loop. */
  attempt: number;
}

async function ensureConnector(
  pipeline: Pipeline,
  input: CreateConnectorInput,
  deps: CreateConnectorDeps,
): Promise<CreateConnectorOutput> {
  const spec = pipeline.sink.connector;
  if (!spec)
    throw new InvalidPipelineError("sink mode 'connector' needs sink.connector (capacity and Kafka Connect version)");
  const request = buildCreateConnectorRequest({
    pipelineId: pipeline.id,
    topic: input.topic.topic,
    partitions: input.topic.partitions,
    bootstrapServers: input.cluster.bootstrapBrokers,
    auth: pipeline.kafka.auth,
    sink: {
      bucket: pipeline.sink.bucket ?? deps.dataBucket,
      prefix: pipeline.sink.prefix ?? 'events/',
      region: deps.region,
      maxIntervalSeconds: pipeline.sink.maxIntervalSeconds,
      batchSize: pipeline.sink.batchSize,
    },
    capacity: { mcuCount: spec.mcuCount, minWorkers: spec.minWorkers, maxWorkers: spec.maxWorkers },
    kafkaConnectVersion: spec.kafkaConnectVersion,
    network: {
      subnetIds: deps.network.subnetIds,
      securityGroupIds: sinkSecurityGroups(pipeline, deps.network),
    },
    plugin: { arn: input.plugin.pluginArn, revision: input.plugin.revision ?? 1 },
    serviceExecutionRoleArn: deps.connectorRoleArn,
    logGroup: deps.logGroup,
  });
  const name = connectorName(pipeline.id);
  let connectorArn: string | undefined;
  try {
    connectorArn = (await deps.kafkaConnect.send(new CreateConnectorCommand(request))).connectorArn;
  } catch (error) {
    if (!isAwsError(error, 'ConflictException')) throw toTaskError(error, `create connector ${name}`);
    try {
      connectorArn = await findArnByName(deps.kafkaConnect, 'connector', name);
    } catch (listError) {
      throw toTaskError(listError, `find the existing connector ${name}`);
    }
    if (connectorArn === undefined)
      throw toTaskError(error, `create connector ${name} (a conflicting connector exists but was not found by name)`);
    deps.log?.info('connector already exists; reusing it', { pipelineId: pipeline.id, connectorArn });
  }
  if (!connectorArn)
    throw toTaskError(new Error('CreateConnector answered without a connectorArn'), `create connector ${name}`);
  await deps.store.setResources(pipeline.id, { connectorArn });
  return { connectorArn, attempt: 0 };
}

export async function createConnector(
  input: CreateConnectorInput,
  deps: CreateConnectorDeps,
): Promise<CreateConnectorOutput> {
  return pipelineStep(
    deps,
    input,
    { name: CREATE_CONNECTOR_STEP, statuses: ['CREATING'], detail: (r) => `connector ${r.connectorArn}` },
    (pipeline) => ensureConnector(pipeline, input, deps),
  );
}

export const handler = taskLambda(CREATE_CONNECTOR_STEP, createConnector, () => ({
  ...kafkaConnectPorts(),
  ...readConnectorEnvironment(process.env),
}));
