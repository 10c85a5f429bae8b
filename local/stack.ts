/**
 * The whole pipeline on localhost: the dev Kafka cluster, the local AWS endpoint (Firehose,
 * Lambda, Step Functions, DynamoDB, MSK, MSK Connect, S3), the HTTP API from serverless.yml,
 * and a demo pipeline created through the admin API. Production code reaches all of it only
 * through configuration: AWS_ENDPOINT_URL and the environment serverless.yml gives each
 * function, exactly as it would reach AWS and MSK.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startCluster, type DevCluster } from './kafka/index.ts';
import { startLocalAws, type LocalAws } from './aws/index.ts';
import { FunctionHost } from './function-host.ts';
import { startGateway, type Gateway } from './gateway/server.ts';
import { loadServiceConfig, type ServiceConfig } from './serverless-config.ts';
import { ensureDemoPipeline, type DemoSettings, type PipelineView } from './demo-pipeline.ts';
import { failInterruptedPipelines } from './recover-pipelines.ts';
import { ensureFirehoseStream, ensurePipelinesTable, ensureStateMachines, localStateMachineArn, LOCAL_ACCOUNT, LOCAL_REGION } from './stack-resources.ts';

export interface StackOptions {
  /** Project root (serverless.yml, functions/). Default: the current directory. */
  root?: string;
  /** Where state lives. Default `<root>/.local`. */
  dataDir?: string;
  /** Delete the state first. */
  fresh?: boolean;
  /** Create the demo pipeline through POST /pipelines (default true). */
  demo?: boolean;
  /** Fixed ports by default (9092-9094, 9192-9193, 4566, 3000); 0 picks free ports (tests). */
  ports?: { kafka?: number; kafka2?: number; aws?: number; api?: number };
  brokers?: number;
  /** Brokers of the second dev cluster (pipelines on another cluster); default 2, 0 = none. */
  secondClusterBrokers?: number;
  /** Demo mapping window (s) and batch size; Firehose buffer interval (s). */
  demoWindowSeconds?: number;
  demoBatchSize?: number;
  firehoseBufferSeconds?: number;
  /** Speeds up Step Functions Wait states and retry intervals (tests); 1 = real time. */
  waitScale?: number;
  /** MSK Connect state transition delays (ms). */
  kafkaConnectDelayMs?: number;
  /** Progress lines; default silent. */
  say?: (line: string) => void;
}

export interface Stack {
  api: string;
  aws: string;
  kafka: { brokers: string[]; bootstrap: string };
  /** The second dev cluster (its own brokers, topics and data), described by MSK as `secondClusterArn`. */
  kafka2: { brokers: string[]; bootstrap: string } | undefined;
  secondClusterArn: string | undefined;
  dataDir: string;
  s3Dir: string;
  /** The data bucket (Firehose output, connector output, dead letters). */
  bucket: string;
  /** The dev cluster as MSK describes it: use it as `kafka.clusterArn` in POST /pipelines. */
  clusterArn: string;
  demo: (DemoSettings & { pipeline: PipelineView }) | undefined;
  cluster: DevCluster;
  localAws: LocalAws;
  config: ServiceConfig;
  close(): Promise<void>;
}

