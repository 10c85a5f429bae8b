/**
 * Amazon Data Firehose, JSON 1.1 protocol (`X-Amz-Target: Firehose_20150804.<Operation>`):
 * CreateDeliveryStream, DescribeDeliveryStream, ListDeliveryStreams, DeleteDeliveryStream,
 * PutRecord, PutRecordBatch. Stream definitions persist in `<dataDir>/firehose/streams.json`,
 * buffers under `<dataDir>/firehose/buffers/`, objects in `<dataDir>/s3/<bucket>/<key>`.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import { AwsError, constraint, validationError } from '../errors.ts';
import { readJson, writeJson } from '../json-store.ts';
import type { AwsRequest, AwsResponse, ServiceModule } from '../server.ts';
import { dispatchJsonTarget, type JsonOperations } from '../json-target.ts';
import { DeliveryBuffer, type DeliveredObject } from './delivery.ts';
import { FaultInjector } from './faults.ts';
import { compileDestination, validateCreateRequest, type Json } from './stream-config.ts';
import { CONTENT_TYPE } from '../json-response.ts';

/** PutRecord/PutRecordBatch limits, as documented and enforced by the service. */
export const LIMITS = {
  maxRecordsPerBatch: 500,
  /** 1,000 KiB per record, before base64. */
  maxRecordBytes: 1_024_000,
  /** 4 MiB per PutRecordBatch request, before base64. */
  maxBatchBytes: 4 * 1024 * 1024,
} as const;

const TARGET_PREFIX = 'Firehose_20150804.';
const NAME = /^[a-zA-Z0-9_.-]+$/;

interface StoredStream {
  name: string;
  arn: string;
  type: 'DirectPut';
  createdAt: number;
  versionId: string;
  destination: Json;
  tags: Array<{ Key: string; Value?: string }>;
}

interface LiveStream {
  stored: StoredStream;
  buffer: DeliveryBuffer;
  /** Until this time (clock ms) the stream reports CREATING and refuses records. */
  activeAt: number;
}

export interface FirehoseOptions {
  dataDir: string;
  clock: Clock;
  /** How long a new stream stays CREATING (default 0: ACTIVE at once). */
  createDelayMs?: number;
  onDelivered?: (stream: string, object: DeliveredObject) => void;
}

export interface StreamStatus {
  name: string;
  status: string;
  buffered: { partitions: number; records: number; bytes: number };
  delivered: { records: number; objects: number; errorRecords: number };
}

function requireName(value: unknown, path = 'deliveryStreamName'): string {
  if (typeof value !== 'string') throw validationError([constraint(value, path, 'Member must not be null')]);
  if (value.length < 1 || value.length > 64 || !NAME.test(value)) {
    throw validationError([constraint(value, path, 'Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+')]);
  }
  return value;
}

function recordId(): string {
  // Firehose record ids are long opaque strings; 56 random bytes in hex is the same look.
  return randomBytes(56).toString('hex');
}

export class FirehoseService implements ServiceModule {
  readonly service = 'firehose';
  readonly protocol = 'json' as const;
  readonly faults = new FaultInjector();
  private readonly options: FirehoseOptions;
  private readonly streams = new Map<string, LiveStream>();
  private readonly storePath: string;

  constructor(options: FirehoseOptions) {
    this.options = options;
    this.storePath = join(options.dataDir, 'firehose', 'streams.json');
    for (const stored of readJson<StoredStream[]>(this.storePath, [])) {
      this.streams.set(stored.name, { stored, buffer: this.openBuffer(stored), activeAt: 0 });
    }
  }

  private openBuffer(stored: StoredStream): DeliveryBuffer {
    return new DeliveryBuffer({
      stream: stored.name,
      version: stored.versionId,
      destination: compileDestination(stored.destination),
      bufferDir: this.bufferDir(stored.name),
      s3Root: join(this.options.dataDir, 's3'),
      clock: this.options.clock,
      onDelivered: (object) => this.options.onDelivered?.(stored.name, object),
    });
  }

  private bufferDir(name: string): string {
    return join(this.options.dataDir, 'firehose', 'buffers', name);
  }

  private persist(): void {
    writeJson(
      this.storePath,
      [...this.streams.values()].map((s) => s.stored),
    );
  }

  private notFound(name: string, accountId: string): AwsError {
    return new AwsError('ResourceNotFoundException', `Firehose ${name} under account ${accountId} not found.`, 400);
  }

  private live(name: string, accountId: string): LiveStream {
    const stream = this.streams.get(name);
    if (!stream) throw this.notFound(name, accountId);
    return stream;
  }

