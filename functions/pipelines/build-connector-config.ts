import type { CreateConnectorRequest } from '@aws-sdk/client-kafkaconnect';
import { InvalidSinkSettingsError, sinkSettingsViolations } from './sink-settings.ts';
import type { KafkaAuth } from '../lib/kafka/config.ts';
import type { Violation } from '../lib/errors.ts';
import { shown } from '../lib/shown.ts';
import { topicNameProblem } from './topic-name.ts';

/**
 * Everything the `connector` sink of a pipeline is made of: the Confluent S3 sink connector's
 * configuration and the MSK Connect CreateConnector request around it.
 */
export interface ConnectorSettings {
  pipelineId: string;
  topic: string;
  /** Partitions of the topic: more connector tasks than partitions would sit idle. */
  partitions: number;
  bootstrapServers: string[];
  auth: KafkaAuth;
  sink: {
    bucket: string;
    /** Key prefix, e.g. `events/` (the connector's topics.dir, without the trailing slash). */
    prefix: string;
    region: string;
    /** Seconds records may wait before delivery (seed "sink maximum interval"). */
    maxIntervalSeconds: number;
    /** Maximum records per delivered object (seed "batch size"). */
    batchSize: number;
  };
  capacity: { mcuCount: number; minWorkers: number; maxWorkers: number };
  kafkaConnectVersion: string;
  network: { subnetIds: string[]; securityGroupIds: string[] };
  plugin: { arn: string; revision: number };
  serviceExecutionRoleArn: string;
  /** CloudWatch Logs group of the workers' logs. */
  logGroup: string;
}

export const CONNECTOR_CLASS = 'io.confluent.connect.s3.S3SinkConnector';
/** Hive-style partitions (`year=2024/month=05/...`), so Athena/Glue see them as columns. */
export const HIVE_PATH_FORMAT = "'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH";
const HOUR_MS = 3_600_000;
export const MCU_COUNTS = [1, 2, 4, 8] as const;
export const WORKER_RANGE = { min: 1, max: 10 } as const;

/** The connector name of a pipeline (unique per pipeline, so a retried create finds its own). */
export function connectorName(pipelineId: string): string {
  return `clickstream-${pipelineId}`;
}

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SUBNET = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP = /^sg-[0-9a-f]{8,17}$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;
const PLUGIN_ARN = /^arn:aws[a-z-]*:kafkaconnect:[a-z0-9-]+:\d{12}:custom-plugin\/.+$/;
const CONNECTOR_NAME = /^[a-zA-Z0-9-]{1,128}$/;

function problemsOf(s: ConnectorSettings): Violation[] {
  const problems: Violation[] = [
    ...sinkSettingsViolations({ batchSize: s.sink?.batchSize, maxIntervalSeconds: s.sink?.maxIntervalSeconds }, 'sink'),
  ];
  const bad = (path: string, message: string) => problems.push({ path, message });
  if (!CONNECTOR_NAME.test(connectorName(String(s.pipelineId ?? ''))))
    bad('pipelineId', 'must make a connector name of letters, digits and - (at most 128 characters)');
  const topicProblem = typeof s.topic === 'string' ? topicNameProblem(s.topic) : 'must be a topic name';
  if (topicProblem) bad('topic', `${topicProblem}; got ${shown(s.topic)}`);
  if (!Number.isInteger(s.partitions) || s.partitions < 1)
    bad('partitions', `must be a positive integer; got ${shown(s.partitions)}`);
  if (!Array.isArray(s.bootstrapServers) || s.bootstrapServers.length === 0)
    bad('bootstrapServers', 'must list at least one host:port');
  if (s.auth !== 'none' && s.auth !== 'tls' && s.auth !== 'iam') {
    bad('auth', `MSK Connect supports no authentication (none, tls) or IAM; got ${shown(s.auth)}`);
  }
  if (typeof s.sink?.bucket !== 'string' || !BUCKET.test(s.sink.bucket))
    bad('sink.bucket', `must be an S3 bucket name; got ${shown(s.sink?.bucket)}`);
  if (typeof s.sink?.region !== 'string' || s.sink.region === '') bad('sink.region', "must be the bucket's AWS region");
  if (typeof s.sink?.prefix !== 'string' || s.sink.prefix.startsWith('/'))
    bad('sink.prefix', 'must be a key prefix not starting with /');
  if (!(MCU_COUNTS as readonly number[]).includes(s.capacity?.mcuCount))
    bad('capacity.mcuCount', `must be one of ${MCU_COUNTS.join(', ')}; got ${shown(s.capacity?.mcuCount)}`);
  for (const key of ['minWorkers', 'maxWorkers'] as const) {
    const v = s.capacity?.[key];
    if (!Number.isInteger(v) || v < WORKER_RANGE.min || v > WORKER_RANGE.max)
      bad(`capacity.${key}`, `must be an integer between ${WORKER_RANGE.min} and ${WORKER_RANGE.max}; got ${shown(v)}`);
  }
  if (
    Number.isInteger(s.capacity?.minWorkers) &&
    Number.isInteger(s.capacity?.maxWorkers) &&
    s.capacity.minWorkers > s.capacity.maxWorkers
  ) {
    bad('capacity', `minWorkers (${s.capacity.minWorkers}) must not exceed maxWorkers (${s.capacity.maxWorkers})`);
  }
  if (typeof s.kafkaConnectVersion !== 'string' || s.kafkaConnectVersion === '')
    bad('kafkaConnectVersion', 'is required (e.g. 3.7.x)');
  const subnets = s.network?.subnetIds ?? [];
  const groups = s.network?.securityGroupIds ?? [];
  if (subnets.length === 0) bad('network.subnetIds', 'must list at least one subnet of the solution VPC');
  subnets.forEach((id, i) => {
    if (!SUBNET.test(id)) bad(`network.subnetIds[${i}]`, `must be a subnet id; got ${shown(id)}`);
  });
  if (groups.length === 0)
    bad('network.securityGroupIds', 'must list at least one security group allowed to reach the brokers');
  groups.forEach((id, i) => {
    if (!SECURITY_GROUP.test(id))
      bad(`network.securityGroupIds[${i}]`, `must be a security group id; got ${shown(id)}`);
  });
  if (typeof s.plugin?.arn !== 'string' || !PLUGIN_ARN.test(s.plugin.arn))
    bad('plugin.arn', `must be a custom plugin ARN; got ${shown(s.plugin?.arn)}`);
  if (!Number.isInteger(s.plugin?.revision) || s.plugin.revision < 1)
    bad('plugin.revision', `must be a positive integer; got ${shown(s.plugin?.revision)}`);
  if (typeof s.serviceExecutionRoleArn !== 'string' || !ROLE_ARN.test(s.serviceExecutionRoleArn))
    bad('serviceExecutionRoleArn', `must be an IAM role ARN; got ${shown(s.serviceExecutionRoleArn)}`);
  if (typeof s.logGroup !== 'string' || s.logGroup === '')
    bad('logGroup', 'must name the CloudWatch Logs group of the workers');
  return problems;
}

