/**
 * The unchanged AWS SDK v3 clients and the AWS CLI (v1) against the local endpoint.
 */
import {
  CreateDeliveryStreamCommand,
  DeleteDeliveryStreamCommand,
  DescribeDeliveryStreamCommand,
  FirehoseClient,
  InvalidArgumentException,
  ListDeliveryStreamsCommand,
  PutRecordBatchCommand,
  PutRecordCommand,
  ResourceNotFoundException,
  ServiceUnavailableException,
} from '@aws-sdk/client-firehose';
import {
  CreateEventSourceMappingCommand,
  DeleteEventSourceMappingCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListEventSourceMappingsCommand,
  ResourceNotFoundException as LambdaResourceNotFound,
  UpdateEventSourceMappingCommand,
  type CreateEventSourceMappingCommandInput,
} from '@aws-sdk/client-lambda';
import { awsCli } from '../../helpers/aws-cli.ts';
import { useLocalAws } from '../../helpers/local-aws.ts';
import { mskMappingBody, partitionedDestination, readObjects } from '../unit/helpers.ts';

const MSK = 'arn:aws:kafka:us-east-1:123456789012:cluster/demo/6489e6da-ee91-1';

describe('local AWS endpoint with the AWS SDK v3 and the AWS CLI', () => {
  const local = useLocalAws({ invoke: async () => null });
  let firehose: FirehoseClient;
  let lambda: LambdaClient;

  const cli = (...args: string[]) => awsCli(local.aws.url, ['--output', 'json', ...args]);

  beforeAll(() => {
    firehose = local.client(FirehoseClient);
    lambda = local.client(LambdaClient);
  });

  it('creates, describes, lists, writes to and deletes a Firehose stream with the SDK', async () => {
    const created = await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'sdk-events',
        DeliveryStreamType: 'DirectPut',
        ExtendedS3DestinationConfiguration: partitionedDestination() as never,
      }),
    );
    expect(created.DeliveryStreamARN).toBe('arn:aws:firehose:us-east-1:000000000000:deliverystream/sdk-events');
    const described = await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'sdk-events' }));
    expect(described.DeliveryStreamDescription?.DeliveryStreamStatus).toBe('ACTIVE');
    expect(described.DeliveryStreamDescription?.CreateTimestamp).toBeInstanceOf(Date);
    expect(
      described.DeliveryStreamDescription?.Destinations?.[0]?.ExtendedS3DestinationDescription?.BufferingHints,
    ).toEqual({ SizeInMBs: 64, IntervalInSeconds: 60 });
    expect((await firehose.send(new ListDeliveryStreamsCommand({}))).DeliveryStreamNames).toContain('sdk-events');

    const event = { app_id: 'sdk-app', ingest_time: Date.UTC(2026, 4, 1, 13, 0, 0), event_id: 'e1' };
    const put = await firehose.send(
      new PutRecordCommand({
        DeliveryStreamName: 'sdk-events',
        Record: { Data: Buffer.from(`${JSON.stringify(event)}\n`) },
      }),
    );
    expect(put.RecordId).toEqual(expect.any(String));
    const batch = await firehose.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: 'sdk-events',
        Records: [{ Data: Buffer.from(`${JSON.stringify({ ...event, event_id: 'e2' })}\n`) }],
      }),
    );
    expect(batch.FailedPutCount).toBe(0);

    await firehose.send(new DeleteDeliveryStreamCommand({ DeliveryStreamName: 'sdk-events' }));
    const objects = readObjects(local.aws.s3Dir, 'data-bucket');
    const [key, content] = [...objects.entries()][0] ?? [];
    expect(key).toMatch(
      /^events\/app_id=sdk-app\/year=2026\/month=05\/day=01\/hour=13\/sdk-events-1-\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9a-f-]{36}\.gz$/,
    );
    expect(
      content
        ?.trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { event_id: string }).event_id),
    ).toEqual(['e1', 'e2']);
  });

  it('surfaces AWS errors as the SDK modelled exception classes', async () => {
    await expect(
      firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: 'missing' })),
    ).rejects.toBeInstanceOf(ResourceNotFoundException);
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'limits',
        ExtendedS3DestinationConfiguration: {
          RoleARN: 'arn:aws:iam::000000000000:role/r',
          BucketARN: 'arn:aws:s3:::limits-bucket',
        },
      }),
    );
    const big = Array.from({ length: 5 }, () => ({ Data: Buffer.alloc(900_000) }));
    await expect(
      firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'limits', Records: big })),
    ).rejects.toBeInstanceOf(InvalidArgumentException);
    const tooMany = Array.from({ length: 501 }, () => ({ Data: Buffer.from('x') }));
    await expect(
      firehose.send(new PutRecordBatchCommand({ DeliveryStreamName: 'limits', Records: tooMany })),
    ).rejects.toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    local.aws.firehose.setThrottle(1);
    await expect(
      firehose.send(new PutRecordCommand({ DeliveryStreamName: 'limits', Record: { Data: Buffer.from('x') } })),
    ).rejects.toBeInstanceOf(ServiceUnavailableException);
  });

  it('manages Kafka event source mappings with the SDK', async () => {
    const created = await lambda.send(
      new CreateEventSourceMappingCommand(
        mskMappingBody({
          EventSourceArn: MSK,
          AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'sdk-group' },
        }) as unknown as CreateEventSourceMappingCommandInput,
      ),
    );
    expect(created.State).toBe('Creating');
    expect(created.LastModified).toBeInstanceOf(Date);
    await local.aws.eventSourceMappings.settled();
    const uuid = created.UUID ?? '';
    const got = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
    expect(got).toMatchObject({
      State: 'Enabled',
      BatchSize: 500,
      Topics: ['clicks'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'sdk-group' },
    });
    // No brokers were given to this endpoint: the mapping says so, as Lambda reports connection problems.
    expect(got.LastProcessingResult).toMatch(/^PROBLEM: Connection error/);
    const updated = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, Enabled: false }));
    expect(updated.State).toBe('Disabling');
    await local.aws.eventSourceMappings.settled();
    const listed = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'sink' }));
    expect(listed.EventSourceMappings?.map((m) => [m.UUID, m.State])).toEqual([[uuid, 'Disabled']]);
    expect((await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }))).State).toBe('Deleting');
    await local.aws.eventSourceMappings.settled();
    await expect(lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }))).rejects.toBeInstanceOf(
      LambdaResourceNotFound,
    );
  });

  it('serves the AWS CLI: list-delivery-streams, put-record, mappings and error exit codes', async () => {
    // Each CLI call starts a Python interpreter (about 1 s here).
    await firehose.send(
      new CreateDeliveryStreamCommand({
        DeliveryStreamName: 'cli-events',
        ExtendedS3DestinationConfiguration: {
          RoleARN: 'arn:aws:iam::000000000000:role/r',
          BucketARN: 'arn:aws:s3:::cli-bucket',
          BufferingHints: { SizeInMBs: 1, IntervalInSeconds: 0 },
        },
      }),
    );
    // Independent calls run in parallel to keep the suite fast.
    const [listed, put, mappings, missing] = await Promise.all([
      cli('firehose', 'list-delivery-streams'),
      // CLI v1 base64-encodes blob arguments itself.
      cli('firehose', 'put-record', '--delivery-stream-name', 'cli-events', '--record', 'Data=hello'),
      cli('lambda', 'list-event-source-mappings'),
      cli('firehose', 'describe-delivery-stream', '--delivery-stream-name', 'nope'),
    ]);
    expect(listed.code).toBe(0);
    expect((JSON.parse(listed.stdout) as { DeliveryStreamNames: string[] }).DeliveryStreamNames).toContain(
      'cli-events',
    );
    expect(put.code).toBe(0);
    expect(JSON.parse(put.stdout)).toEqual({ RecordId: expect.any(String), Encrypted: false });
    expect(mappings.code).toBe(0);
    expect(JSON.parse(mappings.stdout)).toEqual({ EventSourceMappings: [] });
    expect(missing.code).toBe(255);
    expect(missing.stderr).toContain(
      '(ResourceNotFoundException) when calling the DescribeDeliveryStream operation: Firehose nope under account 000000000000 not found.',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect([...readObjects(local.aws.s3Dir, 'cli-bucket').values()]).toEqual(['hello']);
  });

  it('switches faults over HTTP for people running the stack', async () => {
    const res = await fetch(`${local.aws.url}/_local/firehose/faults`, {
      method: 'POST',
      body: JSON.stringify({ failureRate: 1 }),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { failureRate: number }).failureRate).toBe(1);
    const batch = await firehose.send(
      new PutRecordBatchCommand({
        DeliveryStreamName: 'cli-events',
        Records: [{ Data: Buffer.from('a') }, { Data: Buffer.from('b') }],
      }),
    );
    expect(batch.FailedPutCount).toBe(2);
    expect(batch.RequestResponses?.map((r) => r.ErrorCode)).toEqual([
      'ServiceUnavailableException',
      'ServiceUnavailableException',
    ]);
    const bad = await fetch(`${local.aws.url}/_local/firehose/faults`, {
      method: 'POST',
      body: JSON.stringify({ failureRate: 2 }),
    });
    expect(bad.status).toBe(400);
    await fetch(`${local.aws.url}/_local/firehose/faults`, { method: 'DELETE' });
    expect(local.aws.firehose.faults().failureRate).toBe(0);
  });
});
