/**
 * CreateDeliveryStream validation and the compiled form of an S3 destination.
 *
 * The local endpoint supports DirectPut streams with an (Extended)S3 destination: buffering
 * hints, GZIP or no compression, custom prefixes, dynamic partitioning with a MetadataExtraction
 * (jq) query, RecordDeAggregation and AppendDelimiterToRecord processors. Anything else it
 * refuses with InvalidArgumentException rather than silently ignoring it.
 */
import { AwsError, constraint, validationError } from '../errors.ts';
import { compileJq, JqSyntaxError, type CompiledJq } from './jq.ts';
import {
  effectiveErrorPrefix,
  effectivePrefix,
  hasExpressions,
  parsePrefix,
  PrefixError,
  type PrefixPart,
} from './prefix.ts';

export type Json = Record<string, unknown>;

export interface CompiledDestination {
  bucket: string;
  prefix: PrefixPart[];
  errorPrefix: PrefixPart[];
  /** Flush when a partition's buffer reaches this many bytes (before compression). */
  sizeBytes: number;
  /** Flush when the oldest buffered record of a partition is this old. */
  intervalMs: number;
  compression: 'UNCOMPRESSED' | 'GZIP';
  extension: string;
  timeZone: string;
  dynamicPartitioning: boolean;
  query: CompiledJq | undefined;
  /** Keys the data prefix uses (validated against the query's result). */
  prefixKeys: string[];
  deaggregation: { kind: 'JSON' } | { kind: 'DELIMITED'; delimiter: Buffer } | undefined;
  /** Appended to each record before delivery (AppendDelimiterToRecord). */
  delimiter: Buffer | undefined;
}

const NAME = /^[a-zA-Z0-9_.-]+$/;
const BUCKET_ARN = /^arn:[a-z-]+:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/;
const ROLE_ARN = /^arn:[a-z-]+:iam::\d{12}:role\/.+$/;
const UNSUPPORTED_DESTINATIONS = [
  'RedshiftDestinationConfiguration',
  'ElasticsearchDestinationConfiguration',
  'AmazonopensearchserviceDestinationConfiguration',
  'SplunkDestinationConfiguration',
  'HttpEndpointDestinationConfiguration',
  'AmazonOpenSearchServerlessDestinationConfiguration',
  'SnowflakeDestinationConfiguration',
  'IcebergDestinationConfiguration',
];
const COMPRESSIONS = ['UNCOMPRESSED', 'GZIP', 'ZIP', 'Snappy', 'HADOOP_SNAPPY'];

const invalid = (message: string): AwsError => new AwsError('InvalidArgumentException', message, 400);

