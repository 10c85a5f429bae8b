/**
 * The whole pipeline on localhost: the dev Kafka cluster, the local AWS endpoint (Firehose,
 * Lambda event source mappings), the HTTP API from serverless.yml, and the demo pipeline.
 * Production code reaches all of it only through configuration: AWS_ENDPOINT_URL and the broker
 * list in the functions' environment, exactly as it would reach AWS and MSK.
 */
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startCluster, type DevCluster } from './kafka/index.ts';
import { startLocalAws, type LocalAws } from './aws/index.ts';
import { FunctionHost } from './function-host.ts';
import { startGateway, type Gateway } from './gateway/server.ts';
import { loadServiceConfig, type ServiceConfig } from './serverless-config.ts';
import { ensureDemoPipeline, type DemoSettings } from './demo-pipeline.ts';

export interface StackOptions {
  /** Project root (serverless.yml, functions/). Default: the current directory. */
  root?: string;
  /** Where state lives. Default `<root>/.local`. */
  dataDir?: string;
  /** Delete the state first. */
  fresh?: boolean;
  /** Create the demo pipeline (default true). */
  demo?: boolean;
  /** Fixed ports by default (9092-9094, 4566, 3000); 0 picks free ports (tests). */
  ports?: { kafka?: number; aws?: number; api?: number };
  brokers?: number;
  /** Demo mapping window (s), batch size, and Firehose buffer interval (s). */
  demoWindowSeconds?: number;
  demoBatchSize?: number;
  firehoseBufferSeconds?: number;
  /** Progress lines; default silent. */
  say?: (line: string) => void;
}

export interface Stack {
  api: string;
  aws: string;
  kafka: { brokers: string[]; bootstrap: string };
  dataDir: string;
  s3Dir: string;
  demo: (DemoSettings & { mappingUuid: string }) | undefined;
  cluster: DevCluster;
  localAws: LocalAws;
  config: ServiceConfig;
  close(): Promise<void>;
}

export const DEMO = { appId: 'demo-app', topic: 'demo', bucket: 'clickstream-local' } as const;

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const root = resolve(options.root ?? process.cwd());
  const dataDir = resolve(options.dataDir ?? join(root, '.local'));
  const say = options.say ?? (() => undefined);
  const ports = { kafka: 9092, aws: 4566, api: 3000, ...options.ports };
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

    const config = await loadServiceConfig(root, {
      topic: DEMO.topic,
      appIds: DEMO.appId,
      kafkaBrokers: cluster.bootstrap,
      // The mapping window already batches (5 s in the demo); Firehose adds no further wait locally.
      firehoseBufferSeconds: String(options.firehoseBufferSeconds ?? 0),
    });
    const streamName = `${config.service}-${config.stage}-events`;
    const sink = config.functions.find((f) => f.name === 'sink');

    // One process hosts every function, so their environments are merged; the values that are
    // CloudFormation references in serverless.yml get their local equivalents.
    const env: Record<string, string> = {};
    for (const fn of config.functions) Object.assign(env, fn.environment);
    Object.assign(env, {
      POWERTOOLS_SERVICE_NAME: config.service,
      POWERTOOLS_LOG_LEVEL: process.env.LOG_LEVEL ?? 'WARN',
      FIREHOSE_STREAM_NAME: streamName,
      DLQ_BUCKET: DEMO.bucket,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    delete env.NODE_OPTIONS;
    Object.assign(process.env, env);

    const host = new FunctionHost(root, config.functions);
    started.push(host);
    const functions = Object.fromEntries(config.functions.flatMap((f) => [[f.name, { timeoutSeconds: f.timeoutSeconds }], [f.functionName, { timeoutSeconds: f.timeoutSeconds }]]));
    const localAws = await startLocalAws({
      port: ports.aws,
      dataDir,
      kafka: { brokers: cluster.brokers },
      functions,
      invoke: (name, event, context) => host.invoke(name, event, context),
    });
    started.push(localAws);
    // Set once the port is known (0 = a free port in tests).
    process.env.AWS_ENDPOINT_URL = localAws.url;
    say(`local AWS endpoint: ${localAws.url}`);

    const gateway: Gateway = await startGateway({ port: ports.api, functions: config.functions, host });
    started.push(gateway);
    say(`HTTP API: ${gateway.url} (${gateway.routes.join(', ')})`);

    let demo: Stack['demo'];
    if (options.demo !== false && sink) {
      const settings: DemoSettings = {
        appId: DEMO.appId,
        topic: DEMO.topic,
        bucket: DEMO.bucket,
        streamName,
        sinkFunction: sink.functionName,
        windowSeconds: options.demoWindowSeconds ?? 5,
        batchSize: options.demoBatchSize ?? 500,
      };
      const { mappingUuid } = await ensureDemoPipeline({ root, config, brokers: cluster.brokers, demo: settings, say });
      await localAws.eventSourceMappings.settled();
      demo = { ...settings, mappingUuid };
    }

    return {
      api: gateway.url,
      aws: localAws.url,
      kafka: { brokers: cluster.brokers, bootstrap: cluster.bootstrap },
      dataDir,
      s3Dir: localAws.s3Dir,
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