  /** The operations this service provides, by X-Amz-Target operation name. */
  private readonly operations: JsonOperations = {
    CreateDeliveryStream: (body, request) => this.create(body, request),
    DescribeDeliveryStream: (body, request) => this.describe(body, request),
    ListDeliveryStreams: (body) => this.list(body),
    DeleteDeliveryStream: (body, request) => this.delete(body, request),
    PutRecord: (body, request) => this.putRecord(body, request),
    PutRecordBatch: (body, request) => this.putRecordBatch(body, request),
  };

  handle(request: AwsRequest): Promise<AwsResponse> {
    return dispatchJsonTarget(request, {
      targetPrefix: TARGET_PREFIX,
      label: 'Firehose',
      contentType: CONTENT_TYPE.json11,
      operations: this.operations,
    });
  }

  private create(body: Json, request: AwsRequest): Json {
    const input = validateCreateRequest(body);
    if (this.streams.has(input.name)) {
      throw new AwsError(
        'ResourceInUseException',
        `Firehose ${input.name} under accountId ${request.accountId} already exists`,
        400,
      );
    }
    const stored: StoredStream = {
      name: input.name,
      arn: `arn:aws:firehose:${request.region}:${request.accountId}:deliverystream/${input.name}`,
      type: input.type,
      createdAt: this.options.clock.now(),
      versionId: '1',
      destination: input.destination,
      tags: input.tags,
    };
    rmSync(this.bufferDir(input.name), { recursive: true, force: true });
    // The destination bucket exists in AWS before the stream does (the stack creates it).
    mkdirSync(join(this.options.dataDir, 's3', compileDestination(input.destination).bucket), {
      recursive: true,
    });
    this.streams.set(input.name, {
      stored,
      buffer: this.openBuffer(stored),
      activeAt: this.options.clock.now() + (this.options.createDelayMs ?? 0),
    });
    this.persist();
    return { DeliveryStreamARN: stored.arn };
  }

  private status(stream: LiveStream): 'CREATING' | 'ACTIVE' {
    return this.options.clock.now() < stream.activeAt ? 'CREATING' : 'ACTIVE';
  }

  private describe(body: Json, request: AwsRequest): Json {
    const name = requireName(body.DeliveryStreamName);
    const stream = this.live(name, request.accountId);
    const { stored } = stream;
    const d = stored.destination;
    const pick = (keys: string[]): Json =>
      Object.fromEntries(keys.filter((k) => d[k] !== undefined).map((k) => [k, d[k]]));
    return {
      DeliveryStreamDescription: {
        DeliveryStreamName: stored.name,
        DeliveryStreamARN: stored.arn,
        DeliveryStreamStatus: this.status(stream),
        DeliveryStreamEncryptionConfiguration: { Status: 'DISABLED' },
        DeliveryStreamType: stored.type,
        VersionId: stored.versionId,
        CreateTimestamp: stored.createdAt / 1000,
        Destinations: [
          {
            DestinationId: 'destinationId-000000000001',
            S3DestinationDescription: pick([
              'RoleARN',
              'BucketARN',
              'Prefix',
              'ErrorOutputPrefix',
              'BufferingHints',
              'CompressionFormat',
              'EncryptionConfiguration',
              'CloudWatchLoggingOptions',
            ]),
            ExtendedS3DestinationDescription: { ...d, S3BackupMode: d.S3BackupMode ?? 'Disabled' },
          },
        ],
        HasMoreDestinations: false,
      },
    };
  }