function isObject(value: unknown): value is Json {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export interface CreateRequest {
  name: string;
  type: 'DirectPut';
  /** The destination as stored and described (ExtendedS3 shape with defaults filled in). */
  destination: Json;
  tags: Array<{ Key: string; Value?: string }>;
}

/** Validates a CreateDeliveryStream body; throws AwsError as the service would. */
export function validateCreateRequest(body: Json): CreateRequest {
  const name = body.DeliveryStreamName;
  if (typeof name !== 'string')
    throw validationError([constraint(name, 'deliveryStreamName', 'Member must not be null')]);
  const problems: string[] = [];
  if (name.length < 1 || name.length > 64)
    problems.push(constraint(name, 'deliveryStreamName', 'Member must have length less than or equal to 64'));
  if (!NAME.test(name))
    problems.push(
      constraint(name, 'deliveryStreamName', 'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+'),
    );
  if (problems.length) throw validationError(problems);

  const type = body.DeliveryStreamType ?? 'DirectPut';
  if (type !== 'DirectPut') {
    if (type === 'KinesisStreamAsSource' || type === 'MSKAsSource' || type === 'DatabaseAsSource') {
      throw invalid(`DeliveryStreamType ${String(type)} is not supported by the local endpoint (DirectPut only)`);
    }
    throw validationError([
      constraint(
        type,
        'deliveryStreamType',
        'Member must satisfy enum value set: [DatabaseAsSource, DirectPut, KinesisStreamAsSource, MSKAsSource]',
      ),
    ]);
  }
  for (const key of UNSUPPORTED_DESTINATIONS) {
    if (body[key] !== undefined) throw invalid(`${key} is not supported by the local endpoint (S3 destinations only)`);
  }
  const extended = body.ExtendedS3DestinationConfiguration;
  const plain = body.S3DestinationConfiguration;
  if (extended !== undefined && plain !== undefined)
    throw invalid('Only one destination configuration can be specified');
  const raw = extended ?? plain;
  if (raw === undefined) throw invalid('A destination configuration must be specified');
  if (!isObject(raw)) throw new AwsError('SerializationException', 'Destination configuration must be an object', 400);
  const path = extended !== undefined ? 'extendedS3DestinationConfiguration' : 's3DestinationConfiguration';
  const destination = normalizeDestination(raw, path, extended !== undefined);
  compileDestination(destination); // semantic checks throw here, at creation, as in the service

  const tags = body.Tags;
  if (tags !== undefined && (!Array.isArray(tags) || tags.length > 50)) {
    throw validationError([constraint(tags, 'tags', 'Member must have length less than or equal to 50')]);
  }
  return { name, type: 'DirectPut', destination, tags: (tags as CreateRequest['tags'] | undefined) ?? [] };
}

/**
 * One BufferingHints member: an integer within AWS's range, else a constraint problem (collected,
 * as AWS reports them all at once) and the default kept.
 */
function bufferingHint(
  hints: Json,
  key: 'SizeInMBs' | 'IntervalInSeconds',
  [min, max]: [number, number],
  fallback: number,
  memberPath: string,
  problems: string[],
): number {
  const value = hints[key];
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  problems.push(constraint(value, memberPath, `Member must have value between ${min} and ${max}`));
  return fallback;
}

/** A required ARN member: null, or not matching `pattern` (shown to the caller as `shown`), is a problem. */
function arnProblem(value: unknown, memberPath: string, pattern: RegExp, shown: string, problems: string[]): void {
  if (typeof value !== 'string') problems.push(constraint(value, memberPath, 'Member must not be null'));
  else if (!pattern.test(value))
    problems.push(constraint(value, memberPath, `Member must satisfy regular expression pattern: ${shown}`));
}

function normalizeDestination(raw: Json, path: string, extended: boolean): Json {
  const problems: string[] = [];
  const role = raw.RoleARN;
  const bucketArn = raw.BucketARN;
  arnProblem(role, `${path}.roleARN`, ROLE_ARN, 'arn:.*:iam::\\d{12}:role/[a-zA-Z_0-9+=,.@\\-_/]+', problems);
  arnProblem(bucketArn, `${path}.bucketARN`, BUCKET_ARN, 'arn:.*:s3:::[a-z0-9.-]+', problems);
  for (const key of ['Prefix', 'ErrorOutputPrefix'] as const) {
    const value = raw[key];
    if (value !== undefined && (typeof value !== 'string' || value.length > 1024)) {
      problems.push(
        constraint(
          value,
          `${path}.${key === 'Prefix' ? 'prefix' : 'errorOutputPrefix'}`,
          'Member must have length less than or equal to 1024',
        ),
      );
    }
  }
  const dynamic =
    isObject(raw.DynamicPartitioningConfiguration) && raw.DynamicPartitioningConfiguration.Enabled === true;
  const hints = raw.BufferingHints;
  let size = dynamic ? 128 : 5;
  let interval = 300;
  if (hints !== undefined) {
    if (!isObject(hints)) problems.push(constraint(hints, `${path}.bufferingHints`, 'Member must be a structure'));
    else {
      size = bufferingHint(hints, 'SizeInMBs', [1, 128], size, `${path}.bufferingHints.sizeInMBs`, problems);
      interval = bufferingHint(
        hints,
        'IntervalInSeconds',
        [0, 900],
        interval,
        `${path}.bufferingHints.intervalInSeconds`,
        problems,
      );
    }
  }
  const compression = raw.CompressionFormat ?? 'UNCOMPRESSED';
  if (typeof compression !== 'string' || !COMPRESSIONS.includes(compression)) {
    problems.push(
      constraint(
        compression,
        `${path}.compressionFormat`,
        `Member must satisfy enum value set: [${COMPRESSIONS.join(', ')}]`,
      ),
    );
  }
  if (problems.length) throw validationError(problems);

  const normalized: Json = {
    ...raw,
    BufferingHints: { SizeInMBs: size, IntervalInSeconds: interval },
    CompressionFormat: compression,
    EncryptionConfiguration: raw.EncryptionConfiguration ?? { NoEncryptionConfig: 'NoEncryption' },
  };
  if (extended) normalized.S3BackupMode = raw.S3BackupMode ?? 'Disabled';
  return normalized;
}

function processorParameter(processor: Json, name: string): string | undefined {
  const parameters = Array.isArray(processor.Parameters) ? processor.Parameters : [];
  for (const parameter of parameters) {
    if (isObject(parameter) && parameter.ParameterName === name && typeof parameter.ParameterValue === 'string')
      return parameter.ParameterValue;
  }
  return undefined;
}

function decodeDelimiter(value: string, what: string): Buffer {
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length === 0 || bytes.toString('base64').replace(/=+$/, '') !== value.replace(/=+$/, '')) {
    throw invalid(`${what} Delimiter must be base64-encoded, got '${value}'`);
  }
  return bytes;
}

