import type { CreateEventSourceMappingCommandInput, SourceAccessConfiguration } from '@aws-sdk/client-lambda';
import {
  intIn,
  InvalidSinkSettingsError,
  matches,
  sinkSettingsViolations,
  sinkSettingsRanges,
  type SinkSettings,
} from './sink-settings.ts';
import type { Violation } from '../lib/errors.ts';
import { shown } from '../lib/shown.ts';
import { topicNameProblem } from './topic-name.ts';
import { SECRET_ARN } from '../lib/ids.ts';

/**
 * How Lambda's pollers authenticate to the brokers. MSK: `none` (unauthenticated, the seed's
 * default setup), `iam` (the execution role), `sasl-scram-512`, `mtls`. Self-managed: `none`,
 * `sasl-scram-512`, `sasl-scram-256`, `sasl-plain` (BASIC_AUTH), `mtls`.
 */
export type MappingAuth =
  | { type: 'none' }
  | { type: 'iam' }
  | { type: 'sasl-scram-512'; secretArn: string }
  | { type: 'sasl-scram-256'; secretArn: string }
  | { type: 'sasl-plain'; secretArn: string }
  | { type: 'mtls'; secretArn: string };

export interface MskEventSource {
  kind: 'msk';
  clusterArn: string;
  auth?: MappingAuth;
}

export interface SelfManagedEventSource {
  kind: 'self-managed';
  bootstrapServers: string[];
  /** Subnets and security groups through which Lambda's pollers reach the brokers (the solution's VPC). */
  subnetIds: string[];
  securityGroupIds: string[];
  auth?: MappingAuth;
  /** Secret holding the root CA of brokers whose TLS certificates a private CA signed. */
  rootCaSecretArn?: string;
}

export interface EventSourceMappingSettings {
  pipelineId: string;
  /** Name or ARN of the sink function. */
  functionName: string;
  topic: string;
  sink: SinkSettings;
  source: MskEventSource | SelfManagedEventSource;
  /**
   * ARN of an S3 bucket receiving batches that exhausted their retries. Default none: with an
   * on-failure destination Lambda caps infinite retries at 10, and a batch sent there is skipped
   * — acknowledged events would sit in S3 outside the pipeline's prefix (docs/decisions.md D15).
   */
  onFailureDestinationArn?: string;
  /** -1 (infinite: the partition waits until delivery succeeds) to 10,000. Default -1. */
  maximumRetryAttempts?: number;
  /** -1 (infinite) or 60–604,800 seconds. Default -1. */
  maximumRecordAgeInSeconds?: number;
  /** Default true: a failing batch is split in two to isolate a bad record. */
  bisectBatchOnFunctionError?: boolean;
  /** Provisioned mode pollers: minimum 1–200 (default 1), maximum 1–2,000 (default 10). */
  pollers?: { minimum?: number; maximum?: number };
  /** Prefix of the per-pipeline consumer group id. Default 'clickstream-sink-'. */
  consumerGroupPrefix?: string;
}

const DEFAULTS = {
  maximumRetryAttempts: -1,
  maximumRecordAgeInSeconds: -1,
  bisectBatchOnFunctionError: true,
  minimumPollers: 1,
  maximumPollers: 10,
  consumerGroupPrefix: 'clickstream-sink-',
} as const;

