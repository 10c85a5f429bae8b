/**
 * Runs the real ASL (statemachines/*.asl.yml) with aws-local-stepfunctions, every Task state
 * calling the real task core in-process (overrides.taskResourceLocalHandlers), over:
 * - the in-memory registry (MemoryPipelineStore, the DynamoDB store's twin);
 * - aws-sdk-client-mock clients (Kafka, KafkaConnect, Lambda, EC2) whose calls are answered by
 *   small stateful fakes of MSK Connect and Lambda event source mappings, so a test can check
 *   that nothing is left behind, and which can be told to fail their next calls;
 * - an in-memory Kafka admin (FakeKafkaCluster).
 * Wait states and Retry pauses are overridden to 0 ms, so executions take milliseconds.
 */
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeClusterV2Command,
  DescribeConfigurationRevisionCommand,
  GetBootstrapBrokersCommand,
  KafkaClient,
  NotFoundException as MskNotFoundException,
  type Cluster,
  type GetBootstrapBrokersResponse,
} from '@aws-sdk/client-kafka';
import {
  ConflictException,
  CreateConnectorCommand,
  CreateCustomPluginCommand,
  DeleteConnectorCommand,
  DeleteCustomPluginCommand,
  DescribeConnectorCommand,
  DescribeCustomPluginCommand,
  KafkaConnectClient,
  ListConnectorsCommand,
  ListCustomPluginsCommand,
  NotFoundException,
  type ConnectorState,
  type CreateConnectorRequest,
  type CustomPluginState,
} from '@aws-sdk/client-kafkaconnect';
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ResourceConflictException,
  ResourceNotFoundException,
  type CreateEventSourceMappingCommandInput,
  type EventSourceMappingConfiguration,
} from '@aws-sdk/client-lambda';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import { StateMachine } from 'aws-local-stepfunctions';

/** One entry of aws-local-stepfunctions' event log (its EventLog type is not exported). */
export type EventLog = { type: string; state?: { name: string; type: string }; [key: string]: any };
import { MemoryPipelineStore } from '../helpers/memory-store.ts';
import type { Pipeline, PipelineStore } from '../../functions/pipelines/model.ts';
import { KafkaUnavailableError } from '../../functions/lib/kafka/index.ts';
import { createConnector } from '../../functions/pipelines/tasks/create-connector.ts';
import { createEventSourceMapping } from '../../functions/pipelines/tasks/create-event-source-mapping.ts';
import { createPlugin } from '../../functions/pipelines/tasks/create-plugin.ts';
import { createTopic } from '../../functions/pipelines/tasks/create-topic.ts';
import { deleteConnector } from '../../functions/pipelines/tasks/delete-connector.ts';
import { deleteEventSourceMapping } from '../../functions/pipelines/tasks/delete-event-source-mapping.ts';
import { deletePlugin } from '../../functions/pipelines/tasks/delete-plugin.ts';
import { deleteTopic } from '../../functions/pipelines/tasks/delete-topic.ts';
import { checkDrained } from '../../functions/pipelines/tasks/check-drained.ts';
import { describeConnector } from '../../functions/pipelines/tasks/describe-connector.ts';
import { describePlugin } from '../../functions/pipelines/tasks/describe-plugin.ts';
import { getEventSourceMapping } from '../../functions/pipelines/tasks/get-event-source-mapping.ts';
import { markActive } from '../../functions/pipelines/tasks/mark-active.ts';
import { markDeleted } from '../../functions/pipelines/tasks/mark-deleted.ts';
import { markFailed } from '../../functions/pipelines/tasks/mark-failed.ts';
import { guardStore } from '../../functions/pipelines/tasks/step.ts';
import { validateCluster } from '../../functions/pipelines/tasks/validate-cluster.ts';
import { FakeKafkaCluster } from '../helpers/fake-kafka-admin.ts';
import { MemoryLog } from '../helpers/silent-log.ts';
import { loadStateMachine, type StateMachineName } from '../helpers/state-machines.ts';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
export const CLUSTER_ARN = `arn:aws:kafka:${REGION}:${ACCOUNT}:cluster/clickstream-msk/751d2973-a626-431c-9d4e-d7975eb44dd7-2`;
export const CONFIG_ARN = `arn:aws:kafka:${REGION}:${ACCOUNT}:configuration/clickstream/0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0-2`;
export const NETWORK = {
  vpcId: 'vpc-0a1b2c3d4e5f60718',
  subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210', 'subnet-0aaaabbbbccccdddd'],
  securityGroupId: 'sg-0123456789abcdef0',
};
export const DATA_BUCKET = 'clickstream-data-123456789012';
export const SINK_FUNCTION = 'clickstream-pipeline-test-sink';
export const CONNECTOR_ROLE_ARN = `arn:aws:iam::${ACCOUNT}:role/clickstream-pipeline-test-connector`;
export const LOG_GROUP = '/aws/msk-connect/clickstream-pipeline-test';
export const PLUGIN_LOCATION = {
  bucketArn: `arn:aws:s3:::${DATA_BUCKET}`,
  fileKey: 'plugins/confluentinc-kafka-connect-s3-10.5.13.zip',
};
export const MSK_BROKERS = [
  'b-1.clickstream.abc123.c2.kafka.us-east-1.amazonaws.com',
  'b-2.clickstream.abc123.c2.kafka.us-east-1.amazonaws.com',
  'b-3.clickstream.abc123.c2.kafka.us-east-1.amazonaws.com',
];

