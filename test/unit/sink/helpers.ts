/** Shared helpers of the sink tests: event builders, a fake clock, mocked AWS clients. */
import { FirehoseClient, PutRecordBatchCommand, type PutRecordBatchCommandInput } from '@aws-sdk/client-firehose';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type { DeliverDeps } from '../../../functions/sink/deliver.ts';
import type { KafkaEvent, KafkaEventRecord } from '../../../functions/sink/kafka-event.ts';
import { MemoryLog } from '../../helpers/silent-log.ts';

export const INGEST_TIME = 1_763_726_400_000; // 2025-11-21T12:00:00Z

/** An enriched event JSON of exactly `bytes` bytes (UTF-8), padded with a `pad` field. */
export function eventJson(bytes: number, id = 'e-1', appId = 'demo-app'): string {
  const base = {
    event_id: id,
    event_type: 'click',
    timestamp: INGEST_TIME - 5,
    app_id: appId,
    ingest_time: INGEST_TIME,
    pad: '',
  };
  const empty = Buffer.byteLength(JSON.stringify(base));
  if (bytes < empty) throw new RangeError(`an event needs at least ${empty} bytes`);
  const json = JSON.stringify({ ...base, pad: 'x'.repeat(bytes - empty) });
  if (Buffer.byteLength(json) !== bytes) throw new Error('eventJson size mismatch');
  return json;
}

export const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

export function record(
  topic: string,
  partition: number,
  offset: number,
  value: string | null,
  extra: Partial<KafkaEventRecord> = {},
): KafkaEventRecord {
  return {
    topic,
    partition,
    offset,
    timestamp: INGEST_TIME + offset,
    timestampType: 'CREATE_TIME',
    key: b64(`demo-app:u-${offset}`),
    value,
    headers: [{ app_id: [...Buffer.from('demo-app')] }],
    ...extra,
  };
}

/** `count` valid records per partition, each value an event of `bytes` bytes (the line is bytes+1). */
export function kafkaEvent(
  partitions: Record<string, KafkaEventRecord[]>,
  source: KafkaEvent['eventSource'] = 'aws:kafka',
): KafkaEvent {
  return {
    eventSource: source,
    ...(source === 'aws:kafka' ? { eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/c1/uuid-1' } : {}),
    bootstrapServers: 'b-1.example:9092,b-2.example:9092',
    records: partitions,
  };
}

export function validRecords(
  topic: string,
  partition: number,
  count: number,
  bytes = 200,
  firstOffset = 0,
): KafkaEventRecord[] {
  return Array.from({ length: count }, (_, i) =>
    record(topic, partition, firstOffset + i, b64(eventJson(bytes, `${topic}-${partition}-${firstOffset + i}`))),
  );
}

/** A clock the core's sleep and the fake Firehose advance; the deadline is `deadlineMs` after start. */
export class FakeClock {
  now = 0;
  readonly sleeps: number[] = [];
  readonly deadlineMs: number;
  constructor(deadlineMs = 60_000) {
    this.deadlineMs = deadlineMs;
  }
  remainingTimeMs = () => this.deadlineMs - this.now;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
    this.now += ms;
  };
}

export function setup(options: { deadlineMs?: number; random?: () => number } = {}) {
  const firehose = new FirehoseClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  });
  const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const firehoseMock = mockClient(firehose);
  const s3Mock = mockClient(s3);
  s3Mock.on(PutObjectCommand).resolves({});
  const clock = new FakeClock(options.deadlineMs ?? 60_000);
  const log = new MemoryLog();
  const deps: DeliverDeps = {
    firehose,
    s3,
    streamName: 'events-stream',
    deadLetterBucket: 'data-bucket',
    deadLetterPrefix: 'errors/sink/',
    remainingTimeMs: clock.remainingTimeMs,
    sleep: clock.sleep,
    random: options.random ?? (() => 0.5),
    now: () => INGEST_TIME + 60_000,
    log,
    safetyMarginMs: 1_000,
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 2_000,
    requestTimeoutMs: 5_000,
  };
  return { deps, firehoseMock, s3Mock, clock, log };
}

/** Firehose accepting every record (FailedPutCount 0), one RecordId per entry. */
export function acceptAll(input: PutRecordBatchCommandInput) {
  return {
    FailedPutCount: 0,
    RequestResponses: (input.Records ?? []).map((_, i) => ({ RecordId: `rid-${i}` })),
  };
}

/** Firehose rejecting the entries for which `reject(data)` is true, as ServiceUnavailableException. */
export function rejectWhere(reject: (data: Buffer, index: number) => boolean) {
  return (input: PutRecordBatchCommandInput) => {
    const responses = (input.Records ?? []).map((r, i) =>
      reject(Buffer.from(r.Data as Uint8Array), i)
        ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }
        : { RecordId: `rid-${i}` },
    );
    return { FailedPutCount: responses.filter((r) => 'ErrorCode' in r).length, RequestResponses: responses };
  };
}

/** The JSON lines of each PutRecordBatch call, parsed back to event ids. */
export function sentIds(firehoseMock: ReturnType<typeof mockClient>): string[][] {
  return firehoseMock
    .commandCalls(PutRecordBatchCommand)
    .map((c) =>
      ((c.args[0].input as PutRecordBatchCommandInput).Records ?? []).map(
        (r) => JSON.parse(Buffer.from(r.Data as Uint8Array).toString('utf8')).event_id as string,
      ),
    );
}

export function callSizes(firehoseMock: ReturnType<typeof mockClient>): { records: number; bytes: number }[] {
  return firehoseMock.commandCalls(PutRecordBatchCommand).map((c) => {
    const records = (c.args[0].input as PutRecordBatchCommandInput).Records ?? [];
    return { records: records.length, bytes: records.reduce((n, r) => n + (r.Data as Uint8Array).length, 0) };
  });
}

export const idOf = (data: Buffer) => JSON.parse(data.toString('utf8')).event_id as string;
