/**
 * Event source mappings for Kafka sources (Amazon MSK and self-managed Kafka): request
 * validation, the stored record, and the API shape (`EventSourceMappingConfiguration`).
 *
 * Only Kafka sources are supported locally; SQS, Kinesis, DynamoDB, MQ and DocumentDB ARNs are
 * refused with InvalidParameterValueException. Settings the local poller does not act on are
 * validated, stored and returned (see docs/local-aws.md for which ones).
 */
import { randomUUID } from 'node:crypto';
import { AwsError, constraint, validationError } from '../errors.ts';

export type Json = Record<string, unknown>;
export type MappingState = 'Creating' | 'Enabling' | 'Enabled' | 'Disabling' | 'Disabled' | 'Updating' | 'Deleting';

export interface MappingRecord {
  UUID: string;
  EventSourceMappingArn: string;
  FunctionArn: string;
  EventSourceArn?: string;
  SelfManagedEventSource?: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: string[] } };
  Topics: string[];
  StartingPosition: 'TRIM_HORIZON' | 'LATEST';
  BatchSize: number;
  MaximumBatchingWindowInSeconds?: number;
  AmazonManagedKafkaEventSourceConfig?: { ConsumerGroupId?: string };
  SelfManagedKafkaEventSourceConfig?: { ConsumerGroupId?: string };
  SourceAccessConfigurations?: Array<{ Type?: string; URI?: string }>;
  FunctionResponseTypes?: string[];
  DestinationConfig?: { OnFailure?: { Destination?: string } };
  MaximumRetryAttempts?: number;
  BisectBatchOnFunctionError?: boolean;
  MaximumRecordAgeInSeconds?: number;
  ProvisionedPollerConfig?: { MinimumPollers?: number; MaximumPollers?: number };
  /** The desired state (`Enabled` in the API). */
  enabled: boolean;
  State: MappingState;
  StateTransitionReason: string;
  /** ms epoch */
  LastModified: number;
  LastProcessingResult: string;
}

/** Default batch size for Kafka sources. */
export const DEFAULT_BATCH_SIZE = 100;
/** Kafka sources wait this long for a batch when no window is set (Lambda's documented default). */
export const DEFAULT_WINDOW_MS = 500;

const FUNCTION_NAME =
  /^(?:arn:(?:aws[a-zA-Z-]*):lambda:)?(?:([a-z]{2}(?:-gov)?-[a-z]+-\d{1}):)?(?:(\d{12}):)?(?:function:)?([a-zA-Z0-9-_]+)(?::(\$LATEST|[a-zA-Z0-9-_]+))?$/;
const MSK_ARN = /^arn:aws[a-z-]*:kafka:[a-z0-9-]+:\d{12}:cluster\/[^/]+\/[^/]+$/;
const TOPIC = /^[^.]([a-zA-Z0-9\-_.]+)$/;
const GROUP_ID = /^[a-zA-Z0-9-/*:_+=.@-]*$/;
const BROKER = /^[^\s:]+:\d{1,5}$/;
const S3_BUCKET_ARN = /^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/;
const UNSUPPORTED_FIELDS = [
  'ParallelizationFactor',
  'TumblingWindowInSeconds',
  'Queues',
  'FilterCriteria',
  'KMSKeyArn',
  'ScalingConfig',
  'DocumentDBEventSourceConfig',
  'MetricsConfig',
  'StartingPositionTimestamp',
];

const invalidParameter = (message: string): AwsError => new AwsError('InvalidParameterValueException', message, 400);

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export interface FunctionRef {
  name: string;
  arn: string;
}

/** Resolves a function name, ARN or partial ARN (optionally qualified) to its name and ARN. */
export function resolveFunction(value: unknown, region: string, accountId: string, path = 'functionName'): FunctionRef {
  if (typeof value !== 'string') throw validationError([constraint(value, path, 'Member must not be null')]);
  const m = FUNCTION_NAME.exec(value);
  if (!m || value.length > 140) {
    throw validationError([
      constraint(
        value,
        path,
        'Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?',
      ),
    ]);
  }
  const [, fnRegion, fnAccount, name = '', qualifier] = m;
  const arn = `arn:aws:lambda:${fnRegion ?? region}:${fnAccount ?? accountId}:function:${name}${qualifier ? `:${qualifier}` : ''}`;
  return { name, arn };
}

function checkRange(problems: string[], value: unknown, path: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    problems.push(constraint(value, path, 'Member must be an integer'));
    return undefined;
  }
  if (value < min) problems.push(constraint(value, path, `Member must have value greater than or equal to ${min}`));
  if (value > max) problems.push(constraint(value, path, `Member must have value less than or equal to ${max}`));
  return value;
}