let sequence = 0;

/** A pipeline as POST /pipelines stores it (defaults applied), MSK + lambda sink unless overridden. */
export function pipelineFixture(over: Partial<Pipeline> = {}): Pipeline {
  sequence += 1;
  const id = over.id ?? `p-${sequence}`;
  const now = '2026-11-21T10:00:00.000Z';
  return {
    id,
    projectId: `project_${sequence}`,
    appIds: [`app-${sequence}`],
    kafka: {
      cluster: { type: 'msk', clusterArn: CLUSTER_ARN },
      topic: `project_${sequence}`,
      partitions: 3,
      replicationFactor: undefined,
      auth: 'none',
    },
    sink: { mode: 'lambda', maxIntervalSeconds: 60, batchSize: 500 },
    status: 'CREATING',
    steps: [],
    resources: {},
    createdAt: now,
    updatedAt: now,
    ...over,
  };
}

export function connectorSink(over: Partial<Pipeline['sink']> = {}): Pipeline['sink'] {
  return {
    mode: 'connector',
    maxIntervalSeconds: 60,
    batchSize: 500,
    connector: {
      pluginLocation: PLUGIN_LOCATION,
      mcuCount: 1,
      minWorkers: 1,
      maxWorkers: 2,
      kafkaConnectVersion: '3.7.x',
    },
    ...over,
  };
}

/** A pipeline's `kafka` part with an explicit topic, on the MSK cluster unless `cluster` says otherwise. */
export function kafkaOn(
  topic: string,
  partitions: number,
  replicationFactor?: number,
  cluster: Pipeline['kafka']['cluster'] = { type: 'msk', clusterArn: CLUSTER_ARN },
): Pipeline['kafka'] {
  return { cluster, topic, partitions, replicationFactor, auth: 'none' };
}

export function selfHosted(
  brokers = 'kafka-1.internal:9092,kafka-2.internal:9092,kafka-3.internal:9092',
): Pipeline['kafka']['cluster'] {
  return { type: 'self-hosted', brokers, securityGroupId: 'sg-0fedcba9876543210' };
}

