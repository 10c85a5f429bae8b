/**
 * The whole pipeline on localhost: the dev Kafka cluster, the local AWS endpoint (Firehose,
 * Lambda, Step Functions, DynamoDB, MSK, MSK Connect, S3), the HTTP API from serverless.yml,
 * and a demo pipeline created through the admin API. Production code reaches all of it only
 * through configuration: AWS_ENDPOINT_URL and the environment serverless.yml gives each
 * function, exactly as it would reach AWS and MSK.
 */
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startCluster, type DevCluster } from './kafka/index.ts';
import { inThisThread, startClusterThread, type ClusterControls } from './kafka-thread.ts';
import { startLocalAws, type LocalAws } from './aws/index.ts';
import { FunctionHost } from './function-host.ts';
import { startGateway, type Gateway } from './gateway/server.ts';
import { CollectCounter, LocalConsole } from './console/server.ts';
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { loadServiceConfig, type ServiceConfig } from './serverless-config.ts';
import { ensureDemoPipeline, type DemoSettings, type PipelineView } from './demo-pipeline.ts';
import { failInterruptedPipelines } from './recover-pipelines.ts';
import {
  ensureFirehoseStream,
  ensurePipelinesTable,
  ensureStateMachines,
  localStateMachineArn,
  LOCAL_ACCOUNT,
  LOCAL_REGION,
  readStateMachines,
  waitStateSeconds,
} from './stack-resources.ts';

export interface StackOptions {
  /** Project root (where serverless.yml and the handler modules it names are). Default: the current directory. */
  root?: string;
  /** Where state lives. Default `<root>/.local`. */
  dataDir?: string;
  /** Delete the state first. */
  fresh?: boolean;
  /** Create the demo pipeline through POST /pipelines (default true). */
  demo?: boolean;
  /**
   * Fixed ports by default (Kafka 9092-9094, TLS 9292-9294, SASL/SCRAM 9392-9394, IAM 9492-9494,
   * second cluster 9192-9193, 4566, 3000); 0 picks free ports (tests; the secured listeners and the
   * second cluster follow `kafka` when it is 0).
   */
  ports?: {
    kafka?: number;
    kafkaTls?: number;
    kafkaScram?: number;
    kafkaIam?: number;
    kafka2?: number;
    aws?: number;
    api?: number;
  };
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
  /** The clock the dev brokers check IAM token expiry against (tests: an expired token). */
  kafkaIamClock?: () => number;
  /** Progress lines; default silent. */
  say?: (line: string) => void;
}

export interface Stack {
  api: string;
  aws: string;
  kafka: {
    brokers: string[];
    bootstrap: string;
    /** Bootstrap strings of the TLS, SASL/SCRAM and IAM listeners. */
    listeners: DevCluster['listeners'];
    /** The local CA and truststores the TLS listeners' certificates chain to. */
    tls: DevCluster['tls'];
    /** The `AmazonMSK_` secret of the dev cluster's SCRAM user (in the local Secrets Manager). */
    scramSecret: { name: string; arn: string };
  };
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
  cluster: ClusterControls;
  localAws: LocalAws;
  config: ServiceConfig;
  close(): Promise<void>;
}

