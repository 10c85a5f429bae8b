import {
  buildEventSourceMapping,
  consumerGroupId,
  type EventSourceMappingSettings,
} from '../../../functions/pipelines/build-event-source-mapping.ts';
import { InvalidSinkSettingsError, sinkSettingsViolations } from '../../../functions/pipelines/sink-settings.ts';
import { CLUSTER_ARN, SCRAM_SECRET_ARN } from '../../helpers/pipelines.ts';
import { thrownAs } from '../../helpers/thrown.ts';

const BUCKET = 'arn:aws:s3:::clickstream-data-123456789012';
const ROOT_CA = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-root-ca-GhIjKl';

function msk(over: Partial<EventSourceMappingSettings> = {}): EventSourceMappingSettings {
  return {
    pipelineId: 'p-42',
    functionName: 'clickstream-pipeline-dev-sink',
    topic: 'demo',
    sink: { batchSize: 500, maxIntervalSeconds: 5 },
    source: { kind: 'msk', clusterArn: CLUSTER_ARN },
    onFailureDestinationArn: BUCKET,
    ...over,
  };
}

function selfManaged(over: Partial<EventSourceMappingSettings> = {}): EventSourceMappingSettings {
  return msk({
    source: {
      kind: 'self-managed',
      bootstrapServers: ['kafka-1.internal:9092', 'kafka-2.internal:9092'],
      subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
      securityGroupIds: ['sg-0123456789abcdef0'],
    },
    ...over,
  });
}

function problemsOf(settings: EventSourceMappingSettings): InvalidSinkSettingsError {
  return thrownAs(InvalidSinkSettingsError, () => buildEventSourceMapping(settings));
}