/** A provisioned, ACTIVE, 3-broker MSK cluster in the stack's subnets, unauthenticated + TLS_PLAINTEXT. */
export function mskCluster(
  over: Partial<Cluster> = {},
  provisioned: Partial<NonNullable<Cluster['Provisioned']>> = {},
): Cluster {
  return {
    ClusterArn: CLUSTER_ARN,
    ClusterName: 'clickstream-msk',
    ClusterType: 'PROVISIONED',
    State: 'ACTIVE',
    CurrentVersion: 'K3AEGXETSR30VB',
    Provisioned: {
      BrokerNodeGroupInfo: {
        ClientSubnets: [...NETWORK.subnetIds],
        InstanceType: 'kafka.m5.large',
        SecurityGroups: ['sg-0aaaaaaaaaaaaaaaa'],
      },
      ClientAuthentication: {
        Unauthenticated: { Enabled: true },
        Sasl: { Iam: { Enabled: false }, Scram: { Enabled: false } },
        Tls: { Enabled: false, CertificateAuthorityArnList: [] },
      },
      EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS_PLAINTEXT', InCluster: true } },
      CurrentBrokerSoftwareInfo: {
        ConfigurationArn: CONFIG_ARN,
        ConfigurationRevision: 2,
        KafkaVersion: '3.6.0',
      },
      NumberOfBrokerNodes: 3,
      ...provisioned,
    },
    ...over,
  };
}

export function bootstrapBrokers(): GetBootstrapBrokersResponse {
  return {
    BootstrapBrokerString: MSK_BROKERS.map((b) => `${b}:9092`).join(','),
    BootstrapBrokerStringTls: MSK_BROKERS.map((b) => `${b}:9094`).join(','),
  };
}

function awsError<T extends Error>(Cls: new (o: { message: string; $metadata: object }) => T, message: string): T {
  return new Cls({ message, $metadata: {} });
}

