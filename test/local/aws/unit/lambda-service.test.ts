import { AwsError } from '../../../../local/aws/errors.ts';
import { LambdaService, type LambdaOptions } from '../../../../local/aws/lambda/service.ts';
import { resolveFunction } from '../../../../local/aws/lambda/mappings.ts';
import { FakeClock, settle } from './fake-clock.ts';
import { fakeSources } from './fake-source.ts';
import { lambdaRequest, mskMappingBody as mskBody, tempDir } from './helpers.ts';

const BASE = '/2015-03-31/event-source-mappings';
const MSK = 'arn:aws:kafka:us-east-1:123456789012:cluster/demo/0b8a-43b9-1';

describe('Lambda event source mappings service', () => {
  let dir: ReturnType<typeof tempDir>;
  let sources: ReturnType<typeof fakeSources>;
  let service: LambdaService;
  let options: LambdaOptions;

  async function send(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string>,
  ): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await service.handle(lambdaRequest(method, path, body, query));
    return { status: response.status, body: JSON.parse(String(response.body)) as Record<string, unknown> };
  }

  async function failure(method: string, path: string, body?: unknown): Promise<AwsError> {
    try {
      await service.handle(lambdaRequest(method, path, body));
    } catch (error) {
      if (error instanceof AwsError) return error;
      throw error;
    }
    throw new Error('request succeeded');
  }

  beforeEach(() => {
    dir = tempDir();
    sources = fakeSources();
    options = {
      dataDir: dir.path,
      clock: new FakeClock(),
      invoke: async () => null,
      kafka: { brokers: ['127.0.0.1:19092'] },
      functions: { sink: { timeoutSeconds: 120 } },
      openSource: sources.open,
    };
    service = new LambdaService(options);
  });
  afterEach(async () => {
    await service.close();
    dir.remove();
  });

  it('creates a mapping in state Creating (202), then enables it and starts its poller', async () => {
    const created = await send('POST', BASE, mskBody());
    expect(created.status).toBe(202);
    expect(created.body).toMatchObject({
      State: 'Creating',
      StateTransitionReason: 'USER_INITIATED',
      FunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:sink',
      EventSourceArn: MSK,
      Topics: ['clicks'],
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 1,
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'pipeline-1' },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: -1,
      LastProcessingResult: 'No records processed',
      EventSourceMappingArn: `arn:aws:lambda:us-east-1:000000000000:event-source-mapping:${String(created.body.UUID)}`,
    });
    expect(typeof created.body.LastModified).toBe('number');
    await service.settled();
    await settle();
    const got = await send('GET', `${BASE}/${String(created.body.UUID)}`);
    expect(got.status).toBe(200);
    expect(got.body.State).toBe('Enabled');
    expect(sources.sources[0]?.options).toMatchObject({
      brokers: ['127.0.0.1:19092'],
      groupId: 'pipeline-1',
      topic: 'clicks',
    });
  });

  it('uses the mapping UUID as consumer group and the given brokers for self-managed Kafka', async () => {
    const created = await send('POST', `${BASE}/`, {
      FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:sink',
      SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ['127.0.0.1:29092'] } },
      Topics: ['clicks'],
      StartingPosition: 'LATEST',
    });
    expect(created.body.SelfManagedKafkaEventSourceConfig).toEqual({ ConsumerGroupId: created.body.UUID });
    expect(created.body.BatchSize).toBe(100);
    await service.settled();
    await settle();
    expect(sources.sources[0]?.options).toMatchObject({
      brokers: ['127.0.0.1:29092'],
      groupId: created.body.UUID,
      startingPosition: 'LATEST',
    });
  });

  it('lists with FunctionName and EventSourceArn filters and pages with Marker', async () => {
    const a = await send('POST', BASE, mskBody({ Topics: ['ta'] }));
    await (options.clock as FakeClock).advance(1);
    await send('POST', BASE, mskBody({ Topics: ['tb'] }));
    const page1 = await send('GET', BASE, undefined, { MaxItems: '1', FunctionName: 'sink' });
    expect((page1.body.EventSourceMappings as unknown[]).length).toBe(1);
    expect(page1.body.NextMarker).toBe(a.body.UUID);
    const page2 = await send('GET', BASE, undefined, {
      MaxItems: '1',
      Marker: String(page1.body.NextMarker),
    });
    expect((page2.body.EventSourceMappings as Array<{ Topics: string[] }>)[0]?.Topics).toEqual(['tb']);
    expect(page2.body).not.toHaveProperty('NextMarker');
    expect(
      (
        await send('GET', BASE, undefined, {
          EventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/x/y',
        })
      ).body.EventSourceMappings,
    ).toEqual([]);
  });

  it('updates batch settings (Updating → Enabled) and disables on Enabled=false', async () => {
    const { body } = await send('POST', BASE, mskBody());
    const uuid = String(body.UUID);
    await service.settled();
    const updated = await send('PUT', `${BASE}/${uuid}`, {
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
    });
    expect(updated.status).toBe(202);
    expect(updated.body).toMatchObject({
      State: 'Updating',
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 5,
    });
    await service.settled();
    expect((await send('GET', `${BASE}/${uuid}`)).body.State).toBe('Enabled');
    const disabled = await send('PUT', `${BASE}/${uuid}`, { Enabled: false });
    expect(disabled.body.State).toBe('Disabling');
    await service.settled();
    expect((await send('GET', `${BASE}/${uuid}`)).body.State).toBe('Disabled');
    expect(sources.sources.every((s) => s.closed)).toBe(true);
    expect((await failure('PUT', `${BASE}/${uuid}`, { Topics: ['other'] })).code).toBe(
      'InvalidParameterValueException',
    );
  });

  it('deletes a mapping: Deleting (202), then ResourceNotFoundException (404)', async () => {
    const { body } = await send('POST', BASE, mskBody());
    const uuid = String(body.UUID);
    await service.settled();
    const deleted = await send('DELETE', `${BASE}/${uuid}`);
    expect([deleted.status, deleted.body.State]).toEqual([202, 'Deleting']);
    await service.settled();
    const e = await failure('GET', `${BASE}/${uuid}`);
    expect([e.code, e.status, e.message]).toEqual([
      'ResourceNotFoundException',
      404,
      'The resource you requested does not exist.',
    ]);
    expect(service.messageMember('ResourceNotFoundException')).toBe('Message');
  });

  it('keeps mappings across a restart and restarts their pollers', async () => {
    const { body } = await send('POST', BASE, mskBody());
    await service.settled();
    await service.close();
    service = new LambdaService(options);
    service.resume();
    await service.settled();
    const got = await send('GET', `${BASE}/${String(body.UUID)}`);
    expect(got.body.State).toBe('Enabled');
    expect(sources.sources).toHaveLength(2);
  });

  it('validates requests like Lambda', async () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [
        mskBody({ BatchSize: 0 }),
        'ValidationException',
        /Value '0' at 'batchSize' failed to satisfy constraint: Member must have value greater than or equal to 1/,
      ],
      [mskBody({ BatchSize: 10001 }), 'ValidationException', /less than or equal to 10000/],
      [mskBody({ MaximumBatchingWindowInSeconds: 301 }), 'ValidationException', /maximumBatchingWindowInSeconds/],
      [
        mskBody({ EventSourceArn: 'arn:aws:sqs:us-east-1:123456789012:q' }),
        'InvalidParameterValueException',
        /Unsupported event source/,
      ],
      [mskBody({ Topics: ['a', 'b'] }), 'InvalidParameterValueException', /exactly one topic/],
      [mskBody({ StartingPosition: undefined }), 'InvalidParameterValueException', /StartingPosition is required/],
      [mskBody({ FunctionResponseTypes: ['Nope'] }), 'ValidationException', /ReportBatchItemFailures/],
      [
        mskBody({
          DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:123456789012:dlq' } },
        }),
        'InvalidParameterValueException',
        /S3 bucket ARN/,
      ],
      [
        mskBody({ FunctionName: 'other' }),
        'ResourceNotFoundException',
        /Function not found: arn:aws:lambda:us-east-1:000000000000:function:other/,
      ],
      [mskBody({ FilterCriteria: { Filters: [] } }), 'InvalidParameterValueException', /FilterCriteria/],
    ];
    for (const [body, code, message] of cases) {
      const e = await failure('POST', BASE, body);
      expect([e.code, e.message]).toEqual([code, expect.stringMatching(message)]);
    }
  });

  it('refuses a second mapping of the same function, source and topic with 409', async () => {
    await send('POST', BASE, mskBody());
    const e = await failure(
      'POST',
      BASE,
      mskBody({ AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'other' } }),
    );
    expect([e.code, e.status]).toEqual(['ResourceConflictException', 409]);
  });

  it('accepts the retry, bisect, poller and S3 on-failure settings of provisioned mode', async () => {
    const { body } = await send(
      'POST',
      BASE,
      mskBody({
        MaximumRetryAttempts: 5,
        BisectBatchOnFunctionError: true,
        DestinationConfig: { OnFailure: { Destination: 'arn:aws:s3:::failed-batches' } },
        ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
      }),
    );
    expect(body).toMatchObject({
      MaximumRetryAttempts: 5,
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: 'arn:aws:s3:::failed-batches' } },
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 3 },
    });
  });

  it('resolves function names, partial ARNs and qualified ARNs', () => {
    expect(resolveFunction('sink', 'eu-west-1', '111111111111')).toEqual({
      name: 'sink',
      arn: 'arn:aws:lambda:eu-west-1:111111111111:function:sink',
    });
    expect(resolveFunction('222222222222:function:sink', 'eu-west-1', '111111111111').arn).toBe(
      'arn:aws:lambda:eu-west-1:222222222222:function:sink',
    );
    expect(resolveFunction('arn:aws:lambda:us-west-2:333333333333:function:sink:live', 'eu-west-1', '1').arn).toBe(
      'arn:aws:lambda:us-west-2:333333333333:function:sink:live',
    );
    expect(() => resolveFunction('bad name', 'eu-west-1', '1')).toThrow(AwsError);
  });

  it('answers 501 for Lambda APIs it does not provide', async () => {
    const e = await failure('GET', '/2015-03-31/functions/sink', {});
    expect([e.code, e.status]).toEqual(['NotImplementedException', 501]);
  });
});