  private list(body: Json): Json {
    const limit = body.Limit ?? 10;
    if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > 10000) {
      throw validationError([constraint(limit, 'limit', 'Member must have value between 1 and 10000')]);
    }
    const type = body.DeliveryStreamType;
    const start =
      typeof body.ExclusiveStartDeliveryStreamName === 'string' ? body.ExclusiveStartDeliveryStreamName : undefined;
    const names = [...this.streams.values()]
      .filter((s) => type === undefined || s.stored.type === type)
      .map((s) => s.stored.name)
      .sort()
      .filter((n) => start === undefined || n > start);
    return { DeliveryStreamNames: names.slice(0, limit), HasMoreDeliveryStreams: names.length > limit };
  }

  private delete(body: Json, request: AwsRequest): Json {
    const name = requireName(body.DeliveryStreamName);
    const stream = this.live(name, request.accountId);
    // The local endpoint delivers what is buffered instead of dropping it.
    stream.buffer.close();
    this.streams.delete(name);
    rmSync(this.bufferDir(name), { recursive: true, force: true });
    this.persist();
    return {};
  }

  private activeStream(name: string, accountId: string): LiveStream {
    const stream = this.live(name, accountId);
    if (this.status(stream) !== 'ACTIVE') {
      throw new AwsError(
        'ResourceNotFoundException',
        `Firehose ${name} under account ${accountId} is not ACTIVE (CREATING).`,
        400,
      );
    }
    return stream;
  }

  private throttleCheck(): void {
    const code = this.faults.throttleCall();
    if (code === 'ServiceUnavailableException') throw new AwsError(code, 'Slow down.', 503);
    if (code === 'LimitExceededException')
      throw new AwsError(code, 'Rate exceeded for delivery stream (local fault injection).', 400);
  }

  private putRecord(body: Json, request: AwsRequest): Json {
    const name = requireName(body.DeliveryStreamName);
    const record = body.Record as Json | undefined;
    const data = record?.Data;
    if (typeof data !== 'string') throw validationError([constraint(data, 'record.data', 'Member must not be null')]);
    const bytes = Buffer.from(data, 'base64');
    if (bytes.length > LIMITS.maxRecordBytes) {
      throw validationError([
        `Value at 'record.data' failed to satisfy constraint: Member must have length less than or equal to ${LIMITS.maxRecordBytes}`,
      ]);
    }
    const stream = this.activeStream(name, request.accountId);
    this.throttleCheck();
    if (this.faults.failedEntries(1).size > 0) {
      // PutRecord has no per-entry status: a failed single put is a whole-call failure.
      throw new AwsError('ServiceUnavailableException', 'Slow down.', 503);
    }
    stream.buffer.accept([bytes]);
    return { RecordId: recordId(), Encrypted: false };
  }

  private putRecordBatch(body: Json, request: AwsRequest): Json {
    const name = requireName(body.DeliveryStreamName);
    const records = body.Records;
    if (!Array.isArray(records)) throw validationError([constraint(records, 'records', 'Member must not be null')]);
    if (records.length < 1)
      throw validationError([constraint('[]', 'records', 'Member must have length greater than or equal to 1')]);
    if (records.length > LIMITS.maxRecordsPerBatch) {
      throw validationError([
        `Value '[...${records.length} records]' at 'records' failed to satisfy constraint: Member must have length less than or equal to ${LIMITS.maxRecordsPerBatch}`,
      ]);
    }
    const problems: string[] = [];
    const decoded: Buffer[] = [];
    let total = 0;
    records.forEach((entry: unknown, i) => {
      const data = entry !== null && typeof entry === 'object' ? (entry as Json).Data : undefined;
      if (typeof data !== 'string') {
        problems.push(constraint(null, `records.${i + 1}.member.data`, 'Member must not be null'));
        decoded.push(Buffer.alloc(0));
        return;
      }
      const bytes = Buffer.from(data, 'base64');
      if (bytes.length > LIMITS.maxRecordBytes) {
        problems.push(
          `Value 'java.nio.HeapByteBuffer[pos=0 lim=${bytes.length} cap=${bytes.length}]' at 'records.${i + 1}.member.data' failed to satisfy constraint: Member must have length less than or equal to ${LIMITS.maxRecordBytes}`,
        );
      }
      total += bytes.length;
      decoded.push(bytes);
    });
    if (problems.length) throw validationError(problems);
    const stream = this.activeStream(name, request.accountId);
    if (total > LIMITS.maxBatchBytes)
      throw new AwsError('InvalidArgumentException', 'Records size exceeds 4 MB limit', 400);
    this.throttleCheck();

    const failed = this.faults.failedEntries(decoded.length);
    const accepted = decoded.filter((_, i) => !failed.has(i));
    if (accepted.length > 0) stream.buffer.accept(accepted);
    const code = this.faults.recordErrorCode;
    const message = code === 'ServiceUnavailableException' ? 'Slow down.' : 'Internal service failure.';
    return {
      FailedPutCount: failed.size,
      Encrypted: false,
      RequestResponses: decoded.map((_, i) =>
        failed.has(i) ? { ErrorCode: code, ErrorMessage: message } : { RecordId: recordId() },
      ),
    };
  }

  /** Delivers every buffered record now (all streams, or one). */
  flush(name?: string): void {
    for (const stream of this.streams.values()) {
      if (name === undefined || stream.stored.name === name) stream.buffer.flushAll();
    }
  }

  streamStatuses(): StreamStatus[] {
    return [...this.streams.values()].map((s) => ({
      name: s.stored.name,
      status: this.status(s),
      buffered: s.buffer.buffered,
      delivered: { ...s.buffer.stats },
    }));
  }

  /** Flushes every buffer (nothing acknowledged is left only in memory). */
  close(): void {
    for (const stream of this.streams.values()) stream.buffer.close();
  }
}