function consumerGroup(config: unknown, path: string, problems: string[]): { ConsumerGroupId?: string } | undefined {
  if (config === undefined) return undefined;
  if (!isObject(config)) {
    problems.push(constraint(config, path, 'Member must be a structure'));
    return undefined;
  }
  const id = config.ConsumerGroupId;
  if (id === undefined) return {};
  if (typeof id !== 'string' || id.length < 1 || id.length > 200 || !GROUP_ID.test(id)) {
    problems.push(
      constraint(
        id,
        `${path}.consumerGroupId`,
        'Member must satisfy regular expression pattern: [a-zA-Z0-9-\\/*:_+=.@-]*',
      ),
    );
    return undefined;
  }
  return { ConsumerGroupId: id };
}

/** Settings that both Create and Update accept; mutates `target`. */
function applyCommon(body: Json, target: Partial<MappingRecord>, problems: string[]): void {
  const batchSize = checkRange(problems, body.BatchSize, 'batchSize', 1, 10000);
  if (batchSize !== undefined) target.BatchSize = batchSize;
  const window = checkRange(problems, body.MaximumBatchingWindowInSeconds, 'maximumBatchingWindowInSeconds', 0, 300);
  if (window !== undefined) target.MaximumBatchingWindowInSeconds = window;
  const retries = checkRange(problems, body.MaximumRetryAttempts, 'maximumRetryAttempts', -1, 10000);
  if (retries !== undefined) target.MaximumRetryAttempts = retries;
  const age = checkRange(problems, body.MaximumRecordAgeInSeconds, 'maximumRecordAgeInSeconds', -1, 604800);
  if (age !== undefined) target.MaximumRecordAgeInSeconds = age;
  if (body.BisectBatchOnFunctionError !== undefined) {
    if (typeof body.BisectBatchOnFunctionError !== 'boolean')
      problems.push(
        constraint(body.BisectBatchOnFunctionError, 'bisectBatchOnFunctionError', 'Member must be a boolean'),
      );
    else target.BisectBatchOnFunctionError = body.BisectBatchOnFunctionError;
  }
  if (body.Enabled !== undefined) {
    if (typeof body.Enabled !== 'boolean')
      problems.push(constraint(body.Enabled, 'enabled', 'Member must be a boolean'));
    else target.enabled = body.Enabled;
  }
  if (body.FunctionResponseTypes !== undefined) {
    const types = body.FunctionResponseTypes;
    if (!Array.isArray(types) || types.length > 1 || types.some((t) => t !== 'ReportBatchItemFailures')) {
      problems.push(
        constraint(
          types,
          'functionResponseTypes',
          'Member must satisfy constraint: [Member must satisfy enum value set: [ReportBatchItemFailures]]',
        ),
      );
    } else target.FunctionResponseTypes = types as string[];
  }
  if (body.DestinationConfig !== undefined) {
    const destination = body.DestinationConfig;
    const onFailure =
      isObject(destination) && isObject(destination.OnFailure) ? destination.OnFailure.Destination : undefined;
    if (!isObject(destination))
      problems.push(constraint(destination, 'destinationConfig', 'Member must be a structure'));
    else if (onFailure === undefined || onFailure === '') target.DestinationConfig = { OnFailure: {} };
    else if (typeof onFailure !== 'string')
      problems.push(constraint(onFailure, 'destinationConfig.onFailure.destination', 'Member must be a string'));
    else if (!S3_BUCKET_ARN.test(onFailure)) {
      throw invalidParameter(
        `The on-failure destination '${onFailure}' is not supported by the local endpoint: use an S3 bucket ARN (arn:aws:s3:::bucket)`,
      );
    } else target.DestinationConfig = { OnFailure: { Destination: onFailure } };
  }
  if (body.SourceAccessConfigurations !== undefined) {
    const list = body.SourceAccessConfigurations;
    if (!Array.isArray(list) || list.length > 22 || list.some((c) => !isObject(c) || typeof c.Type !== 'string')) {
      problems.push(
        constraint(list, 'sourceAccessConfigurations', 'Member must be a list of {Type, URI} with at most 22 items'),
      );
    } else target.SourceAccessConfigurations = list as MappingRecord['SourceAccessConfigurations'];
  }
  if (body.ProvisionedPollerConfig !== undefined) {
    const poller = body.ProvisionedPollerConfig;
    if (!isObject(poller)) problems.push(constraint(poller, 'provisionedPollerConfig', 'Member must be a structure'));
    else {
      const min = checkRange(problems, poller.MinimumPollers, 'provisionedPollerConfig.minimumPollers', 1, 200);
      const max = checkRange(problems, poller.MaximumPollers, 'provisionedPollerConfig.maximumPollers', 1, 2000);
      if (min !== undefined && max !== undefined && min > max)
        throw invalidParameter('MinimumPollers must be less than or equal to MaximumPollers');
      target.ProvisionedPollerConfig = {
        ...(min !== undefined ? { MinimumPollers: min } : {}),
        ...(max !== undefined ? { MaximumPollers: max } : {}),
      };
    }
  }
}

