/**
 * The local AWS endpoint: one HTTP server (default 127.0.0.1:4566) that serves the AWS APIs the
 * project calls, dispatching each request by the service in its SigV4 credential scope, so the
 * unchanged AWS SDK v3 and the AWS CLI work against it through `AWS_ENDPOINT_URL` /
 * `--endpoint-url`. See docs/local-aws.md.
 *
 * Services: Firehose (DirectPut → gzip objects in `<dataDir>/s3/<bucket>/<key>`), Lambda
 * Invoke and event source mappings (Kafka pollers invoking functions in-process through
 * `invoke`), Step Functions (real ASL run by aws-local-stepfunctions, Lambda tasks in-process),
 * DynamoDB (dynalite, plus transactions), the MSK control plane (the dev cluster and
 * rule-breaking ones), MSK Connect (a local Confluent S3 sink), EC2 DescribeSubnets, and S3 over
 * the local S3 tree (dead letters, reading objects back, `aws s3 ls`), and Secrets Manager
 * (CreateSecret / GetSecretValue: the `AmazonMSK_*` SCRAM credentials).
 * All state lives under `dataDir` and survives a restart.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { systemClock, type Clock } from './clock.ts';
import { AwsError } from './errors.ts';
import {
  parseFaultUpdate,
  type FaultState,
  type RecordErrorCode,
  type ThrottleErrorCode,
  type ThrottleSetting,
} from './firehose/faults.ts';
import { FirehoseService, type StreamStatus } from './firehose/service.ts';
import { openKafkaSource, type OpenKafkaSource } from './lambda/kafka-source.ts';
import type { Json } from './lambda/mappings.ts';
import type { InvokeFunction, PollerStats } from './lambda/poller.ts';
import { LambdaService, type FunctionSettings, type KafkaBrokers } from './lambda/service.ts';
import { log } from './logger.ts';
import { DynamoDbService } from './dynamodb/service.ts';
import { Ec2Service } from './ec2/service.ts';
import { KafkaConnectService, type ConnectorState, type KafkaConnectFaults } from './kafkaconnect/service.ts';
import { RetriableWriteError, type SinkStats } from './kafkaconnect/s3-sink.ts';
import type { ClusterOverrides, DevClusterSettings } from './msk/clusters.ts';
import { MskService } from './msk/service.ts';
import { S3Service } from './s3/service.ts';
import { parseServiceFault, ServiceFaults, type ServiceFault } from './service-faults.ts';
import { SecretsManagerService } from './secretsmanager/service.ts';
import { startEndpointServer, type AwsRequest, type AwsResponse } from './server.ts';
import type { ExecutionRecord } from './stepfunctions/execution.ts';
import { StepFunctionsService } from './stepfunctions/service.ts';
import { CONTENT_TYPE, jsonResponse } from './json-response.ts';

export type { InvokeFunction } from './lambda/poller.ts';
export type { ClusterOverrides, DevClusterSettings } from './msk/clusters.ts';
export { DEFAULT_NETWORK as MSK_DEFAULT_NETWORK } from './msk/clusters.ts';
export type { KafkaConnectFaults } from './kafkaconnect/service.ts';
export type { ExecutionRecord } from './stepfunctions/execution.ts';
export type { FunctionSettings, KafkaBrokers } from './lambda/service.ts';
export type { FaultState, ThrottleSetting } from './firehose/faults.ts';
export { LIMITS as FIREHOSE_LIMITS } from './firehose/service.ts';

export const DEFAULT_PORT = 4566;
export const DEFAULT_ACCOUNT_ID = '000000000000';

export interface LocalAwsOptions {
  /** Default 4566; 0 picks a free port (tests). */
  port?: number;
  /** Bind address; default 127.0.0.1 (the endpoint is never exposed). */
  host?: string;
  /** Where everything is kept: `s3/`, `firehose/`, `lambda/`. */
  dataDir: string;
  /** Runs a function in-process; required for event source mappings to deliver. */
  invoke?: InvokeFunction;
  /** The dev Kafka brokers (bootstrap list) that MSK mappings poll; `caPem`: the CA of their TLS listeners. */
  kafka?: KafkaBrokers & { caPem?: string };
  /** Known functions and their settings; when given, mappings to other functions are refused. */
  functions?: Record<string, FunctionSettings>;
  accountId?: string;
  /** Injected time (tests). */
  clock?: Clock;
  /** How long a new Firehose stream stays CREATING (default 0). */
  firehoseCreateDelayMs?: number;
  /** Replaces the Kafka consumer of the pollers (tests). */
  openKafkaSource?: OpenKafkaSource;
  /** Step Functions: `waitScale` multiplies Wait durations and Retry intervals (default 1; tests: 0.01). */
  stepFunctions?: { waitScale?: number };
  /** DynamoDB (dynalite): `inMemory` keeps no files; `createTableMs` is how long a new table stays CREATING (default 0). */
  dynamodb?: { inMemory?: boolean; createTableMs?: number };
  /** Region of the ARNs the endpoint makes up front (the dev MSK cluster); default us-east-1. */
  region?: string;
  /**
   * MSK control plane. `cluster`: the dev cluster as MSK describes it (brokers default to
   * `kafka.brokers`; ARN, name, VPC, subnets, security groups and the brokers' settings can be
   * given); `clusters`: extra clusters as overrides of the dev cluster (rule-breaking ones).
   */
  msk?: { cluster?: Partial<DevClusterSettings>; clusters?: ClusterOverrides[] };
  /** MSK Connect state transition delays (defaults: plugin 500 ms, connector 1000 ms, delete 500 ms). */
  kafkaConnect?: {
    pluginDelayMs?: number;
    connectorDelayMs?: number;
    deleteDelayMs?: number;
    writeRetryBackoffMs?: number;
  };
  /**
   * The Kafka brokers' fault hooks, served as `/_local/kafka/brokers/...` (the endpoint does not
   * own the brokers; whoever started them passes their controls here).
   */
  kafkaBrokers?: KafkaBrokerControls;
}