/** An error as the SDK throws it, with the HTTP status that classifies it. */
export function sdkError(name: string, status: number, message = `${name} (test)`): Error {
  return Object.assign(new Error(message), {
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

export const throttled = () => sdkError('TooManyRequestsException', 429, 'Rate exceeded');
/** Kafka errors as the client reports them: transient, so the machines retry them. */
export const kafkaUnreachable = (message = 'connect ECONNREFUSED') => new KafkaUnavailableError(message, 'unreachable');
export const kafkaTimeout = (message = 'timed out') => new KafkaUnavailableError(message, 'timeout');
export const serverError = () => sdkError('InternalServerErrorException', 500, 'We encountered an internal error');

/** MSK Connect, as far as the tasks use it: named plugins and connectors with state transitions. */
export class FakeMskConnect {
  /** Describes a plugin answers CREATING before it is ACTIVE (or `pluginFinalState`). */
  pluginPolls = 1;
  pluginFinalState: CustomPluginState = 'ACTIVE';
  connectorPolls = 1;
  connectorFinalState: ConnectorState = 'RUNNING';
  /** Describes a DELETING connector answers before it is gone. */
  deletionPolls = 1;
  readonly plugins = new Map<string, { name: string; state: CustomPluginState; polls: number }>();
  readonly connectors = new Map<
    string,
    { name: string; state: ConnectorState; polls: number; request: CreateConnectorRequest }
  >();
  #n = 0;

  createPlugin(name: string): {
    customPluginArn: string;
    customPluginState: CustomPluginState;
    name: string;
    revision: number;
  } {
    if ([...this.plugins.values()].some((p) => p.name === name))
      throw awsError(ConflictException, `A custom plugin with name ${name} already exists.`);
    const arn = `arn:aws:kafkaconnect:${REGION}:${ACCOUNT}:custom-plugin/${name}/${(this.#n += 1)}a1b2c3d-plugin`;
    this.plugins.set(arn, { name, state: 'CREATING', polls: 0 });
    return { customPluginArn: arn, customPluginState: 'CREATING', name, revision: 1 };
  }

  describePlugin(arn: string) {
    const p = this.plugins.get(arn);
    if (!p) throw awsError(NotFoundException, `Custom plugin ${arn} not found.`);
    if (p.state === 'CREATING' && (p.polls += 1) > this.pluginPolls) p.state = this.pluginFinalState;
    return {
      customPluginArn: arn,
      name: p.name,
      customPluginState: p.state,
      latestRevision: { revision: 1, contentType: 'ZIP' as const },
      ...(p.state === 'CREATE_FAILED'
        ? {
            stateDescription: {
              code: 'INVALID_PLUGIN',
              message: 'The plugin archive is not a valid ZIP file.',
            },
          }
        : {}),
    };
  }

  deletePlugin(arn: string) {
    if (!this.plugins.has(arn)) throw awsError(NotFoundException, `Custom plugin ${arn} not found.`);
    const users = [...this.connectors.values()].filter((c) =>
      c.request.plugins?.some((p) => p.customPlugin?.customPluginArn === arn),
    );
    if (users.length > 0) throw awsError(ConflictException, 'The custom plugin is in use by a connector.');
    this.plugins.delete(arn);
    return { customPluginArn: arn, customPluginState: 'DELETING' as const };
  }

  /** ListCustomPlugins with a name prefix (none: all). */
  listPlugins(prefix = '') {
    const customPlugins = [...this.plugins.entries()]
      .filter(([, p]) => p.name.startsWith(prefix))
      .map(([arn, p]) => ({ customPluginArn: arn, name: p.name, customPluginState: p.state }));
    return { customPlugins };
  }

  createConnector(request: CreateConnectorRequest) {
    const name = request.connectorName ?? '';
    if ([...this.connectors.values()].some((c) => c.name === name))
      throw awsError(ConflictException, `A connector with name ${name} already exists.`);
    const arn = `arn:aws:kafkaconnect:${REGION}:${ACCOUNT}:connector/${name}/${(this.#n += 1)}f00d-connector`;
    this.connectors.set(arn, { name, state: 'CREATING', polls: 0, request });
    return { connectorArn: arn, connectorName: name, connectorState: 'CREATING' as const };
  }

  describeConnector(arn: string) {
    const c = this.connectors.get(arn);
    if (!c) throw awsError(NotFoundException, `Connector ${arn} not found.`);
    c.polls += 1;
    if (c.state === 'CREATING' && c.polls > this.connectorPolls) c.state = this.connectorFinalState;
    else if (c.state === 'DELETING' && c.polls > this.deletionPolls) {
      this.connectors.delete(arn);
      throw awsError(NotFoundException, `Connector ${arn} not found.`);
    }
    return {
      connectorArn: arn,
      connectorName: c.name,
      connectorState: c.state,
      ...(c.state === 'FAILED'
        ? {
            stateDescription: {
              code: 'WORKER_ERROR',
              message: 'Unable to connect to the bootstrap servers.',
            },
          }
        : {}),
    };
  }

  /** ListConnectors with a name prefix (none: all). */
  listConnectors(prefix = '') {
    return {
      connectors: [...this.connectors.entries()]
        .filter(([, c]) => c.name.startsWith(prefix))
        .map(([arn, c]) => ({ connectorArn: arn, connectorName: c.name, connectorState: c.state })),
    };
  }

  deleteConnector(arn: string) {
    const c = this.connectors.get(arn);
    if (!c) throw awsError(NotFoundException, `Connector ${arn} not found.`);
    c.state = 'DELETING';
    c.polls = 0;
    return { connectorArn: arn, connectorState: 'DELETING' as const };
  }
}

/** Lambda event source mappings, as far as the tasks use them. */
export class FakeMappings {
  enablePolls = 1;
  finalState = 'Enabled';
  readonly mappings = new Map<
    string,
    { state: string; polls: number; request: CreateEventSourceMappingCommandInput }
  >();
  #n = 0;

  static groupOf(request: CreateEventSourceMappingCommandInput): string | undefined {
    return (
      request.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId ??
      request.SelfManagedKafkaEventSourceConfig?.ConsumerGroupId
    );
  }

  view(uuid: string): EventSourceMappingConfiguration {
    const m = this.mappings.get(uuid)!;
    return {
      UUID: uuid,
      State: m.state,
      FunctionArn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${m.request.FunctionName}`,
      Topics: m.request.Topics,
      BatchSize: m.request.BatchSize,
      ...(m.request.EventSourceArn ? { EventSourceArn: m.request.EventSourceArn } : {}),
      ...(m.request.AmazonManagedKafkaEventSourceConfig
        ? { AmazonManagedKafkaEventSourceConfig: m.request.AmazonManagedKafkaEventSourceConfig }
        : {}),
      ...(m.request.SelfManagedKafkaEventSourceConfig
        ? { SelfManagedKafkaEventSourceConfig: m.request.SelfManagedKafkaEventSourceConfig }
        : {}),
      LastProcessingResult: 'No records processed',
      ...(m.state === 'Disabled' ? { StateTransitionReason: 'USER_INITIATED' } : {}),
    };
  }

  create(request: CreateEventSourceMappingCommandInput): EventSourceMappingConfiguration {
    const clash = [...this.mappings.entries()].find(
      ([, m]) =>
        m.request.FunctionName === request.FunctionName &&
        m.request.Topics?.[0] === request.Topics?.[0] &&
        m.request.EventSourceArn === request.EventSourceArn,
    );
    if (clash)
      throw awsError(
        ResourceConflictException,
        `An event source mapping with MSK arn ${request.EventSourceArn}, function ${request.FunctionName} and topic ${request.Topics?.[0]} already exists. Please update or delete the existing mapping with UUID ${clash[0]}`,
      );
    const uuid = `a1b2c3d4-0000-4000-8000-${String((this.#n += 1)).padStart(12, '0')}`;
    this.mappings.set(uuid, { state: 'Creating', polls: 0, request });
    return this.view(uuid);
  }

  get(uuid: string): EventSourceMappingConfiguration {
    const m = this.mappings.get(uuid);
    if (!m)
      throw awsError(
        ResourceNotFoundException,
        `The resource you requested does not exist. (Service: Lambda, Status Code: 404, UUID: ${uuid})`,
      );
    if (m.state === 'Creating' && (m.polls += 1) > this.enablePolls) m.state = this.finalState;
    return this.view(uuid);
  }

  delete(uuid: string): EventSourceMappingConfiguration {
    if (!this.mappings.has(uuid))
      throw awsError(ResourceNotFoundException, `The resource you requested does not exist. (UUID: ${uuid})`);
    const view = { ...this.view(uuid), State: 'Deleting' };
    this.mappings.delete(uuid);
    return view;
  }
}

export interface RunResult {
  status: 'SUCCEEDED' | 'FAILED';
  /** The Fail state's error (or the uncaught error) when FAILED. */
  error: string | undefined;
  output: unknown;
  events: EventLog[];
  /** Task states entered, in order. */
  visited: string[];
  retries: Record<string, number>;
  pipeline: Pipeline;
}

type Handler = (input: unknown) => Promise<unknown>;

/** Validating a definition (asl-validator) is the slow part: one machine per definition per test file. */
const machines = new Map<
  StateMachineName,
  {
    machine: StateMachine;
    definition: ReturnType<typeof loadStateMachine>['definition'];
    taskFunctions: Record<string, string>;
  }
>();

function machineFor(name: StateMachineName) {
  let entry = machines.get(name);
  if (!entry) {
    const { definition, taskFunctions } = loadStateMachine(name);
    const machine = new StateMachine(definition as never, {
      validationOptions: { checkArn: true, checkPaths: true },
    });
    entry = { machine, definition, taskFunctions };
    machines.set(name, entry);
  }
  return entry;
}

export class WorkflowWorld {
  readonly memory = new MemoryPipelineStore();
  /** Errors the registry throws on its next calls, per method (to test retries of MarkActive etc.). */
  readonly storeFailures = new Map<keyof PipelineStore, Error[]>();
  readonly kafkaCluster = new FakeKafkaCluster();
  readonly connect = new FakeMskConnect();
  readonly esm = new FakeMappings();
  readonly log = new MemoryLog();
  readonly kafka = new KafkaClient({ region: REGION });
  readonly kafkaConnect = new KafkaConnectClient({ region: REGION });
  readonly lambda = new LambdaClient({ region: REGION });
  readonly ec2 = new EC2Client({ region: REGION });
  readonly kafkaMock: AwsStub<any, any, any>;
  readonly connectMock: AwsStub<any, any, any>;
  readonly lambdaMock: AwsStub<any, any, any>;
  readonly ec2Mock: AwsStub<any, any, any>;
  /** Errors the next calls of an AWS command throw (by command name without "Command"). */
  readonly awsFailures = new Map<string, Error[]>();
  /** Errors thrown by a Task state's handler itself before the task runs (e.g. Lambda.ServiceException). */
  readonly invokeFailures = new Map<string, Error[]>();
  cluster: Cluster | undefined = mskCluster();
  bootstrap: GetBootstrapBrokersResponse = bootstrapBrokers();
  serverProperties = 'auto.create.topics.enable=false\ndefault.replication.factor=3\nmin.insync.replicas=2\n';
  subnetVpcs: Record<string, string> = {};

  constructor() {
    this.kafkaMock = mockClient(this.kafka);
    this.connectMock = mockClient(this.kafkaConnect);
    this.lambdaMock = mockClient(this.lambda);
    this.ec2Mock = mockClient(this.ec2);
    // Each command fails on demand under its name without "Command" (see failAws), then answers as given.
    const fake = (stub: AwsStub<any, any, any>, command: { name: string }, answer: (input: any) => unknown) => {
      const name = command.name.replace(/Command$/, '');
      stub.on(command as never).callsFake(async (input: any) => {
        const next = this.awsFailures.get(name)?.shift();
        if (next) throw next;
        return answer(input);
      });
    };
    fake(this.kafkaMock, DescribeClusterV2Command, () => {
      if (!this.cluster) throw awsError(MskNotFoundException, 'The specified cluster was not found.');
      return { ClusterInfo: this.cluster };
    });
    fake(this.kafkaMock, GetBootstrapBrokersCommand, () => {
      if (!this.cluster) throw awsError(MskNotFoundException, 'The specified cluster was not found.');
      return this.bootstrap;
    });
    fake(this.kafkaMock, DescribeConfigurationRevisionCommand, () => ({
      Arn: CONFIG_ARN,
      Revision: 2,
      ServerProperties: new TextEncoder().encode(this.serverProperties),
    }));
    fake(this.ec2Mock, DescribeSubnetsCommand, (input: { SubnetIds?: string[] }) => ({
      Subnets: (input.SubnetIds ?? []).map((id) => ({
        SubnetId: id,
        VpcId: this.subnetVpcs[id] ?? NETWORK.vpcId,
      })),
    }));
    // MSK Connect: each command answered by the fake's operation of the same name.
    const connect = this.connect;
    const connectApi: Array<[{ name: string }, (i: any) => unknown]> = [
      [CreateCustomPluginCommand, (i) => connect.createPlugin(i.name)],
      [DescribeCustomPluginCommand, (i) => connect.describePlugin(i.customPluginArn)],
      [DeleteCustomPluginCommand, (i) => connect.deletePlugin(i.customPluginArn)],
      [ListCustomPluginsCommand, (i) => connect.listPlugins(i.namePrefix)],
      [CreateConnectorCommand, (i) => connect.createConnector(i)],
      [DescribeConnectorCommand, (i) => connect.describeConnector(i.connectorArn)],
      [DeleteConnectorCommand, (i) => connect.deleteConnector(i.connectorArn)],
      [ListConnectorsCommand, (i) => connect.listConnectors(i.connectorNamePrefix)],
    ];
    for (const [command, answer] of connectApi) fake(this.connectMock, command, answer);
    fake(this.lambdaMock, CreateEventSourceMappingCommand, (i: CreateEventSourceMappingCommandInput) =>
      this.esm.create(i),
    );
    fake(this.lambdaMock, GetEventSourceMappingCommand, (i: { UUID: string }) => this.esm.get(i.UUID));
    fake(this.lambdaMock, DeleteEventSourceMappingCommand, (i: { UUID: string }) => this.esm.delete(i.UUID));
    fake(this.lambdaMock, ListEventSourceMappingsCommand, (i: { FunctionName?: string }) => ({
      EventSourceMappings: [...this.esm.mappings.keys()]
        .map((uuid) => this.esm.view(uuid))
        .filter((m) => m.FunctionArn?.endsWith(`:${i.FunctionName}`)),
    }));
  }

  failAws(command: string, ...errors: Error[]): void {
    this.awsFailures.set(command, [...(this.awsFailures.get(command) ?? []), ...errors]);
  }

  failStore(method: keyof PipelineStore, ...errors: Error[]): void {
    this.storeFailures.set(method, [...(this.storeFailures.get(method) ?? []), ...errors]);
  }

  failInvoke(state: string, ...errors: Error[]): void {
    this.invokeFailures.set(state, [...(this.invokeFailures.get(state) ?? []), ...errors]);
  }

  /** The registry the tasks see: the memory store, failing on demand, behind the production guard. */
  get store(): PipelineStore {
    const memory = this.memory;
    const failing = new Proxy(memory, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const next = this.storeFailures.get(prop as keyof PipelineStore)?.shift();
          if (next) return Promise.reject(next);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    return guardStore(failing);
  }

  async add(pipeline: Pipeline): Promise<Pipeline> {
    return (await this.memory.create(pipeline)).pipeline;
  }

  /** Registers `pipelineFixture(over)` and runs the create machine for it (faults injected before stay armed). */
  async create(over: Partial<Pipeline> = {}): Promise<RunResult> {
    const p = await this.add(pipelineFixture(over));
    return this.run('create-pipeline', p.id);
  }

  /**
   * A topic `shared` (with `partitions`) and an ACTIVE custom plugin that exist before the pipeline,
   * as another team left them; returns the plugin's ARN and the pipeline parts that reuse both.
   */
  givenSharedTopicAndPlugin(partitions: number): { given: string; reuse: Partial<Pipeline> } {
    this.kafkaCluster.topics.set('shared', { partitions, replicationFactor: 3 });
    const given = `arn:aws:kafkaconnect:us-east-1:${ACCOUNT}:custom-plugin/shared-s3-sink/abc-1`;
    this.connect.plugins.set(given, { name: 'shared-s3-sink', state: 'ACTIVE', polls: 0 });
    const sink = connectorSink();
    return {
      given,
      reuse: {
        kafka: kafkaOn('shared', 3),
        sink: { ...sink, connector: { ...sink.connector!, pluginLocation: undefined, pluginArn: given } },
      },
    };
  }

  /** The task functions by serverless.yml function key, each the real core over this world. */
  handlers(): Record<string, Handler> {
    const store = this.store;
    const base = { store, log: this.log };
    const network = NETWORK;
    const kafkaTask = { ...base, openAdmin: this.kafkaCluster.open, region: REGION };
    const connectorEnv = {
      network,
      dataBucket: DATA_BUCKET,
      region: REGION,
      connectorRoleArn: CONNECTOR_ROLE_ARN,
      logGroup: LOG_GROUP,
    };
    const mappingEnv = { sinkFunctionName: SINK_FUNCTION, region: REGION, network };
    return {
      validateCluster: (i) =>
        validateCluster(i as never, {
          ...kafkaTask,
          kafka: this.kafka,
          ec2: this.ec2,
          network,
          dataBucket: DATA_BUCKET,
        }),
      createTopic: (i) => createTopic(i as never, kafkaTask),
      createPlugin: (i) => createPlugin(i as never, { ...base, kafkaConnect: this.kafkaConnect }),
      describePlugin: (i) => describePlugin(i as never, { ...base, kafkaConnect: this.kafkaConnect }),
      createConnector: (i) =>
        createConnector(i as never, { ...base, ...connectorEnv, kafkaConnect: this.kafkaConnect }),
      describeConnector: (i) => describeConnector(i as never, { ...base, kafkaConnect: this.kafkaConnect }),
      createEventSourceMapping: (i) =>
        createEventSourceMapping(i as never, { ...base, ...mappingEnv, lambda: this.lambda }),
      getEventSourceMapping: (i) => getEventSourceMapping(i as never, { ...base, lambda: this.lambda }),
      deleteConnector: (i) => deleteConnector(i as never, { ...base, kafkaConnect: this.kafkaConnect }),
      deletePlugin: (i) => deletePlugin(i as never, { ...base, kafkaConnect: this.kafkaConnect }),
      deleteEventSourceMapping: (i) =>
        deleteEventSourceMapping(i as never, {
          ...base,
          lambda: this.lambda,
          sinkFunctionName: SINK_FUNCTION,
        }),
      deleteTopic: (i) => deleteTopic(i as never, { ...kafkaTask, kafka: this.kafka }),
      checkDrained: (i) => checkDrained(i as never, { ...kafkaTask, kafka: this.kafka }),
      markActive: (i) => markActive(i as never, base),
      markFailed: (i) => markFailed(i as never, base),
      markDeleted: (i) => markDeleted(i as never, base),
    };
  }

  /** Executes a state machine for the pipeline and returns how it ended, with the event log. */
  async run(name: StateMachineName, pipelineId: string): Promise<RunResult> {
    const { machine, definition, taskFunctions } = machineFor(name);
    const handlers = this.handlers();
    const taskResourceLocalHandlers: Record<string, Handler> = {};
    const retryIntervalOverrides: Record<string, number> = {};
    const waitTimeOverrides: Record<string, number> = {};
    for (const [state, key] of Object.entries(taskFunctions)) {
      const handler = handlers[key];
      if (!handler) throw new Error(`no task handler for function ${key} (state ${state})`);
      taskResourceLocalHandlers[state] = async (input) => {
        const injected = this.invokeFailures.get(state)?.shift();
        if (injected) throw injected;
        return handler(input);
      };
      retryIntervalOverrides[state] = 0;
    }
    for (const [state, def] of Object.entries(definition.States)) if (def.Type === 'Wait') waitTimeOverrides[state] = 0;

    const execution = machine.run(
      { pipelineId },
      { overrides: { taskResourceLocalHandlers, retryIntervalOverrides, waitTimeOverrides } as never },
    );
    const events: EventLog[] = [];
    const collecting = (async () => {
      for await (const event of execution.eventLogs) events.push(event as EventLog);
    })();
    let status: RunResult['status'] = 'SUCCEEDED';
    let error: string | undefined;
    let output: unknown;
    try {
      output = await execution.result;
    } catch (e) {
      status = 'FAILED';
      const cause = (e as { cause?: { name?: string } }).cause;
      error = cause?.name ?? (e as Error).name;
    }
    await collecting;
    const visited = events
      .filter((e) => e.type === 'StateEntered' && e.state?.type === 'Task')
      .map((e) => e.state!.name);
    const retries: Record<string, number> = {};
    for (const e of events) {
      if (e.type === 'StateRetried' && e.state) {
        const n = e.state.name;
        retries[n] = (retries[n] ?? 0) + 1;
      }
    }
    return {
      status,
      error,
      output,
      events,
      visited,
      retries,
      pipeline: (await this.memory.get(pipelineId))!,
    };
  }

  restore(): void {
    this.kafkaMock.restore();
    this.connectMock.restore();
    this.lambdaMock.restore();
    this.ec2Mock.restore();
  }
}