function rejectUnsupported(body: Json): void {
  for (const field of UNSUPPORTED_FIELDS) {
    if (body[field] !== undefined)
      throw invalidParameter(`${field} is not supported for Kafka event sources by the local endpoint`);
  }
}

export interface CreateContext {
  region: string;
  accountId: string;
  now: number;
  /** Throws ResourceNotFoundException when the function is unknown (if the stack knows its functions). */
  checkFunction(ref: FunctionRef): void;
}

/** Validates a CreateEventSourceMapping body into a new record (state Creating). */
export function createMapping(body: Json, context: CreateContext): MappingRecord {
  rejectUnsupported(body);
  const fn = resolveFunction(body.FunctionName, context.region, context.accountId);
  const problems: string[] = [];
  const record: Partial<MappingRecord> = { enabled: true };

  const arn = body.EventSourceArn;
  const selfManaged = body.SelfManagedEventSource;
  if (arn !== undefined && selfManaged !== undefined)
    throw invalidParameter('Specify either EventSourceArn or SelfManagedEventSource, not both');
  if (arn === undefined && selfManaged === undefined)
    throw invalidParameter('Either EventSourceArn or SelfManagedEventSource must be specified');
  if (arn !== undefined) {
    if (typeof arn !== 'string') throw validationError([constraint(arn, 'eventSourceArn', 'Member must be a string')]);
    if (!MSK_ARN.test(arn)) {
      throw invalidParameter(
        `Unsupported event source '${arn}': the local endpoint maps Amazon MSK clusters (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>) and self-managed Kafka only`,
      );
    }
    record.EventSourceArn = arn;
    if (body.SelfManagedKafkaEventSourceConfig !== undefined)
      throw invalidParameter('SelfManagedKafkaEventSourceConfig is only valid with SelfManagedEventSource');
    const group = consumerGroup(
      body.AmazonManagedKafkaEventSourceConfig,
      'amazonManagedKafkaEventSourceConfig',
      problems,
    );
    if (group) record.AmazonManagedKafkaEventSourceConfig = group;
  } else {
    const endpoints =
      isObject(selfManaged) && isObject(selfManaged.Endpoints)
        ? selfManaged.Endpoints.KAFKA_BOOTSTRAP_SERVERS
        : undefined;
    if (
      !Array.isArray(endpoints) ||
      endpoints.length < 1 ||
      endpoints.length > 10 ||
      endpoints.some((e) => typeof e !== 'string' || !BROKER.test(e))
    ) {
      throw invalidParameter(
        'SelfManagedEventSource.Endpoints.KAFKA_BOOTSTRAP_SERVERS must list 1 to 10 host:port strings',
      );
    }
    record.SelfManagedEventSource = { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: endpoints as string[] } };
    if (body.AmazonManagedKafkaEventSourceConfig !== undefined)
      throw invalidParameter('AmazonManagedKafkaEventSourceConfig is only valid with an Amazon MSK EventSourceArn');
    const group = consumerGroup(body.SelfManagedKafkaEventSourceConfig, 'selfManagedKafkaEventSourceConfig', problems);
    if (group) record.SelfManagedKafkaEventSourceConfig = group;
  }

  const topics = body.Topics;
  if (!Array.isArray(topics) || topics.length !== 1) {
    throw invalidParameter('Topics must contain exactly one topic for a Kafka event source');
  }
  const topic = topics[0];
  if (typeof topic !== 'string' || topic.length > 249 || !TOPIC.test(topic)) {
    problems.push(
      constraint(topic, 'topics.1.member', 'Member must satisfy regular expression pattern: ^[^.]([a-zA-Z0-9\\-_.]+)'),
    );
  }
  record.Topics = [String(topic)];

  const position = body.StartingPosition;
  if (position === undefined) throw invalidParameter('StartingPosition is required for a Kafka event source');
  if (position === 'AT_TIMESTAMP')
    throw invalidParameter(
      'StartingPosition AT_TIMESTAMP is not supported by the local endpoint (TRIM_HORIZON or LATEST)',
    );
  if (position !== 'TRIM_HORIZON' && position !== 'LATEST') {
    problems.push(
      constraint(
        position,
        'startingPosition',
        'Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]',
      ),
    );
  } else record.StartingPosition = position;

  applyCommon(body, record, problems);
  if (problems.length) throw validationError(problems);
  context.checkFunction(fn);

  const uuid = randomUUID();
  return {
    ...(record as MappingRecord),
    UUID: uuid,
    EventSourceMappingArn: `arn:aws:lambda:${context.region}:${context.accountId}:event-source-mapping:${uuid}`,
    FunctionArn: fn.arn,
    BatchSize: record.BatchSize ?? DEFAULT_BATCH_SIZE,
    MaximumRetryAttempts: record.MaximumRetryAttempts ?? -1,
    State: 'Creating',
    StateTransitionReason: 'USER_INITIATED',
    LastModified: context.now,
    LastProcessingResult: 'No records processed',
  };
}