/** Stop, start and slow down a broker by its node id (as Kafka metadata shows it). */
export interface KafkaBrokerControls {
  list(): Array<{ nodeId: number; address: string; up: boolean; delayMs: number }>;
  stop(nodeId: number): Promise<void>;
  start(nodeId: number): Promise<void>;
  delay(nodeId: number, ms: number): void | Promise<void>;
}

export interface ServiceFaultControls {
  /** Sets the fault of one service (see service-faults.ts); throws RangeError on a bad fault. */
  set(service: string, fault: Record<string, unknown>): ServiceFault;
  clear(service?: string): void;
  snapshot(): Record<string, ServiceFault>;
}

export interface MskControls {
  /** ARN of the dev cluster (undefined without brokers). */
  readonly devClusterArn: string | undefined;
  /** Adds an extra cluster (overrides of the dev cluster); returns its DescribeClusterV2 `clusterInfo`. */
  register(overrides: ClusterOverrides): Record<string, unknown>;
  unregister(arn: string): boolean;
  clusters(): Record<string, unknown>[];
}

export interface KafkaConnectControls {
  connectors(): Array<{ name: string; arn: string; state: ConnectorState; sink: SinkStats | null }>;
  /** The next n plugins end CREATE_FAILED / connectors end FAILED. */
  setFaults(update: Partial<KafkaConnectFaults>): KafkaConnectFaults;
}

export interface StepFunctionsControls {
  /** Executions (status, history) of one state machine or all, newest first. */
  executions(stateMachineArn?: string): ExecutionRecord[];
  /** Resolves with the execution once it is no longer RUNNING. */
  settled(executionArn: string): Promise<ExecutionRecord | undefined>;
  setWaitScale(scale: number): void;
}

export interface FirehoseControls {
  /** That fraction of PutRecordBatch entries fail with ErrorCode ServiceUnavailableException (not buffered). */
  setFailureRate(rate: number, options?: { errorCode?: RecordErrorCode; seed?: number }): void;
  /** `n`: throttle the next n put calls; `{ everyNth: k }`: every k-th; 0/null: off. */
  setThrottle(setting: ThrottleSetting, errorCode?: ThrottleErrorCode): void;
  resetFaults(): void;
  faults(): FaultState;
  /** Delivers everything buffered now (all streams or one). */
  flush(streamName?: string): void;
  streams(): StreamStatus[];
}

export interface EventSourceMappingControls {
  list(): Json[];
  /** Counters of a running mapping's poller; undefined when it is not running. */
  stats(uuid: string): PollerStats | undefined;
  /** Resolves when pending state transitions (Creating → Enabled, ...) are done. */
  settled(): Promise<void>;
}