export const DEMO = { projectId: 'demo', appId: 'demo-app', topic: 'demo' } as const;
export const LOCAL_BUCKET = 'clickstream-local';
export const DEV_SCRAM_SECRET = 'AmazonMSK_clickstream-local';
export const SECOND_CLUSTER_NAME = 'clickstream-local-2';

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const root = resolve(options.root ?? process.cwd());
  const dataDir = resolve(options.dataDir ?? join(root, '.local'));
  const say = options.say ?? (() => undefined);
  const free = options.ports?.kafka === 0;
  const ports = {
    kafka: 9092,
    kafkaTls: free ? 0 : 9292,
    kafkaScram: free ? 0 : 9392,
    kafkaIam: free ? 0 : 9492,
    kafka2: free ? 0 : 9192,
    aws: 4566,
    api: 3000,
    ...options.ports,
  };
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
    // Each dev cluster runs in its own worker thread (see kafka-thread.ts), except with a test's
    // IAM clock: a function cannot cross threads.
    const clusterOptions = {
      brokers: options.brokers ?? 3,
      port: ports.kafka,
      dataDir: join(dataDir, 'kafka'),
      // IAM tokens are checked against the stack's AWS keys (AWS_ACCESS_KEY_ID=local below).
      listeners: {
        tls: { port: ports.kafkaTls },
        scram: { port: ports.kafkaScram },
        iam: { port: ports.kafkaIam },
      },
    };
    const cluster = options.kafkaIamClock
      ? inThisThread(await startCluster({ ...clusterOptions, iamClock: options.kafkaIamClock }))
      : await startClusterThread(clusterOptions);
    started.push(cluster);
    say(`Kafka dev cluster: ${cluster.bootstrap}`);
    const secondBrokers = options.secondClusterBrokers ?? 2;
    const second =
      secondBrokers > 0
        ? await startClusterThread({
            brokers: secondBrokers,
            port: ports.kafka2,
            dataDir: join(dataDir, 'kafka-2'),
          })
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
    // the ASL files are read once here, for the Wait seconds below and the machines created later
    const stateMachines = await readStateMachines(root, config);
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
      // EMF metric lines are for CloudWatch; locally the console shows the counts instead.
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
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
    // Waits run scaled locally; the ingest's route cache must stay younger than the teardown's
    // wait for routes to expire (the teardown fence), so it is scaled with it, with a margin.
    const routeWait = waitStateSeconds(stateMachines, 'WaitForIngestRoutes');
    if (routeWait !== undefined && (options.waitScale ?? 1) < 1) {
      env.ROUTE_MAX_AGE_MS = String(Math.max(1, Math.floor(routeWait * 1000 * (options.waitScale ?? 1) * 0.8)));
    }
    delete env.NODE_OPTIONS;
    Object.assign(process.env, env);

    const host = new FunctionHost(root, config.functions);
    started.push(host);
    const functions = Object.fromEntries(
      config.functions.flatMap((f) => [
        [f.name, { timeoutSeconds: f.timeoutSeconds }],
        [f.functionName, { timeoutSeconds: f.timeoutSeconds }],
      ]),
    );
    const connectDelay = options.kafkaConnectDelayMs;
    const localAws = await startLocalAws({
      port: ports.aws,
      dataDir,
      region: LOCAL_REGION,
      kafka: { brokers: cluster.brokers, ...(cluster.tls ? { caPem: cluster.tls.caPem } : {}) },
      msk: {
        cluster: {
          listeners: {
            tls: cluster.listeners.tls?.split(','),
            scram: cluster.listeners.scram?.split(','),
            iam: cluster.listeners.iam?.split(','),
          },
        },
        // The second cluster, described as another provisioned cluster in the stack's VPC.
        ...(second
          ? {
              clusters: [
                {
                  name: SECOND_CLUSTER_NAME,
                  brokers: second.brokers,
                  local: true,
                  serverProperties: {
                    'default.replication.factor': Math.min(3, second.brokers.length),
                    'min.insync.replicas': 1,
                  },
                },
              ],
            }
          : {}),
      },
      kafkaBrokers: {
        list: () => cluster.brokerStatus(),
        stop: (nodeId) => cluster.stopBroker(cluster.nodeIds.indexOf(nodeId)),
        start: (nodeId) => cluster.restartBroker(cluster.nodeIds.indexOf(nodeId)),
        delay: (nodeId, ms) => cluster.delayBroker(cluster.nodeIds.indexOf(nodeId), ms),
      },
      functions,
      invoke: (name, event, context) => host.invoke(name, event, context),
      ...(options.waitScale !== undefined ? { stepFunctions: { waitScale: options.waitScale } } : {}),
      ...(connectDelay !== undefined
        ? {
            kafkaConnect: {
              pluginDelayMs: connectDelay,
              connectorDelayMs: connectDelay,
              deleteDelayMs: connectDelay,
            },
          }
        : {}),
    });
    started.push(localAws);
    // Set once the port is known (0 = a free port in tests).
    process.env.AWS_ENDPOINT_URL = localAws.url;
    say(`local AWS endpoint: ${localAws.url}`);

    // The SCRAM user lives where MSK keeps it: an AmazonMSK_ secret, made once with a random password.
    const scramSecret = localAws.secretsManager.ensure(
      DEV_SCRAM_SECRET,
      () => JSON.stringify({ username: 'clickstream', password: randomBytes(18).toString('base64url') }),
      'SASL/SCRAM credentials of the local dev cluster',
    );
    const { username, password } = JSON.parse(scramSecret.secretString) as {
      username: string;
      password: string;
    };
    await cluster.setScramUser(username, password);

    await ensureFirehoseStream(root, config, LOCAL_BUCKET, streamName, say);
    await ensurePipelinesTable(root, config, tableName, say);
    const machines = await ensureStateMachines(config, stateMachines, say);
    process.env.CREATE_PIPELINE_STATE_MACHINE_ARN =
      machines.createPipeline ?? localStateMachineArn(`${config.service}-${config.stage}-create-pipeline`);
    process.env.DELETE_PIPELINE_STATE_MACHINE_ARN =
      machines.deletePipeline ?? localStateMachineArn(`${config.service}-${config.stage}-delete-pipeline`);

    await failInterruptedPipelines(tableName, say);

    const clusterArn = localAws.msk.devClusterArn;
    if (!clusterArn) throw new Error('the local MSK service describes no dev cluster');
    // The console (GET /console) reaches clusters the way a client does: the MSK API for brokers.
    const mskApi = new KafkaClient({
      endpoint: localAws.url,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const counter = new CollectCounter();
    let apiUrl = '';
    const localConsole = new LocalConsole({
      api: () => apiUrl,
      bootstrapFor: async (arn) =>
        (await mskApi.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }))).BootstrapBrokerString,
      s3Dir: localAws.s3Dir,
      bucket: LOCAL_BUCKET,
      counter,
      defaultClusterArn: clusterArn,
    });
    started.push({
      close: async () => {
        await localConsole.close();
        mskApi.destroy();
      },
    });
    const gateway: Gateway = await startGateway({
      port: ports.api,
      functions: config.functions,
      host,
      pages: (req, res, url) => localConsole.handle(req, res, url),
      observe: (routeKey, query, status, body) => counter.observe(routeKey, query, status, body),
    });
    apiUrl = gateway.url;
    started.push(gateway);
    say(`HTTP API: ${gateway.url}`);
    say(`console: ${gateway.url}/console`);
    let demo: Stack['demo'];
    if (options.demo !== false) {
      const settings: DemoSettings = {
        ...DEMO,
        windowSeconds: options.demoWindowSeconds ?? 5,
        batchSize: options.demoBatchSize ?? 500,
      };
      const pipeline = await ensureDemoPipeline(gateway.url, settings, clusterArn, say);
      demo = { ...settings, pipeline };
    }

    return {
      api: gateway.url,
      aws: localAws.url,
      kafka: {
        brokers: cluster.brokers,
        bootstrap: cluster.bootstrap,
        listeners: cluster.listeners,
        tls: cluster.tls,
        scramSecret: { name: DEV_SCRAM_SECRET, arn: scramSecret.arn },
      },
      kafka2: second ? { brokers: second.brokers, bootstrap: second.bootstrap } : undefined,
      secondClusterArn: second
        ? localAws.msk
            .clusters()
            .map((c) => c as { clusterName?: string; clusterArn?: string })
            .find((c) => c.clusterName === SECOND_CLUSTER_NAME)?.clusterArn
        : undefined,
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