/** Validates an UpdateEventSourceMapping body and applies it to a copy of `current`. */
export function updateMapping(current: MappingRecord, body: Json, context: CreateContext): MappingRecord {
  rejectUnsupported(body);
  for (const field of ['Topics', 'StartingPosition', 'EventSourceArn', 'SelfManagedEventSource']) {
    if (body[field] !== undefined)
      throw invalidParameter(`${field} cannot be changed; delete the mapping and create a new one`);
  }
  const next: MappingRecord = structuredClone(current);
  const problems: string[] = [];
  if (body.FunctionName !== undefined) {
    const fn = resolveFunction(body.FunctionName, context.region, context.accountId);
    context.checkFunction(fn);
    next.FunctionArn = fn.arn;
  }
  applyCommon(body, next, problems);
  if (problems.length) throw validationError(problems);
  next.LastModified = context.now;
  next.StateTransitionReason = 'USER_INITIATED';
  return next;
}

/** The consumer group the poller uses: the configured id, else the mapping UUID (as Lambda does). */
export function consumerGroupId(record: MappingRecord): string {
  return (
    record.AmazonManagedKafkaEventSourceConfig?.ConsumerGroupId ??
    record.SelfManagedKafkaEventSourceConfig?.ConsumerGroupId ??
    record.UUID
  );
}

/** The function name part of the mapping's FunctionArn (what `invoke` receives). */
export function functionNameOf(record: MappingRecord): string {
  const parts = record.FunctionArn.split(':');
  return parts[6] ?? record.FunctionArn;
}

/** The API shape (EventSourceMappingConfiguration). */
export function describeMapping(record: MappingRecord): Json {
  const { enabled: _enabled, LastModified, ...rest } = record;
  const described: Json = { ...rest, LastModified: LastModified / 1000 };
  if (described.MaximumBatchingWindowInSeconds === undefined) described.MaximumBatchingWindowInSeconds = 0;
  if (record.EventSourceArn)
    described.AmazonManagedKafkaEventSourceConfig = { ConsumerGroupId: consumerGroupId(record) };
  else described.SelfManagedKafkaEventSourceConfig = { ConsumerGroupId: consumerGroupId(record) };
  return described;
}

/** Keys that identify "the same" mapping (function + source + topic), for ResourceConflictException. */
export function identity(record: MappingRecord): string {
  const source =
    record.EventSourceArn ??
    [...(record.SelfManagedEventSource?.Endpoints.KAFKA_BOOTSTRAP_SERVERS ?? [])].sort().join(',');
  return `${record.FunctionArn}|${source}|${record.Topics.join(',')}`;
}

export { S3_BUCKET_ARN };