/**
 * The S3 sink connector's configuration (all values are strings, as MSK Connect wants them).
 *
 * - flush.size = batch size: an object is written once it holds that many records.
 * - rotate.schedule.interval.ms = maximum interval × 1000 (wall clock, needs `timezone`): an open
 *   object is written at the latest that long after it was opened, even if no record follows.
 *   rotate.interval.ms (record time) is set to the same. A maximum interval of 0 becomes 1 s, the
 *   shortest rotation the connector can honour.
 * - TimeBasedPartitioner with Hive-style hourly paths under topics.dir/<topic>/, by the records'
 *   Kafka timestamps, in UTC.
 * - JSON lines, gzip: ByteArrayFormat writes each value's bytes (ingest's JSON) unchanged, one per
 *   line; keys as strings.
 */
export function buildConnectorConfiguration(s: ConnectorSettings): Record<string, string> {
  const problems = problemsOf(s);
  if (problems.length > 0) throw new InvalidSinkSettingsError(problems);
  const intervalMs = String(Math.max(1, s.sink.maxIntervalSeconds) * 1000);
  const topicsDir = s.sink.prefix.replace(/\/+$/, '') || 'events';
  return {
    'connector.class': CONNECTOR_CLASS,
    'tasks.max': String(Math.max(1, s.partitions)),
    topics: s.topic,
    's3.region': s.sink.region,
    's3.bucket.name': s.sink.bucket,
    'topics.dir': topicsDir,
    'flush.size': String(s.sink.batchSize),
    'rotate.schedule.interval.ms': intervalMs,
    'rotate.interval.ms': intervalMs,
    timezone: 'UTC',
    locale: 'en-US',
    'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
    // The record values are written as they are: ingest's JSON bytes reach S3 unchanged (JsonFormat
    // would parse and re-serialise them: big integers, -0, exponents, key order).
    'format.class': 'io.confluent.connect.s3.format.bytearray.ByteArrayFormat',
    'format.bytearray.extension': '.json',
    'format.bytearray.line.separator': '\n',
    's3.compression.type': 'gzip',
    'partitioner.class': 'io.confluent.connect.storage.partitioner.TimeBasedPartitioner',
    'path.format': HIVE_PATH_FORMAT,
    'partition.duration.ms': String(HOUR_MS),
    'timestamp.extractor': 'Record',
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.converters.ByteArrayConverter',
    'schema.compatibility': 'NONE',
    'behavior.on.null.values': 'ignore',
  };
}

/** The MSK Connect CreateConnector request of a pipeline's connector sink. Throws InvalidSinkSettingsError listing every bad field. */
export function buildCreateConnectorRequest(s: ConnectorSettings): CreateConnectorRequest {
  const connectorConfiguration = buildConnectorConfiguration(s);
  return {
    connectorName: connectorName(s.pipelineId),
    connectorDescription: `clickstream pipeline ${s.pipelineId}: topic ${s.topic} -> s3://${s.sink.bucket}/${connectorConfiguration['topics.dir']}/`,
    kafkaConnectVersion: s.kafkaConnectVersion,
    capacity: {
      autoScaling: {
        mcuCount: s.capacity.mcuCount,
        minWorkerCount: s.capacity.minWorkers,
        maxWorkerCount: s.capacity.maxWorkers,
      },
    },
    connectorConfiguration,
    kafkaCluster: {
      apacheKafkaCluster: {
        bootstrapServers: s.bootstrapServers.join(','),
        vpc: { subnets: [...s.network.subnetIds], securityGroups: [...new Set(s.network.securityGroupIds)] },
      },
    },
    kafkaClusterClientAuthentication: { authenticationType: s.auth === 'iam' ? 'IAM' : 'NONE' },
    kafkaClusterEncryptionInTransit: { encryptionType: s.auth === 'none' ? 'PLAINTEXT' : 'TLS' },
    logDelivery: { workerLogDelivery: { cloudWatchLogs: { enabled: true, logGroup: s.logGroup } } },
    plugins: [{ customPlugin: { customPluginArn: s.plugin.arn, revision: s.plugin.revision } }],
    serviceExecutionRoleArn: s.serviceExecutionRoleArn,
  };
}
