import {
  CreateCustomPluginCommand,
  CreateConnectorCommand,
  DeleteConnectorCommand,
  DeleteCustomPluginCommand,
} from '@aws-sdk/client-kafkaconnect';
import { CreateEventSourceMappingCommand, DeleteEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { connectorName } from '../../functions/pipelines/build-connector-config.ts';
import { pluginName } from '../../functions/pipelines/tasks/connect-lookups.ts';
import {
  CLUSTER_ARN,
  connectorSink,
  DATA_BUCKET,
  kafkaOn,
  kafkaTimeout,
  kafkaUnreachable,
  mskCluster,
  MSK_BROKERS,
  NETWORK,
  pipelineFixture,
  sdkError,
  selfHosted,
  serverError,
  SINK_FUNCTION,
  throttled,
  WorkflowWorld,
  type RunResult,
} from './harness.ts';

const named = (name: string, message = `${name} (test)`) => Object.assign(new Error(message), { name });

describe('create-pipeline state machine', () => {
  let world: WorkflowWorld;
  beforeEach(() => {
    world = new WorkflowWorld();
  });
  afterEach(() => world.restore());

  /** Nothing of the pipeline exists any more in MSK Connect, Lambda or Kafka. */
  function expectNothingLeft(run: RunResult, keptTopics: string[] = []): void {
    expect([...world.connect.connectors.values()].map((c) => c.name)).toEqual([]);
    expect(
      [...world.connect.plugins.values()].map((p) => p.name).filter((n) => n === pluginName(run.pipeline.id)),
    ).toEqual([]);
    expect([...world.esm.mappings.keys()]).toEqual([]);
    expect([...world.kafkaCluster.topics.keys()].sort()).toEqual([...keptTopics].sort());
  }

  function expectFailed(run: RunResult): void {
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('PipelineCreationFailed');
    expect(run.pipeline.status).toBe('FAILED');
    expect(run.visited.slice(-5)).toEqual([
      'RollbackDeleteConnector',
      'RollbackDeletePlugin',
      'RollbackDeleteEventSourceMapping',
      'RollbackDeleteTopic',
      'MarkFailed',
    ]);
  }

  /** FAILED with a failureReason matching `reason` (a string: contained), and nothing left behind. */
  function expectRolledBack(run: RunResult, reason: RegExp | string): void {
    expectFailed(run);
    expect(run.pipeline.failureReason).toMatch(reason);
    expectNothingLeft(run);
  }

  describe('happy paths', () => {
    it('lambda sink on MSK: validates, creates the topic and the event source mapping, waits until Enabled, ends ACTIVE with its route open', async () => {
      const p = await world.add(pipelineFixture({ sink: { mode: 'lambda', maxIntervalSeconds: 30, batchSize: 2000 } }));
      const run = await world.run('create-pipeline', p.id);

      expect(run.status).toBe('SUCCEEDED');
      expect(run.visited).toEqual([
        'ValidateCluster',
        'CreateTopic',
        'CreateEventSourceMapping',
        'GetEventSourceMapping',
        'GetEventSourceMapping',
        'MarkActive',
      ]);
      expect(run.pipeline.status).toBe('ACTIVE');
      expect(run.pipeline.steps.map((s) => [s.name, s.status])).toEqual([
        ['ValidateCluster', 'SUCCEEDED'],
        ['CreateTopic', 'SUCCEEDED'],
        ['CreateEventSourceMapping', 'SUCCEEDED'],
        ['GetEventSourceMapping', 'SUCCEEDED'],
        ['MarkActive', 'SUCCEEDED'],
      ]);
      const [uuid] = [...world.esm.mappings.keys()];
      // The connection ingest uses: GetBootstrapBrokers' string for the pipeline's auth (none: 9092).
      expect(run.pipeline.resources).toEqual({
        topic: p.kafka.topic,
        topicCreated: true,
        mappingUuid: uuid,
        cluster: { brokers: MSK_BROKERS.map((b) => `${b}:9092`), auth: 'none' },
      });
      expect(world.kafkaCluster.topics.get(p.kafka.topic)).toEqual({ partitions: 3, replicationFactor: 3 });
      expect(world.kafkaCluster.connections[0]).toEqual({
        brokers: MSK_BROKERS.map((b) => `${b}:9092`),
        auth: 'none',
      });
      const request = world.lambdaMock.commandCalls(CreateEventSourceMappingCommand)[0]!.args[0].input;
      expect(request).toMatchObject({
        FunctionName: SINK_FUNCTION,
        EventSourceArn: CLUSTER_ARN,
        Topics: [p.kafka.topic],
        BatchSize: 2000,
        MaximumBatchingWindowInSeconds: 30,
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: `clickstream-sink-${p.id}` },
        MaximumRetryAttempts: -1,
      });
      // No on-failure destination: Lambda would cap the retries at 10 and skip the batch (D15).
      expect(request.DestinationConfig).toBeUndefined();
      expect(await world.memory.activeRoute(p.appIds[0]!)).toEqual({
        pipelineId: p.id,
        topic: p.kafka.topic,
        cluster: { brokers: MSK_BROKERS.map((b) => `${b}:9092`), auth: 'none' },
      });
    });

    it('connector sink on MSK: creates the plugin, waits until ACTIVE, creates the connector, waits until RUNNING, ends ACTIVE', async () => {
      const p = await world.add(pipelineFixture({ sink: connectorSink({ maxIntervalSeconds: 120, batchSize: 1000 }) }));
      const run = await world.run('create-pipeline', p.id);

      expect(run.status).toBe('SUCCEEDED');
      expect(run.visited).toEqual([
        'ValidateCluster',
        'CreateTopic',
        'CreatePlugin',
        'DescribePlugin',
        'DescribePlugin',
        'CreateConnector',
        'DescribeConnector',
        'DescribeConnector',
        'MarkActive',
      ]);
      expect(run.pipeline.status).toBe('ACTIVE');
      const [pluginArn] = [...world.connect.plugins.keys()];
      const [connectorArn] = [...world.connect.connectors.keys()];
      expect(run.pipeline.resources).toEqual({
        topic: p.kafka.topic,
        topicCreated: true,
        pluginArn,
        pluginCreated: true,
        connectorArn,
        cluster: expect.objectContaining({ auth: 'none' }),
      });
      expect(world.connect.connectors.get(connectorArn!)?.state).toBe('RUNNING');
      expect(world.connectMock.commandCalls(CreateCustomPluginCommand)[0]!.args[0].input).toMatchObject({
        name: pluginName(p.id),
        contentType: 'ZIP',
        location: {
          s3Location: {
            bucketArn: `arn:aws:s3:::${DATA_BUCKET}`,
            fileKey: 'plugins/confluentinc-kafka-connect-s3-10.5.13.zip',
          },
        },
      });
      const request = world.connectMock.commandCalls(CreateConnectorCommand)[0]!.args[0].input;
      expect(request).toMatchObject({
        connectorName: connectorName(p.id),
        kafkaCluster: {
          apacheKafkaCluster: {
            bootstrapServers: MSK_BROKERS.map((b) => `${b}:9092`).join(','),
            vpc: { subnets: NETWORK.subnetIds, securityGroups: [NETWORK.securityGroupId] },
          },
        },
        kafkaClusterClientAuthentication: { authenticationType: 'NONE' },
        kafkaClusterEncryptionInTransit: { encryptionType: 'PLAINTEXT' },
        plugins: [{ customPlugin: { customPluginArn: pluginArn, revision: 1 } }],
        capacity: { autoScaling: { mcuCount: 1, minWorkerCount: 1, maxWorkerCount: 2 } },
      });
      expect(request.connectorConfiguration).toMatchObject({
        topics: p.kafka.topic,
        'flush.size': '1000',
        'rotate.schedule.interval.ms': '120000',
        's3.bucket.name': DATA_BUCKET,
        'tasks.max': '3',
      });
    });

    it('lambda sink on a self-hosted cluster: reads the brokers over Kafka, maps through the solution subnets and both security groups', async () => {
      const run = await world.create({ kafka: kafkaOn('clicks', 2, 2, selfHosted()) });

      expect(run.status).toBe('SUCCEEDED');
      expect(run.pipeline.status).toBe('ACTIVE');
      expect(world.kafkaMock.calls()).toHaveLength(0);
      expect(world.kafkaCluster.topics.get('clicks')).toEqual({ partitions: 2, replicationFactor: 2 });
      const request = world.lambdaMock.commandCalls(CreateEventSourceMappingCommand)[0]!.args[0].input;
      expect(request.SelfManagedEventSource).toEqual({
        Endpoints: {
          KAFKA_BOOTSTRAP_SERVERS: ['kafka-1.internal:9092', 'kafka-2.internal:9092', 'kafka-3.internal:9092'],
        },
      });
      expect(request.SourceAccessConfigurations).toEqual([
        ...NETWORK.subnetIds.map((id) => ({ Type: 'VPC_SUBNET', URI: `subnet:${id}` })),
        { Type: 'VPC_SECURITY_GROUP', URI: `security_group:${NETWORK.securityGroupId}` },
        { Type: 'VPC_SECURITY_GROUP', URI: 'security_group:sg-0fedcba9876543210' },
      ]);
    });

    it('reuses a compatible existing topic and a given plugin ARN without claiming them', async () => {
      const { given, reuse } = world.givenSharedTopicAndPlugin(6);
      const run = await world.create(reuse);

      expect(run.status).toBe('SUCCEEDED');
      expect(world.connectMock.commandCalls(CreateCustomPluginCommand)).toHaveLength(0);
      expect(run.pipeline.resources).toMatchObject({
        topic: 'shared',
        topicCreated: false,
        pluginArn: given,
        pluginCreated: false,
      });
      expect(run.pipeline.steps.find((s) => s.name === 'CreateTopic')?.detail).toBe(
        'reusing existing topic shared (6 partitions, replication factor 3)',
      );
    });

    it('reuses the plugin and connector an earlier attempt created (ConflictException), and the mapping with its consumer group', async () => {
      const p = await world.add(pipelineFixture({ sink: connectorSink() }));
      const plugin = world.connect.createPlugin(pluginName(p.id));
      const run = await world.run('create-pipeline', p.id);
      expect(run.status).toBe('SUCCEEDED');
      expect(world.connect.plugins.size).toBe(1);
      expect(run.pipeline.resources).toMatchObject({
        pluginArn: plugin.customPluginArn,
        pluginCreated: true,
      });

      const q = await world.add(pipelineFixture());
      world.esm.create({
        FunctionName: SINK_FUNCTION,
        EventSourceArn: CLUSTER_ARN,
        Topics: [q.kafka.topic],
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: `clickstream-sink-${q.id}` },
      });
      const second = await world.run('create-pipeline', q.id);
      expect(second.status).toBe('SUCCEEDED');
      expect(world.esm.mappings.size).toBe(1);
      expect(second.pipeline.resources.mappingUuid).toBe([...world.esm.mappings.keys()][0]);
    });
  });

  describe('Retry: a transient error twice, then success', () => {
    const cases: Array<[state: string, sink: 'lambda' | 'connector', inject: (w: WorkflowWorld) => void]> = [
      ['ValidateCluster', 'lambda', (w) => w.failAws('DescribeClusterV2', throttled(), serverError())],
      [
        'CreateTopic',
        'lambda',
        (w) => w.kafkaCluster.fail('open', kafkaTimeout('connect ETIMEDOUT'), kafkaUnreachable()),
      ],
      ['CreatePlugin', 'connector', (w) => w.failAws('CreateCustomPlugin', throttled(), throttled())],
      ['DescribePlugin', 'connector', (w) => w.failAws('DescribeCustomPlugin', serverError(), throttled())],
      [
        'CreateConnector',
        'connector',
        (w) => w.failAws('CreateConnector', sdkError('ServiceUnavailableException', 503), serverError()),
      ],
      ['DescribeConnector', 'connector', (w) => w.failAws('DescribeConnector', throttled(), throttled())],
      [
        'CreateEventSourceMapping',
        'lambda',
        (w) =>
          w.failAws(
            'CreateEventSourceMapping',
            sdkError('TooManyRequestsException', 429),
            sdkError('ServiceException', 500),
          ),
      ],
      [
        'GetEventSourceMapping',
        'lambda',
        (w) =>
          w.failAws(
            'GetEventSourceMapping',
            sdkError('ServiceException', 500),
            sdkError('TooManyRequestsException', 429),
          ),
      ],
      [
        'MarkActive',
        'lambda',
        (w) =>
          w.failStore(
            'transition',
            sdkError('ProvisionedThroughputExceededException', 400),
            sdkError('InternalServerError', 500),
          ),
      ],
      [
        'CreateTopic',
        'lambda',
        (w) => w.failInvoke('CreateTopic', named('Lambda.ServiceException'), named('Lambda.TooManyRequestsException')),
      ],
      [
        'MarkActive',
        'connector',
        (w) => w.failInvoke('MarkActive', named('Lambda.AWSLambdaException'), named('Lambda.SdkClientException')),
      ],
    ];

    it.each(cases)('%s (%s sink) retries and the pipeline ends ACTIVE', async (state, mode, inject) => {
      inject(world);
      const run = await world.create({
        sink: mode === 'connector' ? connectorSink() : { mode: 'lambda', maxIntervalSeconds: 60, batchSize: 500 },
      });
      expect(run.status).toBe('SUCCEEDED');
      expect(run.pipeline.status).toBe('ACTIVE');
      expect(run.retries).toEqual({ [state]: 2 });
    });

    it('does not retry a permanent error: one attempt, then rollback', async () => {
      world.failAws(
        'CreateEventSourceMapping',
        sdkError('InvalidParameterValueException', 400, 'Topic name is invalid'),
      );
      const run = await world.create();
      expect(run.retries).toEqual({});
      expect(world.lambdaMock.commandCalls(CreateEventSourceMappingCommand)).toHaveLength(1);
      expectFailed(run);
    });

    it('gives up after the retry budget and rolls back', async () => {
      world.failAws('DescribeClusterV2', ...Array.from({ length: 7 }, throttled));
      const run = await world.create();
      expect(run.retries.ValidateCluster).toBe(6);
      expectFailed(run);
      expect(run.pipeline.failureReason).toMatch(
        /could not describe MSK cluster .* \(TooManyRequestsException: Rate exceeded\)/,
      );
    });
  });

  describe('Catch: a permanent failure at each step ends FAILED with nothing left behind', () => {
    it('ValidateCluster: a cluster breaking several rules reports every violation and creates nothing', async () => {
      world.cluster = mskCluster(
        { State: 'MAINTENANCE' },
        {
          BrokerNodeGroupInfo: {
            ClientSubnets: ['subnet-0999999999999999a', 'subnet-0999999999999999b'],
            InstanceType: 'kafka.m5.large',
          },
          ClientAuthentication: { Unauthenticated: { Enabled: false }, Sasl: { Iam: { Enabled: true } } },
          EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS' } },
          NumberOfBrokerNodes: 2,
        },
      );
      world.subnetVpcs = {
        'subnet-0999999999999999a': 'vpc-0ffffffffffffffff',
        'subnet-0999999999999999b': 'vpc-0ffffffffffffffff',
      };
      const run = await world.create({ kafka: kafkaOn('clicks', 3, 3) });

      expectFailed(run);
      expect(run.visited[0]).toBe('ValidateCluster');
      expect(run.visited).not.toContain('CreateTopic');
      expect(run.pipeline.violations).toEqual([
        'MSK cluster clickstream-msk is MAINTENANCE; it must be ACTIVE',
        `MSK cluster clickstream-msk is not in the solution's VPC ${NETWORK.vpcId}: client subnets subnet-0999999999999999a (vpc-0ffffffffffffffff), subnet-0999999999999999b (vpc-0ffffffffffffffff)`,
        'MSK cluster clickstream-msk does not allow unauthenticated access, which kafka.auth \'none\' needs; enable "Unauthenticated access" in its access control methods or choose the auth it has enabled',
        "MSK cluster clickstream-msk encrypts client traffic with TLS only; kafka.auth 'none' needs plaintext: enable Plaintext (PLAINTEXT or TLS_PLAINTEXT) in its encryption settings, or use kafka.auth 'tls'",
        "kafka.replicationFactor 3 is larger than the cluster's 2 brokers; use at most 2",
        'default.replication.factor is 3 (cluster configuration) but the cluster has 2 brokers; set it to at most 2',
      ]);
      for (const v of run.pipeline.violations!) expect(run.pipeline.failureReason).toContain(v);
      expect(run.pipeline.failureReason).toMatch(/^MSK cluster arn:aws:kafka:.* does not meet 6 requirements:\n- /);
      expect(world.kafkaCluster.connections).toHaveLength(0);
      expectNothingLeft(run);
      expect(world.connectMock.calls()).toHaveLength(0);
      expect(world.lambdaMock.calls()).toHaveLength(0);
    });

    it('ValidateCluster: a serverless MSK cluster and a self-hosted cluster with one broker and no security group', async () => {
      world.cluster = {
        ClusterArn: CLUSTER_ARN,
        ClusterName: 'serverless-one',
        ClusterType: 'SERVERLESS',
        State: 'ACTIVE',
        Serverless: { VpcConfigs: [{ SubnetIds: NETWORK.subnetIds }] },
      };
      const run = await world.create();
      expectFailed(run);
      // The rules that still apply to a serverless cluster are evaluated too (it offers IAM over TLS only).
      expect(run.pipeline.violations).toEqual([
        'MSK cluster serverless-one is serverless; only provisioned MSK clusters are supported',
        'MSK cluster serverless-one does not allow unauthenticated access, which kafka.auth \'none\' needs; enable "Unauthenticated access" in its access control methods or choose the auth it has enabled',
        "MSK cluster serverless-one encrypts client traffic with TLS only; kafka.auth 'none' needs plaintext: enable Plaintext (PLAINTEXT or TLS_PLAINTEXT) in its encryption settings, or use kafka.auth 'tls'",
      ]);

      world.kafkaCluster.brokers = 1;
      const second = await world.create({
        kafka: kafkaOn('clicks', 1, 2, { type: 'self-hosted', brokers: 'kafka-1.internal:9092', securityGroupId: '' }),
      });
      expectFailed(second);
      expect(second.pipeline.violations).toEqual([
        'kafka.securityGroupId is required for a self-hosted cluster: the security group that may reach the brokers',
        'the cluster has 1 broker; a self-hosted cluster needs at least two',
        "kafka.replicationFactor 2 is larger than the cluster's 1 broker; use at most 1",
        'default.replication.factor is 3 (broker setting) but the cluster has 1 broker; set it to at most 1',
      ]);
    });

    it('CreateTopic: an existing topic with too few partitions is a conflict; the topic is not ours and stays', async () => {
      world.kafkaCluster.topics.set('clicks', { partitions: 1, replicationFactor: 3 });
      const run = await world.create({ kafka: kafkaOn('clicks', 3) });
      expectFailed(run);
      expect(run.pipeline.failureReason).toMatch(
        /^topic clicks already exists but cannot be reused: it has 1 partition, fewer than the 3 requested/,
      );
      expect(world.kafkaCluster.calls).not.toContain('deleteTopics');
      expectNothingLeft(run, ['clicks']);
    });

    it('CreatePlugin: a rejected plugin request deletes the topic this run created', async () => {
      world.failAws('CreateCustomPlugin', sdkError('BadRequestException', 400, 'The S3 object does not exist'));
      const run = await world.create({ sink: connectorSink() });
      expectRolledBack(
        run,
        /^could not create custom plugin .*: BadRequestException: The S3 object does not exist\nEverything this pipeline had created was removed\.$/,
      );
      expect(world.kafkaCluster.calls).toContain('deleteTopics');
    });

    it('DescribePlugin: CREATE_FAILED deletes the plugin and the topic, and says why', async () => {
      world.connect.pluginFinalState = 'CREATE_FAILED';
      const run = await world.create({ sink: connectorSink() });
      expectRolledBack(run, 'is CREATE_FAILED: INVALID_PLUGIN The plugin archive is not a valid ZIP file.');
      expect(world.connectMock.commandCalls(DeleteCustomPluginCommand)).toHaveLength(1);
    });

    it('DescribePlugin: a plugin still CREATING at the loop bound is a WaitTimeoutError', async () => {
      world.connect.pluginPolls = 1000;
      const run = await world.create({ sink: connectorSink() });
      expectRolledBack(run, /was still CREATING after 60 checks/);
      expect(run.visited.filter((s) => s === 'DescribePlugin')).toHaveLength(60);
    });

    it('CreateConnector: a rejected connector request deletes the plugin and the topic', async () => {
      world.failAws(
        'CreateConnector',
        sdkError('BadRequestException', 400, 'Subnets must be in at least two Availability Zones'),
      );
      const run = await world.create({ sink: connectorSink() });
      expectRolledBack(run, 'BadRequestException: Subnets must be in at least two Availability Zones');
    });

    it('DescribeConnector: a FAILED connector is deleted (waiting until it is gone), then the plugin and the topic', async () => {
      world.connect.connectorFinalState = 'FAILED';
      world.connect.deletionPolls = 2;
      const run = await world.create({ sink: connectorSink() });
      expectRolledBack(run, 'is FAILED: WORKER_ERROR Unable to connect to the bootstrap servers.');
      expect(world.connectMock.commandCalls(DeleteConnectorCommand)).toHaveLength(1);
      expect(run.visited.filter((s) => s === 'RollbackDeleteConnector').length).toBeGreaterThanOrEqual(3);
      expect(run.pipeline.steps.find((s) => s.name === 'RollbackDeleteConnector')?.status).toBe('SUCCEEDED');
    });

    it('CreateEventSourceMapping: a rejected mapping deletes the topic; a mapping of another pipeline is a permanent conflict', async () => {
      world.failAws(
        'CreateEventSourceMapping',
        sdkError('InvalidParameterValueException', 400, 'Cannot access the MSK cluster'),
      );
      const run = await world.create();
      expectFailed(run);
      expectNothingLeft(run);

      const q = await world.add(pipelineFixture());
      world.esm.create({
        FunctionName: SINK_FUNCTION,
        EventSourceArn: CLUSTER_ARN,
        Topics: [q.kafka.topic],
        AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'clickstream-sink-someone-else' },
      });
      const second = await world.run('create-pipeline', q.id);
      expectFailed(second);
      expect(second.pipeline.failureReason).toMatch(
        /already has an event source mapping on topic .* that belongs to another pipeline/,
      );
      expect(world.esm.mappings.size).toBe(1);
      expect(world.lambdaMock.commandCalls(DeleteEventSourceMappingCommand)).toHaveLength(0);
    });

    it('GetEventSourceMapping: a Disabled mapping is deleted with the topic', async () => {
      world.esm.finalState = 'Disabled';
      const run = await world.create();
      expectRolledBack(run, /^event source mapping .* is Disabled \(USER_INITIATED\)/);
      expect(world.lambdaMock.commandCalls(DeleteEventSourceMappingCommand)).toHaveLength(1);
    });

    it('MarkActive: a permanent registry error rolls back everything (connector sink)', async () => {
      world.failStore('transition', named('ValidationException', 'Item size has exceeded the maximum allowed size'));
      const run = await world.create({ sink: connectorSink() });
      expectRolledBack(run, /^Item size has exceeded/);
    });

    it('a task function timeout (Sandbox.Timedout / Lambda.Unknown) is retried: the tasks are idempotent', async () => {
      world.failInvoke('CreateTopic', named('Sandbox.Timedout', 'Task timed out after 60.00 seconds'));
      world.failInvoke('ValidateCluster', named('Lambda.Unknown', 'The function returned an unknown error'));
      const run = await world.create();
      expect(run.status).toBe('SUCCEEDED');
      expect(run.retries).toEqual({ ValidateCluster: 1, CreateTopic: 1 });
      expect(run.pipeline.status).toBe('ACTIVE');
    });

    it('a task that keeps crashing (Lambda.Unknown past its 2 retries) is caught like any other permanent error', async () => {
      const crash = () => named('Lambda.Unknown', 'The function returned an unknown error');
      world.failInvoke('CreateTopic', crash(), crash(), crash());
      const run = await world.create();
      expectFailed(run);
      expect(run.retries).toEqual({ CreateTopic: 2 });
      expect(run.pipeline.failureReason).toMatch(/^The function returned an unknown error/);
    });

    it('a Lambda invocation error no retrier names (States.TaskFailed) is caught like any other', async () => {
      world.failInvoke('CreateTopic', named('Runtime.ImportModuleError', 'Cannot find module'));
      const run = await world.create();
      expectFailed(run);
      expect(run.retries).toEqual({});
      expect(run.pipeline.failureReason).toMatch(/^Cannot find module/);
    });
  });

  describe('rollback', () => {
    it('retries transient errors of every cleanup step and of MarkFailed', async () => {
      world.connect.connectorFinalState = 'FAILED';
      world.failAws('DeleteConnector', throttled(), throttled());
      world.failAws('DeleteCustomPlugin', serverError(), serverError());
      world.kafkaCluster.fail('deleteTopics', kafkaTimeout(), kafkaTimeout());
      const run = await world.create({ sink: connectorSink() });
      expectFailed(run);
      expect(run.retries).toEqual({
        RollbackDeleteConnector: 2,
        RollbackDeletePlugin: 2,
        RollbackDeleteTopic: 2,
      });
      expectNothingLeft(run);

      world.esm.finalState = 'Disabled';
      world.failAws('DeleteEventSourceMapping', sdkError('ResourceInUseException', 400), throttled());
      world.failStore('transition', sdkError('ThrottlingException', 400), sdkError('ThrottlingException', 400));
      const second = await world.create();
      expectFailed(second);
      expect(second.retries).toEqual({ RollbackDeleteEventSourceMapping: 2, MarkFailed: 2 });
      expectNothingLeft(second);
    });

    it('goes on when a cleanup fails for good and names what is left for a person to remove', async () => {
      world.connect.connectorFinalState = 'FAILED';
      world.failAws(
        'DeleteConnector',
        sdkError('ForbiddenException', 403, 'not authorized to perform kafkaconnect:DeleteConnector'),
      );
      const run = await world.create({ sink: connectorSink() });
      expectFailed(run);
      // The connector stays; its plugin cannot go while it is in use (retried, then given up); the topic goes.
      expect(world.connect.connectors.size).toBe(1);
      expect(world.connect.plugins.size).toBe(1);
      expect(world.kafkaCluster.topics.size).toBe(0);
      expect(run.pipeline.failureReason).toMatch(
        /\nRollback could not remove: connector \(could not delete connector .*ForbiddenException.*\); custom plugin \(custom plugin .* is still in use by a connector; will retry\)\. Remove these by hand, or delete the pipeline to try again\.$/,
      );
      expect(run.pipeline.steps.find((s) => s.name === 'RollbackDeleteConnector')?.status).toBe('FAILED');
    });

    it('ends in NotMarkedFailed when even MarkFailed cannot write the registry', async () => {
      world.failAws('DescribeClusterV2', sdkError('AccessDeniedException', 403));
      world.failStore('transition', named('ValidationException', 'broken'));
      const run = await world.create();
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('PipelineNotMarkedFailed');
      expect(run.pipeline.status).toBe('CREATING');
    });
  });
});