function parse(prefix: string | undefined, field: string): PrefixPart[] {
  try {
    return prefix ? parsePrefix(prefix) : [];
  } catch (error) {
    throw invalid(`${field} is invalid: ${error instanceof PrefixError ? error.message : String(error)}`);
  }
}

/** Compiles a normalized destination; throws InvalidArgumentException for unsupported or inconsistent settings. */
export function compileDestination(destination: Json): CompiledDestination {
  const bucket = BUCKET_ARN.exec(String(destination.BucketARN))?.[1];
  if (!bucket) throw invalid(`BucketARN '${String(destination.BucketARN)}' is not an S3 bucket ARN`);
  const hints = destination.BufferingHints as { SizeInMBs: number; IntervalInSeconds: number };
  const compression = destination.CompressionFormat as string;
  if (compression !== 'UNCOMPRESSED' && compression !== 'GZIP') {
    throw invalid(`CompressionFormat ${compression} is not supported by the local endpoint (UNCOMPRESSED, GZIP)`);
  }
  if (
    isObject(destination.DataFormatConversionConfiguration) &&
    destination.DataFormatConversionConfiguration.Enabled === true
  ) {
    throw invalid('DataFormatConversionConfiguration is not supported by the local endpoint');
  }
  if (destination.S3BackupMode === 'Enabled')
    throw invalid('S3BackupMode Enabled is not supported by the local endpoint');

  const timeZone =
    typeof destination.CustomTimeZone === 'string' && destination.CustomTimeZone !== ''
      ? destination.CustomTimeZone
      : 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
  } catch {
    throw invalid(`CustomTimeZone '${timeZone}' is not a valid time zone`);
  }
  const fileExtension = destination.FileExtension;
  if (
    fileExtension !== undefined &&
    (typeof fileExtension !== 'string' ||
      !/^$|^\.[0-9a-z!\-_.*'()]+$/.test(fileExtension) ||
      fileExtension.length > 128)
  ) {
    throw invalid(`FileExtension '${String(fileExtension)}' must start with '.' and contain only 0-9a-z!-_.*'()`);
  }
  const extension =
    typeof fileExtension === 'string' && fileExtension !== '' ? fileExtension : compression === 'GZIP' ? '.gz' : '';

  const dynamicPartitioning =
    isObject(destination.DynamicPartitioningConfiguration) &&
    destination.DynamicPartitioningConfiguration.Enabled === true;

  // Processors (only when processing is enabled).
  let query: CompiledJq | undefined;
  let deaggregation: CompiledDestination['deaggregation'];
  let delimiter: Buffer | undefined;
  const processing = destination.ProcessingConfiguration;
  if (isObject(processing) && processing.Enabled === true) {
    const processors = Array.isArray(processing.Processors) ? processing.Processors : [];
    for (const processor of processors) {
      if (!isObject(processor)) continue;
      switch (processor.Type) {
        case 'MetadataExtraction': {
          const source = processorParameter(processor, 'MetadataExtractionQuery');
          const engine = processorParameter(processor, 'JsonParsingEngine');
          if (source === undefined)
            throw invalid('MetadataExtraction processor requires the MetadataExtractionQuery parameter');
          if (engine !== 'JQ-1.6')
            throw invalid(`MetadataExtraction processor requires JsonParsingEngine JQ-1.6, got '${engine ?? ''}'`);
          try {
            query = compileJq(source);
          } catch (error) {
            if (error instanceof JqSyntaxError)
              throw invalid(`MetadataExtractionQuery '${source}' is not a valid jq query: ${error.message}`);
            throw error;
          }
          break;
        }
        case 'RecordDeAggregation': {
          const subRecordType = processorParameter(processor, 'SubRecordType');
          if (subRecordType === 'JSON') deaggregation = { kind: 'JSON' };
          else if (subRecordType === 'DELIMITED') {
            const value = processorParameter(processor, 'Delimiter');
            if (value === undefined)
              throw invalid('RecordDeAggregation with SubRecordType DELIMITED requires a Delimiter');
            deaggregation = { kind: 'DELIMITED', delimiter: decodeDelimiter(value, 'RecordDeAggregation') };
          } else
            throw invalid(`RecordDeAggregation SubRecordType must be JSON or DELIMITED, got '${subRecordType ?? ''}'`);
          break;
        }
        case 'AppendDelimiterToRecord': {
          const value = processorParameter(processor, 'Delimiter');
          delimiter = value === undefined ? Buffer.from('\n') : decodeDelimiter(value, 'AppendDelimiterToRecord');
          break;
        }
        default:
          throw invalid(
            `Processor type ${String(processor.Type)} is not supported by the local endpoint (MetadataExtraction, RecordDeAggregation, AppendDelimiterToRecord)`,
          );
      }
    }
  }

  const prefixText = typeof destination.Prefix === 'string' ? destination.Prefix : undefined;
  const errorText = typeof destination.ErrorOutputPrefix === 'string' ? destination.ErrorOutputPrefix : undefined;
  const prefixParts = parse(prefixText, 'Prefix');
  const errorParts = parse(errorText, 'ErrorOutputPrefix');

  if (prefixParts.some((p) => p.kind === 'firehose' && p.value === 'error-output-type')) {
    throw invalid('Prefix cannot contain !{firehose:error-output-type}; use it in ErrorOutputPrefix');
  }
  if (errorParts.some((p) => p.kind === 'partitionKeyFromQuery' || p.kind === 'partitionKeyFromLambda')) {
    throw invalid('ErrorOutputPrefix cannot contain partitionKeyFromQuery or partitionKeyFromLambda expressions');
  }
  if (hasExpressions(prefixParts) && !errorText) {
    throw invalid('ErrorOutputPrefix cannot be null or empty when Prefix contains expressions');
  }
  if (hasExpressions(errorParts) && !errorParts.some((p) => p.kind === 'firehose' && p.value === 'error-output-type')) {
    throw invalid('ErrorOutputPrefix must contain !{firehose:error-output-type} when it contains expressions');
  }
  if (prefixParts.some((p) => p.kind === 'partitionKeyFromLambda')) {
    throw invalid('partitionKeyFromLambda is not supported by the local endpoint (no Lambda processor)');
  }
  const prefixKeys = prefixParts.flatMap((p) => (p.kind === 'partitionKeyFromQuery' ? [p.key] : []));
  if (dynamicPartitioning) {
    if (prefixKeys.length === 0)
      throw invalid(
        'Prefix must contain at least one partitionKeyFromQuery expression when dynamic partitioning is enabled',
      );
    if (!query)
      throw invalid('Dynamic partitioning with partitionKeyFromQuery requires an enabled MetadataExtraction processor');
    if (!errorText) throw invalid('ErrorOutputPrefix is required when dynamic partitioning is enabled');
    if (hints.SizeInMBs < 64)
      throw invalid('BufferingHints.SizeInMBs must be at least 64 when dynamic partitioning is enabled');
  } else {
    if (prefixKeys.length > 0)
      throw invalid('Prefix contains partitionKeyFromQuery expressions but dynamic partitioning is not enabled');
    if (query) throw invalid('MetadataExtraction processor requires dynamic partitioning to be enabled');
  }

  return {
    bucket,
    prefix: effectivePrefix(prefixText),
    errorPrefix: effectiveErrorPrefix(errorText),
    sizeBytes: hints.SizeInMBs * 1024 * 1024,
    intervalMs: hints.IntervalInSeconds * 1000,
    compression,
    extension,
    timeZone,
    dynamicPartitioning,
    query,
    prefixKeys,
    deaggregation,
    delimiter,
  };
}