export interface SecretsManagerControls {
  /** Creates the secret unless it exists; returns its ARN and (existing or new) SecretString. */
  ensure(name: string, secretString: () => string, description?: string): { arn: string; secretString: string };
}

export interface LocalAws {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  /** `<dataDir>/s3`: the local S3 tree (`<bucket>/<key>`). */
  readonly s3Dir: string;
  readonly firehose: FirehoseControls;
  readonly eventSourceMappings: EventSourceMappingControls;
  readonly stepFunctions: StepFunctionsControls;
  readonly msk: MskControls;
  readonly kafkaConnect: KafkaConnectControls;
  /** Faults of any service: errors, latency, hangs (`/_local/faults/{service}`). */
  readonly faults: ServiceFaultControls;
  readonly secretsManager: SecretsManagerControls;
  /** Stops the pollers (in-flight invocations finish), flushes Firehose buffers, closes the server. */
  close(): Promise<void>;
}

const okJson = (body: unknown, status = 200): AwsResponse => jsonResponse(body, CONTENT_TYPE.restJson, status);

export async function startLocalAws(options: LocalAwsOptions): Promise<LocalAws> {
  const dataDir = resolve(options.dataDir);
  mkdirSync(join(dataDir, 's3'), { recursive: true });
  const clock = options.clock ?? systemClock;
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;

  const region = options.region ?? 'us-east-1';

  const firehose = new FirehoseService({ dataDir, clock, createDelayMs: options.firehoseCreateDelayMs ?? 0 });
  const devBrokers = options.msk?.cluster?.brokers ?? options.kafka?.brokers;
  const msk = new MskService({
    dataDir,
    dev: devBrokers && devBrokers.length > 0 ? { ...options.msk?.cluster, brokers: devBrokers } : undefined,
    clusters: options.msk?.clusters ?? [],
    region,
    accountId,
  });
  const kafka = {
    ...options.kafka,
    // MSK mappings poll the brokers of the cluster the local MSK describes under that ARN.
    brokersFor: (arn: string) => msk.brokersFor(arn) ?? options.kafka?.brokersFor?.(arn),
    // ...over the listener Lambda would pick for the mapping's auth (see MskService.connectionFor).
    connectionFor: (arn: string, scramSecretArn: string | undefined) => {
      const connection = msk.connectionFor(arn, scramSecretArn);
      const caPem = options.kafka?.caPem;
      return connection && (caPem !== undefined && connection.auth !== 'none' ? { ...connection, caPem } : connection);
    },
  };
  const secretsManager = new SecretsManagerService({ dataDir, region, accountId });
  const lambda = new LambdaService({
    dataDir,
    clock,
    invoke: options.invoke,
    kafka,
    functions: options.functions,
    openSource: options.openKafkaSource ?? openKafkaSource,
  });
  const dynamodb = new DynamoDbService({ dataDir, ...options.dynamodb });
  const faults = new ServiceFaults();
  const kafkaConnect = new KafkaConnectService({
    dataDir,
    openSource: options.openKafkaSource ?? openKafkaSource,
    ...options.kafkaConnect,
    // The connector's S3 writes meet the S3 faults too; 5xx/SlowDown are retried as Connect does.
    beforeWrite: () => {
      const error = faults.failNow('s3', 'PutObject');
      if (error === undefined) return undefined;
      return error.status >= 500
        ? new RetriableWriteError(`${error.code}: ${error.message}`)
        : new Error(`${error.code}: ${error.message}`);
    },
  });
  const ec2 = new Ec2Service({ subnets: () => msk.subnets() });
  const parseBody = (request: AwsRequest): Record<string, unknown> => {
    try {
      const parsed: unknown = JSON.parse(request.body.toString('utf8') || '{}');
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new Error('the body must be a JSON object');
      return parsed as Record<string, unknown>;
    } catch (error) {
      throw new AwsError('ValidationException', error instanceof Error ? error.message : String(error), 400);
    }
  };
  const stepFunctions = new StepFunctionsService({
    dataDir,
    invokeFunction: (fn, payload, region, account) => lambda.invokeFunction(fn, payload, region, account),
    ...(options.stepFunctions?.waitScale !== undefined ? { waitScale: options.stepFunctions.waitScale } : {}),
  });

  const control = async (request: AwsRequest): Promise<AwsResponse | undefined> => {
    const route = `${request.method} ${request.path.replace(/\/+$/, '')}`;
    const special = await faultAndBrokerRoutes(request, route, faults, options.kafkaBrokers, parseBody);
    if (special !== undefined) return special;
    switch (route) {
      case 'GET /_local/health':
        return okJson({
          status: 'ok',
          services: [
            'firehose',
            'lambda',
            'states',
            'dynamodb',
            'kafka',
            'kafkaconnect',
            'ec2',
            's3',
            'secretsmanager',
          ],
          dataDir,
        });
      case 'GET /_local/firehose/faults':
        return okJson(firehose.faults.snapshot());
      case 'POST /_local/firehose/faults': {
        let update;
        try {
          update = parseFaultUpdate(JSON.parse(request.body.toString('utf8') || '{}'));
          firehose.faults.update(update);
        } catch (error) {
          throw new AwsError('ValidationException', error instanceof Error ? error.message : String(error), 400);
        }
        log.info('firehose faults updated', { ...update });
        return okJson(firehose.faults.snapshot());
      }
      case 'DELETE /_local/firehose/faults':
        firehose.faults.reset();
        return okJson(firehose.faults.snapshot());
      case 'POST /_local/firehose/flush':
        firehose.flush(request.query.get('stream') ?? undefined);
        return okJson({ flushed: true, streams: firehose.streamStatuses() });
      case 'GET /_local/firehose/streams':
        return okJson(firehose.streamStatuses());
      case 'GET /_local/lambda/event-source-mappings':
        return okJson(lambda.describeAll().map((m) => ({ ...m, poller: lambda.stats(String(m.UUID)) ?? null })));
      case 'GET /_local/msk/clusters':
        return okJson({ devClusterArn: msk.devArn ?? null, clusters: msk.list() });
      case 'POST /_local/msk/clusters':
        try {
          return okJson({ clusterInfo: msk.register(parseBody(request) as ClusterOverrides) }, 201);
        } catch (error) {
          if (error instanceof AwsError) throw error;
          throw new AwsError('ValidationException', error instanceof Error ? error.message : String(error), 400);
        }
      case 'DELETE /_local/msk/clusters': {
        const arn = request.query.get('arn') ?? '';
        if (!msk.unregister(arn)) throw new AwsError('NotFoundException', `no extra MSK cluster ${arn}`, 404);
        return okJson({ deleted: arn });
      }
      case 'GET /_local/kafkaconnect/connectors':
        return okJson(kafkaConnect.connectorStatuses());
      case 'GET /_local/kafkaconnect/faults':
        return okJson(kafkaConnect.faults);
      case 'POST /_local/kafkaconnect/faults':
        try {
          return okJson(kafkaConnect.setFaults(parseBody(request) as Partial<KafkaConnectFaults>));
        } catch (error) {
          if (error instanceof AwsError) throw error;
          throw new AwsError('ValidationException', error instanceof Error ? error.message : String(error), 400);
        }
      case 'DELETE /_local/kafkaconnect/faults':
        return okJson(kafkaConnect.setFaults({ failNextPlugins: 0, failNextConnectors: 0 }));
      case 'GET /_local/stepfunctions/executions':
        return okJson(
          stepFunctions
            .listAll(request.query.get('stateMachineArn') ?? undefined)
            .map(({ events, ...e }) => ({ ...e, events: events.length })),
        );
      default:
        return undefined;
    }
  };

  let server;
  try {
    server = await startEndpointServer({
      port: options.port ?? DEFAULT_PORT,
      ...(options.host !== undefined ? { host: options.host } : {}),
      accountId,
      services: [
        firehose,
        lambda,
        stepFunctions,
        dynamodb,
        msk,
        kafkaConnect,
        ec2,
        new S3Service({ s3Root: join(dataDir, 's3') }),
        secretsManager,
      ],
      control,
      faults,
    });
  } catch (error) {
    firehose.close();
    stepFunctions.close();
    await dynamodb.close();
    await kafkaConnect.close();
    throw error;
  }
  lambda.resume();
  kafkaConnect.resume();
  log.info('local AWS endpoint listening', { url: server.url, dataDir });

  let closing: Promise<void> | undefined;
  return {
    url: server.url,
    port: server.port,
    dataDir,
    s3Dir: join(dataDir, 's3'),
    firehose: {
      setFailureRate: (rate, opts) => firehose.faults.setFailureRate(rate, opts),
      setThrottle: (setting, errorCode) => firehose.faults.setThrottle(setting, errorCode),
      resetFaults: () => firehose.faults.reset(),
      faults: () => firehose.faults.snapshot(),
      flush: (name) => firehose.flush(name),
      streams: () => firehose.streamStatuses(),
    },
    eventSourceMappings: {
      list: () => lambda.describeAll(),
      stats: (uuid) => lambda.stats(uuid),
      settled: () => lambda.settled(),
    },
    stepFunctions: {
      executions: (arn) => stepFunctions.listAll(arn),
      settled: (arn) => stepFunctions.settled(arn),
      setWaitScale: (scale) => stepFunctions.setWaitScale(scale),
    },
    msk: {
      devClusterArn: msk.devArn,
      register: (overrides) => msk.register(overrides),
      unregister: (arn) => msk.unregister(arn),
      clusters: () => msk.list(),
    },
    kafkaConnect: {
      connectors: () => kafkaConnect.connectorStatuses(),
      setFaults: (update) => kafkaConnect.setFaults(update),
    },
    faults: {
      set: (service, fault) => faults.set(service, parseServiceFault(service, fault)),
      clear: (service) => faults.clear(service),
      snapshot: () => faults.snapshot(),
    },
    secretsManager: {
      ensure: (name, secretString, description) => secretsManager.ensure(name, secretString, description),
    },
    close: () => {
      faults.clear();
      closing ??= (async () => {
        // Pollers first: their in-flight invocations may still call Firehose through this server.
        await lambda.close();
        await kafkaConnect.close();
        stepFunctions.close();
        firehose.close();
        await server.close();
        await dynamodb.close();
      })();
      return closing;
    },
  };
}