describe('buildEventSourceMapping', () => {
  it('builds the MSK request: batch size, window, TRIM_HORIZON, consumer group, partial batch responses, retries, S3 on-failure, provisioned pollers', () => {
    expect(buildEventSourceMapping(msk())).toEqual({
      FunctionName: 'clickstream-pipeline-dev-sink',
      Enabled: true,
      EventSourceArn: CLUSTER_ARN,
      Topics: ['demo'],
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 500,
      MaximumBatchingWindowInSeconds: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: -1,
      MaximumRecordAgeInSeconds: -1,
      BisectBatchOnFunctionError: true,
      DestinationConfig: { OnFailure: { Destination: BUCKET } },
      ProvisionedPollerConfig: { MinimumPollers: 1, MaximumPollers: 10 },
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'clickstream-sink-p-42' },
    });
  });

  it('by default blocks the partition instead of diverting: infinite retries and no on-failure destination', () => {
    const { onFailureDestinationArn: _none, ...settings } = msk();
    const request = buildEventSourceMapping(settings);
    expect(request.MaximumRetryAttempts).toBe(-1);
    expect(request.MaximumRecordAgeInSeconds).toBe(-1);
    expect(request).not.toHaveProperty('DestinationConfig');
  });

  it('adds the SCRAM secret (MSK) and nothing for IAM, which uses the execution role', () => {
    expect(
      buildEventSourceMapping(
        msk({
          source: {
            kind: 'msk',
            clusterArn: CLUSTER_ARN,
            auth: { type: 'sasl-scram-512', secretArn: SCRAM_SECRET_ARN },
          },
        }),
      ).SourceAccessConfigurations,
    ).toEqual([{ Type: 'SASL_SCRAM_512_AUTH', URI: SCRAM_SECRET_ARN }]);
    expect(
      buildEventSourceMapping(msk({ source: { kind: 'msk', clusterArn: CLUSTER_ARN, auth: { type: 'iam' } } }))
        .SourceAccessConfigurations,
    ).toBeUndefined();
  });

  it('builds the self-managed request with bootstrap servers, VPC subnets and security groups', () => {
    const request = buildEventSourceMapping(selfManaged());
    expect(request.EventSourceArn).toBeUndefined();
    expect(request.AmazonManagedKafkaEventSourceConfig).toBeUndefined();
    expect(request.SelfManagedEventSource).toEqual({
      Endpoints: { KAFKA_BOOTSTRAP_SERVERS: ['kafka-1.internal:9092', 'kafka-2.internal:9092'] },
    });
    expect(request.SelfManagedKafkaEventSourceConfig).toEqual({ ConsumerGroupId: 'clickstream-sink-p-42' });
    expect(request.SourceAccessConfigurations).toEqual([
      { Type: 'VPC_SUBNET', URI: 'subnet:subnet-0123456789abcdef0' },
      { Type: 'VPC_SUBNET', URI: 'subnet:subnet-0fedcba9876543210' },
      { Type: 'VPC_SECURITY_GROUP', URI: 'security_group:sg-0123456789abcdef0' },
    ]);
    expect(request).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ProvisionedPollerConfig: { MinimumPollers: 1 },
    });
  });

  it('adds self-managed SCRAM-SHA-256, mutual TLS and a private root CA as access configurations', () => {
    const base = selfManaged().source as Extract<EventSourceMappingSettings['source'], { kind: 'self-managed' }>;
    const scram = buildEventSourceMapping(
      selfManaged({
        source: {
          ...base,
          auth: { type: 'sasl-scram-256', secretArn: SCRAM_SECRET_ARN },
          rootCaSecretArn: ROOT_CA,
        },
      }),
    );
    expect(scram.SourceAccessConfigurations!.slice(3)).toEqual([
      { Type: 'SASL_SCRAM_256_AUTH', URI: SCRAM_SECRET_ARN },
      { Type: 'SERVER_ROOT_CA_CERTIFICATE', URI: ROOT_CA },
    ]);
    const mtls = buildEventSourceMapping(
      selfManaged({ source: { ...base, auth: { type: 'mtls', secretArn: SCRAM_SECRET_ARN } } }),
    );
    expect(mtls.SourceAccessConfigurations!.slice(3)).toEqual([
      { Type: 'CLIENT_CERTIFICATE_TLS_AUTH', URI: SCRAM_SECRET_ARN },
    ]);
    const plain = buildEventSourceMapping(
      selfManaged({ source: { ...base, auth: { type: 'sasl-plain', secretArn: SCRAM_SECRET_ARN } } }),
    );
    expect(plain.SourceAccessConfigurations!.slice(3)).toEqual([{ Type: 'BASIC_AUTH', URI: SCRAM_SECRET_ARN }]);
  });

  it('takes retry, record age, bisect and poller settings when given', () => {
    const request = buildEventSourceMapping(
      msk({
        maximumRetryAttempts: 0,
        maximumRecordAgeInSeconds: 3600,
        bisectBatchOnFunctionError: false,
        pollers: { minimum: 2, maximum: 4 },
      }),
    );
    expect(request).toMatchObject({
      MaximumRetryAttempts: 0,
      MaximumRecordAgeInSeconds: 3600,
      BisectBatchOnFunctionError: false,
      ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 4 },
    });
  });

  it('derives one consumer group per pipeline', () => {
    expect(consumerGroupId('a')).not.toBe(consumerGroupId('b'));
    expect(
      buildEventSourceMapping(msk({ pipelineId: 'other', consumerGroupPrefix: 'cs-' }))
        .AmazonManagedKafkaEventSourceConfig,
    ).toEqual({ ConsumerGroupId: 'cs-other' });
  });

  describe('bounds', () => {
    it.each([1, 10_000])('accepts batch size %d', (batchSize) => {
      expect(buildEventSourceMapping(msk({ sink: { batchSize, maxIntervalSeconds: 0 } })).BatchSize).toBe(batchSize);
    });

    it.each([0, 10_001, 1.5, Number.NaN, -1])('refuses batch size %d naming the field and the range', (batchSize) => {
      const err = problemsOf(msk({ sink: { batchSize, maxIntervalSeconds: 1 } }));
      expect(err.name).toBe('InvalidSinkSettingsError');
      expect(err.violations).toEqual([
        {
          path: 'sink.batchSize',
          message: expect.stringContaining('must be an integer between 1 and 10000'),
        },
      ]);
      expect(err.message).toContain('sink.batchSize must be an integer between 1 and 10000');
    });

    it.each([0, 300])('accepts a maximum interval of %d seconds', (maxIntervalSeconds) => {
      expect(
        buildEventSourceMapping(msk({ sink: { batchSize: 1, maxIntervalSeconds } })).MaximumBatchingWindowInSeconds,
      ).toBe(maxIntervalSeconds);
    });

    it.each([301, -1, 2.5])('refuses a maximum interval of %d seconds', (maxIntervalSeconds) => {
      const err = problemsOf(msk({ sink: { batchSize: 1, maxIntervalSeconds } }));
      expect(err.violations).toEqual([
        { path: 'sink.maxIntervalSeconds', message: expect.stringContaining('between 0 and 300') },
      ]);
    });

    it('refuses a non-number setting (a string from a form) with its field', () => {
      const err = problemsOf(msk({ sink: { batchSize: '100' as unknown as number, maxIntervalSeconds: 1 } }));
      expect(err.violations[0]!.message).toContain('got "100"');
    });

    it.each([
      [-1, true],
      [10_000, true],
      [-2, false],
      [10_001, false],
    ])('maximum retry attempts %d accepted: %s', (value, ok) => {
      if (ok) expect(buildEventSourceMapping(msk({ maximumRetryAttempts: value })).MaximumRetryAttempts).toBe(value);
      else expect(problemsOf(msk({ maximumRetryAttempts: value })).violations[0]!.path).toBe('maximumRetryAttempts');
    });

    it.each([
      [-1, true],
      [60, true],
      [604_800, true],
      [0, false],
      [59, false],
      [604_801, false],
    ])('maximum record age %d accepted: %s', (value, ok) => {
      if (ok)
        expect(buildEventSourceMapping(msk({ maximumRecordAgeInSeconds: value })).MaximumRecordAgeInSeconds).toBe(
          value,
        );
      else
        expect(problemsOf(msk({ maximumRecordAgeInSeconds: value })).violations[0]!.message).toContain(
          'between 60 and 604800 (or -1)',
        );
    });

    it.each([
      [{ minimum: 0 }, 'pollers.minimum'],
      [{ minimum: 201 }, 'pollers.minimum'],
      [{ maximum: 2001 }, 'pollers.maximum'],
      [{ minimum: 5, maximum: 4 }, 'pollers'],
    ])('refuses poller settings %j', (pollers, field) => {
      expect(problemsOf(msk({ pollers })).violations.map((p) => p.path)).toEqual([field]);
    });

    it('accepts the poller bounds 1..200 and 1..2000', () => {
      expect(
        buildEventSourceMapping(msk({ pollers: { minimum: 200, maximum: 2000 } })).ProvisionedPollerConfig,
      ).toEqual({ MinimumPollers: 200, MaximumPollers: 2000 });
      expect(buildEventSourceMapping(msk({ pollers: { minimum: 1, maximum: 1 } })).ProvisionedPollerConfig).toEqual({
        MinimumPollers: 1,
        MaximumPollers: 1,
      });
    });
  });

  it('reports every bad field at once', () => {
    const err = problemsOf(
      msk({
        pipelineId: 'p 1',
        topic: '.hidden',
        sink: { batchSize: 0, maxIntervalSeconds: 301 },
        onFailureDestinationArn: 'my-bucket',
        source: {
          kind: 'msk',
          clusterArn: 'arn:aws:kafka:us-east-1:123456789012:topic/x',
          auth: { type: 'sasl-scram-256', secretArn: 'nope' },
        },
      }),
    );
    expect(err.violations.map((p) => p.path)).toEqual([
      'pipelineId',
      'topic',
      'sink.batchSize',
      'sink.maxIntervalSeconds',
      'onFailureDestinationArn',
      'source.clusterArn',
      'source.auth',
      'source.auth.secretArn',
    ]);
    for (const p of err.violations) expect(err.message).toContain(p.path);
  });

  it('refuses the topics Lambda refuses (one character, a leading .) and internal __ topics, with the shared topic rule', () => {
    for (const topic of ['a', '.events', '__consumer_offsets']) {
      expect([topic, problemsOf(msk({ topic })).violations.map((p) => p.path)]).toEqual([topic, ['topic']]);
    }
    expect(() => buildEventSourceMapping(msk({ topic: 'ab' }))).not.toThrow();
  });

  it('refuses a self-managed source without brokers, subnets or security groups, or with IAM auth', () => {
    const err = problemsOf(
      msk({
        source: {
          kind: 'self-managed',
          bootstrapServers: [],
          subnetIds: [],
          securityGroupIds: ['default'],
          auth: { type: 'iam' },
        },
      }),
    );
    expect(err.violations.map((p) => p.path)).toEqual([
      'source.bootstrapServers',
      'source.subnetIds',
      'source.securityGroupIds[0]',
      'source.auth',
    ]);
  });

  it('refuses more than 10 bootstrap servers and a malformed one', () => {
    const base = selfManaged().source as Extract<EventSourceMappingSettings['source'], { kind: 'self-managed' }>;
    expect(
      problemsOf(
        selfManaged({
          source: { ...base, bootstrapServers: Array.from({ length: 11 }, (_, i) => `b${i}.x:9092`) },
        }),
      ).violations[0]!.path,
    ).toBe('source.bootstrapServers');
    expect(
      problemsOf(selfManaged({ source: { ...base, bootstrapServers: ['kafka-1.internal'] } })).violations[0]!.path,
    ).toBe('source.bootstrapServers[0]');
  });

  it('refuses an unknown source kind', () => {
    expect(problemsOf(msk({ source: { kind: 'serverless' } as never })).violations.map((p) => p.path)).toEqual([
      'source.kind',
    ]);
  });
});

describe('sinkSettingsViolations', () => {
  it('checks only the two user settings, with the caller’s field path', () => {
    expect(sinkSettingsViolations({ batchSize: 10_000, maxIntervalSeconds: 300 })).toEqual([]);
    expect(
      sinkSettingsViolations({ batchSize: 10_001, maxIntervalSeconds: 301 }, 'body.sink').map((p) => p.path),
    ).toEqual(['body.sink.batchSize', 'body.sink.maxIntervalSeconds']);
  });
});
