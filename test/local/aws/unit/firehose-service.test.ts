import { join } from 'node:path';
import { AwsError } from '../../../../local/aws/errors.ts';
import { FirehoseService, LIMITS } from '../../../../local/aws/firehose/service.ts';
import { FakeClock } from './fake-clock.ts';
import { firehoseRequest, partitionedDestination, readObjects, tempDir } from './helpers.ts';

async function call(service: FirehoseService, operation: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await service.handle(firehoseRequest(operation, body));
  return JSON.parse(String(response.body)) as Record<string, unknown>;
}

async function failure(service: FirehoseService, operation: string, body: unknown): Promise<AwsError> {
  try {
    await service.handle(firehoseRequest(operation, body));
  } catch (error) {
    if (error instanceof AwsError) return error;
    throw error;
  }
  throw new Error(`${operation} succeeded`);
}

const data = (bytes: number): string => Buffer.alloc(bytes, 'a').toString('base64');

describe('Firehose service', () => {
  let dir: ReturnType<typeof tempDir>;
  let clock: FakeClock;
  let service: FirehoseService;

  beforeEach(async () => {
    dir = tempDir();
    clock = new FakeClock();
    service = new FirehoseService({ dataDir: dir.path, clock });
    await call(service, 'CreateDeliveryStream', {
      DeliveryStreamName: 'events',
      ExtendedS3DestinationConfiguration: partitionedDestination(),
    });
  });
  afterEach(() => {
    service.close();
    dir.remove();
  });

  it('describes a created stream with its destination, and lists it', async () => {
    const described = (await call(service, 'DescribeDeliveryStream', { DeliveryStreamName: 'events' }))
      .DeliveryStreamDescription as Record<string, unknown>;
    expect(described).toMatchObject({
      DeliveryStreamName: 'events',
      DeliveryStreamARN: 'arn:aws:firehose:us-east-1:000000000000:deliverystream/events',
      DeliveryStreamStatus: 'ACTIVE',
      DeliveryStreamType: 'DirectPut',
      VersionId: '1',
      HasMoreDestinations: false,
    });
    const [destination] = described.Destinations as Array<Record<string, Record<string, unknown>>>;
    expect(destination?.ExtendedS3DestinationDescription?.DynamicPartitioningConfiguration).toEqual({
      Enabled: true,
    });
    expect(destination?.S3DestinationDescription?.BucketARN).toBe('arn:aws:s3:::data-bucket');
    expect(await call(service, 'ListDeliveryStreams', {})).toEqual({
      DeliveryStreamNames: ['events'],
      HasMoreDeliveryStreams: false,
    });
  });

  it('refuses a second stream with the same name and unknown streams', async () => {
    expect(
      (
        await failure(service, 'CreateDeliveryStream', {
          DeliveryStreamName: 'events',
          ExtendedS3DestinationConfiguration: partitionedDestination(),
        })
      ).code,
    ).toBe('ResourceInUseException');
    const missing = await failure(service, 'PutRecord', {
      DeliveryStreamName: 'other',
      Record: { Data: data(1) },
    });
    expect(missing.code).toBe('ResourceNotFoundException');
    expect(missing.message).toBe('Firehose other under account 000000000000 not found.');
  });

  it('accepts exactly 500 records and refuses 501 with ValidationException', async () => {
    const ok = await call(service, 'PutRecordBatch', {
      DeliveryStreamName: 'events',
      Records: Array.from({ length: LIMITS.maxRecordsPerBatch }, () => ({ Data: data(10) })),
    });
    expect(ok.FailedPutCount).toBe(0);
    expect(ok.RequestResponses).toHaveLength(500);
    const e = await failure(service, 'PutRecordBatch', {
      DeliveryStreamName: 'events',
      Records: Array.from({ length: 501 }, () => ({ Data: data(10) })),
    });
    expect(e.code).toBe('ValidationException');
    expect(e.message).toMatch(
      /at 'records' failed to satisfy constraint: Member must have length less than or equal to 500/,
    );
    expect((await failure(service, 'PutRecordBatch', { DeliveryStreamName: 'events', Records: [] })).code).toBe(
      'ValidationException',
    );
  });

  it('accepts a 1,000 KiB record and refuses one byte more, naming the record', async () => {
    expect(
      (
        await call(service, 'PutRecord', {
          DeliveryStreamName: 'events',
          Record: { Data: data(LIMITS.maxRecordBytes) },
        })
      ).RecordId,
    ).toEqual(expect.any(String));
    const e = await failure(service, 'PutRecordBatch', {
      DeliveryStreamName: 'events',
      Records: [{ Data: data(1) }, { Data: data(LIMITS.maxRecordBytes + 1) }],
    });
    expect(e.code).toBe('ValidationException');
    expect(e.message).toContain(
      `'records.2.member.data' failed to satisfy constraint: Member must have length less than or equal to ${LIMITS.maxRecordBytes}`,
    );
    expect(
      (
        await failure(service, 'PutRecord', {
          DeliveryStreamName: 'events',
          Record: { Data: data(LIMITS.maxRecordBytes + 1) },
        })
      ).code,
    ).toBe('ValidationException');
  });

  it('accepts 4 MiB per batch and refuses more with InvalidArgumentException', async () => {
    // Four 1 MiB records would break the per-record limit: five records of 4 MiB / 5 fill the batch.
    const five = Array.from({ length: 5 }, () => ({ Data: data(Math.floor(LIMITS.maxBatchBytes / 5)) }));
    expect(
      (await call(service, 'PutRecordBatch', { DeliveryStreamName: 'events', Records: five })).FailedPutCount,
    ).toBe(0);
    const over = [...five, { Data: data(5) }];
    const e = await failure(service, 'PutRecordBatch', { DeliveryStreamName: 'events', Records: over });
    expect(e.code).toBe('InvalidArgumentException');
    expect(e.message).toBe('Records size exceeds 4 MB limit');
  });

  it('returns injected per-record failures and does not deliver those records', async () => {
    service.faults.setFailureRate(0.3, { seed: 42 });
    const records = Array.from({ length: 10 }, (_, i) => ({
      Data: Buffer.from(`${JSON.stringify({ app_id: 'a', ingest_time: clock.now(), i })}\n`).toString('base64'),
    }));
    const response = await call(service, 'PutRecordBatch', {
      DeliveryStreamName: 'events',
      Records: records,
    });
    const entries = response.RequestResponses as Array<{
      RecordId?: string;
      ErrorCode?: string;
      ErrorMessage?: string;
    }>;
    expect(response.FailedPutCount).toBe(3);
    const failedIndexes = entries.flatMap((e, i) => (e.ErrorCode ? [i] : []));
    expect(
      entries.filter((e) => e.ErrorCode === 'ServiceUnavailableException' && e.ErrorMessage === 'Slow down.'),
    ).toHaveLength(3);
    service.flush();
    const delivered = [...readObjects(join(dir.path, 's3'), 'data-bucket').values()]
      .join('')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { i: number }).i);
    expect(delivered).toEqual([...Array(10).keys()].filter((i) => !failedIndexes.includes(i)));
  });

  it('throttles whole calls with ServiceUnavailableException (503) or LimitExceededException', async () => {
    service.faults.setThrottle(1);
    const e = await failure(service, 'PutRecordBatch', {
      DeliveryStreamName: 'events',
      Records: [{ Data: data(1) }],
    });
    expect([e.code, e.status, e.message]).toEqual(['ServiceUnavailableException', 503, 'Slow down.']);
    service.faults.setThrottle(1, 'LimitExceededException');
    expect(
      (await failure(service, 'PutRecord', { DeliveryStreamName: 'events', Record: { Data: data(1) } })).code,
    ).toBe('LimitExceededException');
    expect(
      (await call(service, 'PutRecord', { DeliveryStreamName: 'events', Record: { Data: data(1) } })).Encrypted,
    ).toBe(false);
  });

  it('keeps streams and buffered records across a restart', async () => {
    await call(service, 'PutRecord', {
      DeliveryStreamName: 'events',
      Record: { Data: Buffer.from('{"app_id":"z","ingest_time":0}\n').toString('base64') },
    });
    const restarted = new FirehoseService({ dataDir: dir.path, clock });
    expect((await call(restarted, 'ListDeliveryStreams', {})).DeliveryStreamNames).toEqual(['events']);
    restarted.close();
    const objects = readObjects(join(dir.path, 's3'), 'data-bucket');
    expect([...objects.keys()]).toEqual([
      expect.stringMatching(/^events\/app_id=z\/year=1970\/month=01\/day=01\/hour=00\/events-1-/),
    ]);
  });

  it('delivers the buffer and forgets the stream on DeleteDeliveryStream', async () => {
    await call(service, 'PutRecord', {
      DeliveryStreamName: 'events',
      Record: { Data: Buffer.from('{"app_id":"d","ingest_time":0}\n').toString('base64') },
    });
    expect(await call(service, 'DeleteDeliveryStream', { DeliveryStreamName: 'events' })).toEqual({});
    expect(readObjects(join(dir.path, 's3'), 'data-bucket').size).toBe(1);
    expect((await failure(service, 'DescribeDeliveryStream', { DeliveryStreamName: 'events' })).code).toBe(
      'ResourceNotFoundException',
    );
  });

  it('answers unknown operations and malformed bodies with AWS error codes', async () => {
    expect((await failure(service, 'UpdateDestination', {})).code).toBe('UnknownOperationException');
    const request = firehoseRequest('PutRecord', {});
    request.body = Buffer.from('{not json');
    await expect(service.handle(request)).rejects.toMatchObject({ code: 'SerializationException' });
  });
});