export const DEMO = { projectId: 'demo', appId: 'demo-app', topic: 'demo' } as const;
export const LOCAL_BUCKET = 'clickstream-local';
export const SECOND_CLUSTER_NAME = 'clickstream-local-2';

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const root = resolve(options.root ?? process.cwd());
  const dataDir = resolve(options.dataDir ?? join(root, '.local'));
  const say = options.say ?? (() => undefined);
  const ports = { kafka: 9092, kafka2: 9192, aws: 4566, api: 3000, ...options.ports };
  if (options.fresh) {
    await rm(dataDir, { recursive: true, force: true });
    say(`removed previous state in ${dataDir}`);
  }

  const started: { close(): Promise<void> }[] = [];
  // Stops in reverse start order; a second call finds nothing left to stop.
  const closeAll = async () => {
    for (const s of started.splice(0).reverse()) await s.close().catch(() => undefined);
  };
  try {
    const cluster = await startCluster({ brokers: options.brokers ?? 3, port: ports.kafka, dataDir: join(dataDir, 'kafka') });
    started.push(cluster);
    say(`Kafka dev cluster: ${cluster.bootstrap}`);
    const secondBrokers = options.secondClusterBrokers ?? 2;
    const second = secondBrokers > 0
      ? await startCluster({ brokers: secondBrokers, port: ports.kafka2, dataDir: join(dataDir, 'kafka-2') })
      : undefined;
    if (second) {
      started.push(second);
      say(`second Kafka dev cluster: ${second.bootstrap}`);
    }

    const config = await loadServiceConfig(root, {
      kafkaBrokers: cluster.bootstrap,
      // Apps are routed by the pipelines registry only (no static allowlist), as deployed.
      appIds: '',
      topic: '',
      // The mapping window already batches; Firehose adds no further wait locally.
      firehoseBufferSeconds: String(options.firehoseBufferSeconds ?? 0),
    });
    const params = config.params;
    const streamName = `${config.service}-${config.stage}-events`;
    const tableName = `${config.service}-${config.stage}-pipelines`;
    const sink = config.functions.find((f) => f.name === 'sink');

    // One process hosts every function, so their environments are merged; the values that are
    // CloudFormation references in serverless.yml get their local equivalents.
    const env: Record<string, string> = {};
    for (const fn of config.functions) Object.assign(env, fn.environment);
    Object.assign(env, {
      POWERTOOLS_SERVICE_NAME: config.service,
      POWERTOOLS_LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN',
      FIREHOSE_STREAM_NAME: streamName,
      DLQ_BUCKET: LOCAL_BUCKET,
      DATA_BUCKET: LOCAL_BUCKET,
      PIPELINES_TABLE: tableName,
      SINK_FUNCTION_NAME: sink?.functionName ?? '',
      CONNECTOR_ROLE_ARN: `arn:aws:iam::${LOCAL_ACCOUNT}:role/connector-local`,
      CONNECTOR_LOG_GROUP: `/local/${config.service}/connectors`,
      VPC_ID: params.vpcId ?? '',
      SUBNET_IDS: params.subnetIds ?? '',
      SECURITY_GROUP_ID: params.securityGroupId ?? '',
      AWS_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    delete env.NODE_OPTIONS;
    Object.assign(process.env, env);

    const host = new FunctionHost(root, config.functions);
    started.push(host);
    const functions = Object.fromEntries(config.functions.flatMap((f) => [[f.name, { timeoutSeconds: f.timeoutSeconds }], [f.functionName, { timeoutSeconds: f.timeoutSeconds }]]));
    const connectDelay = options.kafkaConnectDelayMs;
    const localAws = await startLocalAws({
      port: ports.aws,
      dataDir,
      region: LOCAL_REGION,
      kafka: { brokers: cluster.brokers },
      // The second cluster, described as another provisioned cluster in the stack's VPC.
      ...(second ? { msk: { clusters: [{ name: SECOND_CLUSTER_NAME, brokers: second.brokers, local: true, serverProperties: { 'default.replication.factor': Math.min(3, second.brokers.length), 'min.insync.replicas': 1 } }] } } : {}),
      functions,
      invoke: (name, event, context) => host.invoke(name, event, context),
      ...(options.waitScale !== undefined ? { stepFunctions: { waitScale: options.waitScale } } : {}),
      ...(connectDelay !== undefined ? { kafkaConnect: { pluginDelayMs: connectDelay, connectorDelayMs: connectDelay, deleteDelayMs: connectDelay } } : {}),
    });
    started.push(localAws);
    // Set once the port is known (0 = a free port in tests).
    process.env.AWS_ENDPOINT_URL = localAws.url;
    say(`local AWS endpoint: ${localAws.url}`);

    await ensureFirehoseStream(root, config, LOCAL_BUCKET, streamName, say);
    await ensurePipelinesTable(root, config, tableName, say);
    const machines = await ensureStateMachines(root, config, say);
    process.env.CREATE_PIPELINE_STATE_MACHINE_ARN = machines.createPipeline ?? localStateMachineArn(`${config.service}-${config.stage}-create-pipeline`);
    process.env.DELETE_PIPELINE_STATE_MACHINE_ARN = machines.deletePipeline ?? localStateMachineArn(`${config.service}-${config.stage}-delete-pipeline`);

    await failInterruptedPipelines(tableName, say);

    const gateway: Gateway = await startGateway({ port: ports.api, functions: config.functions, host });
    started.push(gateway);
    say(`HTTP API: ${gateway.url}`);

    const clusterArn = localAws.msk.devClusterArn;
    if (!clusterArn) throw new Error('the local MSK service describes no dev cluster');
    let demo: Stack['demo'];
    if (options.demo !== false) {
      const settings: DemoSettings = { ...DEMO, windowSeconds: options.demoWindowSeconds ?? 5, batchSize: options.demoBatchSize ?? 500 };
      const pipeline = await ensureDemoPipeline(gateway.url, settings, clusterArn, say);
      demo = { ...settings, pipeline };
    }

    return {
      api: gateway.url,
      aws: localAws.url,
      kafka: { brokers: cluster.brokers, bootstrap: cluster.bootstrap },
      kafka2: second ? { brokers: second.brokers, bootstrap: second.bootstrap } : undefined,
      secondClusterArn: second ? localAws.msk.clusters().map((c) => c as { clusterName?: string; clusterArn?: string }).find((c) => c.clusterName === SECOND_CLUSTER_NAME)?.clusterArn : undefined,
      dataDir,
      s3Dir: localAws.s3Dir,
      bucket: LOCAL_BUCKET,
      clusterArn,
      demo,
      cluster,
      localAws,
      config,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