/**
 * `/_local/faults[/{service}]` (GET, POST, DELETE) and `/_local/kafka/brokers[/{id}/stop|start|delay]`;
 * undefined for other routes.
 */
async function faultAndBrokerRoutes(
  request: AwsRequest,
  route: string,
  faults: ServiceFaults,
  brokers: KafkaBrokerControls | undefined,
  parseBody: (request: AwsRequest) => Record<string, unknown>,
): Promise<AwsResponse | undefined> {
  const invalid = (error: unknown) =>
    new AwsError('ValidationException', error instanceof Error ? error.message : String(error), 400);
  if (route === 'GET /_local/faults') return okJson(faults.snapshot());
  if (route === 'DELETE /_local/faults') {
    faults.clear();
    return okJson(faults.snapshot());
  }
  const fault = /^(GET|POST|DELETE) \/_local\/faults\/([a-z0-9-]+)$/.exec(route);
  if (fault) {
    const [, method, service] = fault as unknown as [string, string, string];
    if (method === 'GET') return okJson(faults.get(service) ?? null);
    if (method === 'DELETE') {
      faults.clear(service);
      log.info('service fault cleared', { service });
      return okJson(null);
    }
    let parsed: ServiceFault;
    try {
      parsed = parseServiceFault(service, parseBody(request));
    } catch (error) {
      throw error instanceof AwsError ? error : invalid(error);
    }
    log.info('service fault set', { service, ...parsed, stats: undefined });
    return okJson(faults.set(service, parsed));
  }
  if (!route.includes(' /_local/kafka/brokers')) return undefined;
  if (brokers === undefined)
    throw new AwsError('ResourceNotFoundException', 'this endpoint was started without Kafka brokers', 404);
  if (route === 'GET /_local/kafka/brokers') return okJson({ brokers: brokers.list() });
  const action = /^POST \/_local\/kafka\/brokers\/([^/]+)\/(stop|start|delay)$/.exec(route);
  if (!action) return undefined;
  const [, rawId, verb] = action as unknown as [string, string, string];
  const nodeId = Number(rawId);
  const known = brokers.list().map((b) => b.nodeId);
  if (!/^\d+$/.test(rawId) || !known.includes(nodeId)) {
    throw new AwsError(
      'ResourceNotFoundException',
      `no broker with node id '${rawId}' (node ids: ${known.join(', ')})`,
      404,
    );
  }
  if (verb === 'stop') await brokers.stop(nodeId);
  else if (verb === 'start') await brokers.start(nodeId);
  else {
    const ms = parseBody(request).ms;
    if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > 600_000)
      throw invalid(new RangeError('ms must be an integer between 0 and 600000 (0 removes the delay)'));
    await brokers.delay(nodeId, ms);
  }
  log.info(`kafka broker ${verb}`, { nodeId });
  return okJson({ brokers: brokers.list() });
}