const CONSUMER_GROUP = /^[a-zA-Z0-9\-/*:_+=.@]{1,200}$/;
const BROKER =
  /^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9]):[0-9]{1,5}$/;
const MSK_CLUSTER_ARN = /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[^/]+\/[^/]+$/;
const S3_BUCKET_ARN = /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SUBNET = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP = /^sg-[0-9a-f]{8,17}$/;

/** The consumer group of a pipeline's mapping: one per pipeline, so pipelines never share offsets. */
export function consumerGroupId(pipelineId: string, prefix: string = DEFAULTS.consumerGroupPrefix): string {
  return `${prefix}${pipelineId}`;
}

function authAccess(
  auth: MappingAuth,
  kind: 'msk' | 'self-managed',
  problems: Violation[],
): SourceAccessConfiguration[] {
  const path = 'source.auth';
  switch (auth.type) {
    case 'none':
      return [];
    case 'iam':
      // MSK IAM needs no access configuration: the pollers sign with the execution role.
      if (kind !== 'msk') problems.push({ path, message: "type 'iam' is only available for Amazon MSK" });
      return [];
    case 'sasl-scram-512':
      matches(problems, `${path}.secretArn`, auth.secretArn, SECRET_ARN, 'a Secrets Manager secret ARN');
      return [{ Type: 'SASL_SCRAM_512_AUTH', URI: auth.secretArn }];
    case 'sasl-scram-256':
      if (kind === 'msk')
        problems.push({
          path,
          message: "type 'sasl-scram-256' is not supported by Amazon MSK (SCRAM-SHA-512 only)",
        });
      matches(problems, `${path}.secretArn`, auth.secretArn, SECRET_ARN, 'a Secrets Manager secret ARN');
      return [{ Type: 'SASL_SCRAM_256_AUTH', URI: auth.secretArn }];
    case 'sasl-plain':
      if (kind === 'msk')
        problems.push({ path, message: "type 'sasl-plain' is only available for self-managed Kafka" });
      matches(problems, `${path}.secretArn`, auth.secretArn, SECRET_ARN, 'a Secrets Manager secret ARN');
      return [{ Type: 'BASIC_AUTH', URI: auth.secretArn }];
    case 'mtls':
      matches(problems, `${path}.secretArn`, auth.secretArn, SECRET_ARN, 'a Secrets Manager secret ARN');
      return [{ Type: 'CLIENT_CERTIFICATE_TLS_AUTH', URI: auth.secretArn }];
    default:
      problems.push({
        path,
        message: `type must be one of none, iam, sasl-scram-512, sasl-scram-256, sasl-plain, mtls; got ${shown((auth as { type?: unknown }).type)}`,
      });
      return [];
  }
}

/**
 * Turns a pipeline's settings into the CreateEventSourceMapping request of its `lambda` sink.
 *
 * - BatchSize = batch size, MaximumBatchingWindowInSeconds = sink maximum interval.
 * - TRIM_HORIZON: a new pipeline delivers what its topic already holds.
 * - One consumer group per pipeline (MSK / self-managed event source config).
 * - ReportBatchItemFailures: the sink returns the first undelivered offset per partition.
 * - MaximumRetryAttempts -1 and no on-failure destination by default: a batch the sink cannot
 *   deliver (Firehose down, its stream missing) holds its partition until it can, instead of
 *   being skipped after 10 tries (D15); undeliverable records are the sink's own dead letters.
 * - MaximumRetryAttempts, BisectBatchOnFunctionError, an on-failure destination: these error
 *   handling controls are available for Kafka mappings in provisioned mode only, hence
 *   ProvisionedPollerConfig (https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html).
 *
 * Pure: validates everything first and throws InvalidSinkSettingsError listing every bad field.
 */
export function buildEventSourceMapping(settings: EventSourceMappingSettings): CreateEventSourceMappingCommandInput {
  const problems: Violation[] = [];
  const groupPrefix = settings.consumerGroupPrefix ?? DEFAULTS.consumerGroupPrefix;
  const groupId = consumerGroupId(String(settings.pipelineId ?? ''), groupPrefix);
  if (typeof settings.pipelineId !== 'string' || settings.pipelineId === '')
    problems.push({ path: 'pipelineId', message: 'must be a non-empty string' });
  else
    matches(
      problems,
      'pipelineId',
      groupId,
      CONSUMER_GROUP,
      'usable in a consumer group id (letters, digits, - / * : _ + = . @; at most 200 with the prefix)',
    );
  if (typeof settings.functionName !== 'string' || settings.functionName === '')
    problems.push({ path: 'functionName', message: 'must be a non-empty string' });
  const topicProblem = typeof settings.topic === 'string' ? topicNameProblem(settings.topic) : 'must be a topic name';
  if (topicProblem)
    problems.push({
      path: 'topic',
      message: `${topicProblem}; got ${JSON.stringify(settings.topic) ?? String(settings.topic)}`,
    });
  problems.push(...sinkSettingsViolations(settings.sink));
  if (settings.onFailureDestinationArn !== undefined) {
    matches(
      problems,
      'onFailureDestinationArn',
      settings.onFailureDestinationArn,
      S3_BUCKET_ARN,
      'an S3 bucket ARN (arn:aws:s3:::bucket)',
    );
  }

  const retries = settings.maximumRetryAttempts ?? DEFAULTS.maximumRetryAttempts;
  intIn(problems, 'maximumRetryAttempts', retries, sinkSettingsRanges.maximumRetryAttempts);
  const maxAge = settings.maximumRecordAgeInSeconds ?? DEFAULTS.maximumRecordAgeInSeconds;
  intIn(problems, 'maximumRecordAgeInSeconds', maxAge, sinkSettingsRanges.maximumRecordAgeInSeconds, -1);
  const bisect = settings.bisectBatchOnFunctionError ?? DEFAULTS.bisectBatchOnFunctionError;
  if (typeof bisect !== 'boolean')
    problems.push({ path: 'bisectBatchOnFunctionError', message: 'must be true or false' });
  const minPollers = settings.pollers?.minimum ?? DEFAULTS.minimumPollers;
  const maxPollers =
    settings.pollers?.maximum ?? Math.max(DEFAULTS.maximumPollers, typeof minPollers === 'number' ? minPollers : 0);
  intIn(problems, 'pollers.minimum', minPollers, sinkSettingsRanges.minimumPollers);
  intIn(problems, 'pollers.maximum', maxPollers, sinkSettingsRanges.maximumPollers);
  if (typeof minPollers === 'number' && typeof maxPollers === 'number' && minPollers > maxPollers) {
    problems.push({
      path: 'pollers',
      message: `minimum (${minPollers}) must not exceed maximum (${maxPollers})`,
    });
  }

  const common: CreateEventSourceMappingCommandInput = {
    FunctionName: settings.functionName,
    Enabled: true,
    Topics: [settings.topic],
    StartingPosition: 'TRIM_HORIZON',
    BatchSize: settings.sink?.batchSize,
    MaximumBatchingWindowInSeconds: settings.sink?.maxIntervalSeconds,
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    MaximumRetryAttempts: retries,
    MaximumRecordAgeInSeconds: maxAge,
    BisectBatchOnFunctionError: bisect,
    ...(settings.onFailureDestinationArn !== undefined
      ? { DestinationConfig: { OnFailure: { Destination: settings.onFailureDestinationArn } } }
      : {}),
    ProvisionedPollerConfig: { MinimumPollers: minPollers, MaximumPollers: maxPollers },
  };

  const source = settings.source;
  let specific: Partial<CreateEventSourceMappingCommandInput>;
  if (source?.kind === 'msk') {
    matches(
      problems,
      'source.clusterArn',
      source.clusterArn,
      MSK_CLUSTER_ARN,
      'an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)',
    );
    const access = authAccess(source.auth ?? { type: 'none' }, 'msk', problems);
    specific = {
      EventSourceArn: source.clusterArn,
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: groupId },
      ...(access.length > 0 ? { SourceAccessConfigurations: access } : {}),
    };
  } else if (source?.kind === 'self-managed') {
    const servers = source.bootstrapServers;
    if (!Array.isArray(servers) || servers.length < 1 || servers.length > 10) {
      problems.push({
        path: 'source.bootstrapServers',
        message: `must list between 1 and 10 host:port entries; got ${Array.isArray(servers) ? servers.length : shown(servers)}`,
      });
    } else {
      servers.forEach((s, i) => matches(problems, `source.bootstrapServers[${i}]`, s, BROKER, 'host:port'));
    }
    const subnets = Array.isArray(source.subnetIds) ? source.subnetIds : [];
    const groups = Array.isArray(source.securityGroupIds) ? source.securityGroupIds : [];
    if (subnets.length === 0)
      problems.push({
        path: 'source.subnetIds',
        message: 'must list at least one subnet of the solution VPC',
      });
    if (groups.length === 0)
      problems.push({
        path: 'source.securityGroupIds',
        message: 'must list at least one security group allowed to reach the brokers',
      });
    subnets.forEach((s, i) => matches(problems, `source.subnetIds[${i}]`, s, SUBNET, 'a subnet id (subnet-…)'));
    groups.forEach((g, i) =>
      matches(problems, `source.securityGroupIds[${i}]`, g, SECURITY_GROUP, 'a security group id (sg-…)'),
    );
    const access: SourceAccessConfiguration[] = [
      ...subnets.map((id) => ({ Type: 'VPC_SUBNET' as const, URI: `subnet:${id}` })),
      ...groups.map((id) => ({ Type: 'VPC_SECURITY_GROUP' as const, URI: `security_group:${id}` })),
      ...authAccess(source.auth ?? { type: 'none' }, 'self-managed', problems),
    ];
    if (source.rootCaSecretArn !== undefined) {
      matches(problems, 'source.rootCaSecretArn', source.rootCaSecretArn, SECRET_ARN, 'a Secrets Manager secret ARN');
      access.push({ Type: 'SERVER_ROOT_CA_CERTIFICATE', URI: source.rootCaSecretArn });
    }
    specific = {
      SelfManagedEventSource: {
        Endpoints: { KAFKA_BOOTSTRAP_SERVERS: Array.isArray(servers) ? [...servers] : [] },
      },
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: groupId },
      SourceAccessConfigurations: access,
    };
  } else {
    problems.push({
      path: 'source.kind',
      message: `must be 'msk' or 'self-managed'; got ${shown((source as { kind?: unknown } | undefined)?.kind)}`,
    });
    specific = {};
  }

  if (problems.length > 0) throw new InvalidSinkSettingsError(problems);
  return { ...common, ...specific };
}
