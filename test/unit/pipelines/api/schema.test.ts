import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidPipelineRequestError } from '../../../../functions/pipelines/errors.ts';
import { jsonPath, parsePipelineRequest, validatePipelineRequest } from '../../../../functions/pipelines/schema.ts';
import { sinkSettingsRanges } from '../../../../functions/pipelines/sink-settings.ts';
import {
  CLUSTER_ARN,
  mskRequest,
  PLUGIN_ARN,
  SCRAM_SECRET_ARN,
  selfHostedRequest,
  spec as specOf,
} from '../../../helpers/pipelines.ts';

const CA_BUNDLE = readFileSync(join(process.cwd(), 'test', 'fixtures', 'tls', 'ca-bundle.pem'), 'utf8');

function errorsOf(input: unknown): { path: string; message: string }[] {
  const result = validatePipelineRequest(input);
  if (result.ok) throw new Error(`expected violations, got a spec: ${JSON.stringify(result.spec)}`);
  return result.errors;
}

const kafka = (over: Record<string, unknown>) => ({ type: 'msk', clusterArn: CLUSTER_ARN, ...over });
const sink = (over: Record<string, unknown>) => ({ mode: 'lambda', ...over });

describe('pipeline request schema', () => {
  describe('valid requests', () => {
    it('applies the defaults: topic = project id, 3 partitions, auth none, 300 s, 5000 records', () => {
      const spec = parsePipelineRequest({
        projectId: 'shop',
        appIds: ['web'],
        kafka: { type: 'msk', clusterArn: CLUSTER_ARN },
        sink: { mode: 'lambda' },
      });
      // MSK, topic named after the project, 3 partitions, the broker's replication factor, no auth
      expect(spec).toEqual(
        specOf({ appIds: ['web'], sink: { mode: 'lambda', maxIntervalSeconds: 300, batchSize: 5000 } }),
      );
    });

    it('turns a self-hosted connector request into its spec with the connector defaults', () => {
      const spec = parsePipelineRequest(
        selfHostedRequest({
          kafka: {
            ...(selfHostedRequest().kafka as object),
            brokers: ' kafka-1.internal:9092 , 10.0.1.7:9094',
          },
        }),
      );
      expect(spec.kafka).toEqual({
        cluster: {
          type: 'self-hosted',
          brokers: 'kafka-1.internal:9092,10.0.1.7:9094',
          securityGroupId: 'sg-0123456789abcdef0',
        },
        topic: 'news-events',
        partitions: 6,
        replicationFactor: 2,
        auth: 'none',
      });
      expect(spec.sink).toEqual({
        mode: 'connector',
        maxIntervalSeconds: 300,
        batchSize: 5000,
        connector: {
          pluginArn: PLUGIN_ARN,
          mcuCount: 1,
          minWorkers: 1,
          maxWorkers: 2,
          kafkaConnectVersion: '2.7.1',
        },
      });
    });

    it('raises the default maxWorkers to minWorkers', () => {
      const spec = parsePipelineRequest(
        selfHostedRequest({
          sink: { mode: 'connector', connector: { pluginArn: PLUGIN_ARN, minWorkers: 4 } },
        }),
      );
      expect(spec.sink.connector).toMatchObject({ minWorkers: 4, maxWorkers: 4 });
    });

    it('accepts a plugin location, TLS with a private CA, SCRAM with an AmazonMSK_ secret, IAM on MSK', () => {
      expect(
        validatePipelineRequest(
          selfHostedRequest({
            sink: {
              mode: 'connector',
              bucket: 'my-bucket',
              prefix: 'raw/',
              maxIntervalSeconds: 600,
              batchSize: 100000,
              connector: {
                pluginLocation: {
                  bucketArn: 'arn:aws:s3:::plugins-bucket',
                  fileKey: 'confluentinc-kafka-connect-s3-10.5.0.zip',
                },
                mcuCount: 2,
                maxWorkers: 4,
                kafkaConnectVersion: '3.7.x',
              },
            },
          }),
        ),
      ).toMatchObject({ ok: true });
      expect(parsePipelineRequest(mskRequest({ kafka: kafka({ auth: 'tls', caPem: CA_BUNDLE }) })).kafka.caPem).toBe(
        CA_BUNDLE,
      );
      expect(
        parsePipelineRequest(mskRequest({ kafka: kafka({ auth: 'scram', scramSecretArn: SCRAM_SECRET_ARN }) })).kafka,
      ).toMatchObject({ auth: 'scram', scramSecretArn: SCRAM_SECRET_ARN });
      expect(parsePipelineRequest(mskRequest({ kafka: kafka({ auth: 'iam' }) })).kafka.auth).toBe('iam');
    });

    it('accepts the shortest topic every sink takes, self-hosted TLS in connector mode and self-hosted SCRAM with an AmazonMSK_ secret', () => {
      expect(parsePipelineRequest(mskRequest({ kafka: kafka({ topic: 'ab' }) })).kafka.topic).toBe('ab');
      expect(parsePipelineRequest(mskRequest({ kafka: kafka({ topic: 'a.b_c-d' }) })).kafka.topic).toBe('a.b_c-d');
      const selfHosted = {
        type: 'self-hosted',
        brokers: 'k1:9094,k2:9094',
        securityGroupId: 'sg-0123456789abcdef0',
      };
      expect(
        parsePipelineRequest(selfHostedRequest({ kafka: { ...selfHosted, auth: 'tls', caPem: CA_BUNDLE } })).kafka.auth,
      ).toBe('tls');
      expect(
        parsePipelineRequest(
          selfHostedRequest({
            kafka: { ...selfHosted, auth: 'scram', scramSecretArn: SCRAM_SECRET_ARN },
            sink: { mode: 'lambda' },
          }),
        ).kafka.auth,
      ).toBe('scram');
    });

    it('accepts the lambda-mode bounds of the event source mapping, inclusive', () => {
      const { batchSize, maxIntervalSeconds } = sinkSettingsRanges;
      expect(
        validatePipelineRequest(
          mskRequest({
            sink: sink({ batchSize: batchSize.max, maxIntervalSeconds: maxIntervalSeconds.max }),
          }),
        ).ok,
      ).toBe(true);
      expect(
        validatePipelineRequest(
          mskRequest({
            sink: sink({ batchSize: batchSize.min, maxIntervalSeconds: maxIntervalSeconds.min }),
          }),
        ).ok,
      ).toBe(true);
    });
  });

  it('reports every violated rule at once, each with its JSON path', () => {
    const errors = errorsOf({
      projectId: 'Shop!',
      appIds: ['web', 'web', '-bad'],
      region: 'eu-west-1',
      kafka: {
        type: 'self-hosted',
        brokers: 'kafka-1:9092,kafka-2:99999',
        auth: 'iam',
        partitions: 0,
        caPem: 'not a pem',
        topic: 'a/b',
      },
      sink: {
        mode: 'connector',
        batchSize: 0,
        maxIntervalSeconds: 0,
        connector: { mcuCount: 3, minWorkers: 5, maxWorkers: 2 },
      },
    });
    expect(errors.map((e) => e.path)).toEqual([
      '$.appIds[1]',
      '$.appIds[2]',
      '$.kafka.auth',
      '$.kafka.brokers',
      '$.kafka.caPem',
      '$.kafka.partitions',
      '$.kafka.securityGroupId',
      '$.kafka.topic',
      '$.projectId',
      '$.region',
      '$.sink.batchSize',
      '$.sink.connector',
      '$.sink.connector.maxWorkers',
      '$.sink.connector.mcuCount',
      '$.sink.maxIntervalSeconds',
    ]);
    expect(errors.every((e) => typeof e.message === 'string' && e.message.length > 5)).toBe(true);
  });

  it('still reports the cross-field rules when fields have the wrong JSON type', () => {
    const errors = errorsOf(mskRequest({ kafka: { type: 'self-hosted', partitions: 'three', auth: 'iam' } }));
    expect(errors).toEqual(
      expect.arrayContaining([
        { path: '$.kafka.partitions', message: 'must be an integer between 1 and 1000' },
        { path: '$.kafka.auth', message: "'iam' is only available with Amazon MSK (type msk)" },
        { path: '$.kafka.brokers', message: 'is required when type is self-hosted' },
      ]),
    );
  });

  it('says which required fields are missing', () => {
    expect(errorsOf({})).toEqual([
      { path: '$.appIds', message: 'is required' },
      { path: '$.kafka', message: 'is required' },
      { path: '$.projectId', message: 'is required' },
      { path: '$.sink', message: 'is required' },
    ]);
  });

  it.each([
    ['an array', []],
    ['a string', 'pipeline'],
    ['null', null],
  ])('refuses %s as the body', (_name, body) => {
    expect(errorsOf(body)).toEqual([{ path: '$', message: 'must be a JSON object' }]);
  });

  it.each<[string, Record<string, unknown>, string, RegExp]>([
    ['a project id with capitals', { projectId: 'Shop' }, '$.projectId', /lowercase/],
    ['a project id of 2 characters', { projectId: 'ab' }, '$.projectId', /3-63/],
    ['an empty app id list', { appIds: [] }, '$.appIds', /at least one/],
    ['an app id the ingest would refuse', { appIds: ['ok', 'no spaces'] }, '$.appIds[1]', /app id/],
    ['a duplicate app id', { appIds: ['a1', 'a2', 'a1'] }, '$.appIds[2]', /duplicates \$\.appIds\[0\]/],
    ['51 app ids', { appIds: Array.from({ length: 51 }, (_, i) => `app-${i}`) }, '$.appIds', /at most 50/],
    ['an unknown kafka type', { kafka: { type: 'confluent' } }, '$.kafka.type', /'msk' or 'self-hosted'/],
    [
      'a malformed cluster ARN',
      { kafka: kafka({ clusterArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/x' }) },
      '$.kafka.clusterArn',
      /MSK cluster ARN/,
    ],
    [
      'an MSK request without cluster ARN',
      { kafka: { type: 'msk' } },
      '$.kafka.clusterArn',
      /required when type is msk/,
    ],
    ['brokers on MSK', { kafka: kafka({ brokers: 'b-1:9092' }) }, '$.kafka.brokers', /only used with type self-hosted/],
    [
      'a broker without port',
      { kafka: { type: 'self-hosted', brokers: 'kafka-1', securityGroupId: 'sg-0123456789abcdef0' } },
      '$.kafka.brokers',
      /'kafka-1' is not host:port/,
    ],
    [
      'a repeated broker',
      { kafka: { type: 'self-hosted', brokers: 'k:9092,k:9092', securityGroupId: 'sg-0123456789abcdef0' } },
      '$.kafka.brokers',
      /listed twice/,
    ],
    [
      '11 brokers in lambda mode',
      {
        kafka: {
          type: 'self-hosted',
          brokers: Array.from({ length: 11 }, (_, i) => `k${i}:9092`).join(','),
          securityGroupId: 'sg-0123456789abcdef0',
        },
      },
      '$.kafka.brokers',
      /at most 10/,
    ],
    [
      'a malformed security group',
      { kafka: { type: 'self-hosted', brokers: 'k:9092', securityGroupId: 'default' } },
      '$.kafka.securityGroupId',
      /sg-/,
    ],
    ['a topic with a slash', { kafka: kafka({ topic: 'a/b' }) }, '$.kafka.topic', /topic name every sink accepts/],
    ["the topic '..'", { kafka: kafka({ topic: '..' }) }, '$.kafka.topic', /not starting with \./],
    ['a 250-character topic', { kafka: kafka({ topic: 't'.repeat(250) }) }, '$.kafka.topic', /2-249/],
    // Kafka accepts these; Lambda's event source mapping (Topic: ^[^.]([a-zA-Z0-9\-_.]+)) does not.
    ['a one-character topic', { kafka: kafka({ topic: 'a' }) }, '$.kafka.topic', /2-249/],
    ['a topic starting with .', { kafka: kafka({ topic: '.events' }) }, '$.kafka.topic', /not starting with \./],
    [
      'a topic starting with __ (internal topics)',
      { kafka: kafka({ topic: '__amazon_msk_connect_offsets' }) },
      '$.kafka.topic',
      /reserved for Kafka's and MSK Connect's internal topics/,
    ],
    ['1001 partitions', { kafka: kafka({ partitions: 1001 }) }, '$.kafka.partitions', /between 1 and 1000/],
    [
      'a fractional replication factor',
      { kafka: kafka({ replicationFactor: 1.5 }) },
      '$.kafka.replicationFactor',
      /integer/,
    ],
    ['an unknown auth', { kafka: kafka({ auth: 'plain' }) }, '$.kafka.auth', /'none', 'tls', 'scram' or 'iam'/],
    [
      'iam on self-hosted Kafka',
      {
        kafka: {
          type: 'self-hosted',
          brokers: 'k:9092',
          securityGroupId: 'sg-0123456789abcdef0',
          auth: 'iam',
        },
      },
      '$.kafka.auth',
      /only available with Amazon MSK/,
    ],
    [
      'scram without its secret',
      { kafka: kafka({ auth: 'scram' }) },
      '$.kafka.scramSecretArn',
      /required when auth is scram/,
    ],
    [
      'a secret without scram',
      { kafka: kafka({ scramSecretArn: SCRAM_SECRET_ARN }) },
      '$.kafka.scramSecretArn',
      /only used when auth is scram/,
    ],
    [
      'an MSK SCRAM secret not named AmazonMSK_',
      {
        kafka: kafka({
          auth: 'scram',
          scramSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-AbCdEf',
        }),
      },
      '$.kafka.scramSecretArn',
      /AmazonMSK_.*customer managed KMS key/,
    ],
    [
      'a self-hosted SCRAM secret not named AmazonMSK_ (the roles read only those)',
      {
        kafka: {
          type: 'self-hosted',
          brokers: 'k:9096',
          securityGroupId: 'sg-0123456789abcdef0',
          auth: 'scram',
          scramSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:kafka-AbCdEf',
        },
      },
      '$.kafka.scramSecretArn',
      /AmazonMSK_\*/,
    ],
    [
      'self-hosted TLS in lambda mode (no self-managed mapping setting for it)',
      {
        kafka: {
          type: 'self-hosted',
          brokers: 'k:9094',
          securityGroupId: 'sg-0123456789abcdef0',
          auth: 'tls',
        },
      },
      '$.kafka.auth',
      /not available in lambda mode.*SERVER_ROOT_CA_CERTIFICATE.*'connector'/,
    ],
    ['a CA that is not PEM', { kafka: kafka({ auth: 'tls', caPem: 'hello' }) }, '$.kafka.caPem', /PEM certificate/],
    [
      'a PEM block that is not a certificate',
      {
        kafka: kafka({
          auth: 'tls',
          caPem: '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n',
        }),
      },
      '$.kafka.caPem',
      /#1 is not a valid X.509/,
    ],
    ['a CA with plaintext', { kafka: kafka({ caPem: CA_BUNDLE }) }, '$.kafka.caPem', /only used with TLS/],
    ['an unknown field in kafka', { kafka: kafka({ acks: 'all' }) }, '$.kafka.acks', /not a known field/],
    ['an unknown sink mode', { sink: { mode: 'firehose' } }, '$.sink.mode', /'lambda' or 'connector'/],
    [
      'a lambda batch size over the mapping limit',
      { sink: sink({ batchSize: 10_001 }) },
      '$.sink.batchSize',
      /between 1 and 10000 in lambda mode/,
    ],
    [
      'a lambda interval over 300 s',
      { sink: sink({ maxIntervalSeconds: 301 }) },
      '$.sink.maxIntervalSeconds',
      /between 0 and 300 in lambda mode/,
    ],
    ['a negative interval', { sink: sink({ maxIntervalSeconds: -1 }) }, '$.sink.maxIntervalSeconds', /negative/],
    [
      'a connector in lambda mode',
      { sink: sink({ connector: { pluginArn: PLUGIN_ARN } }) },
      '$.sink.connector',
      /only used when mode is connector/,
    ],
    [
      'connector mode without connector',
      { sink: { mode: 'connector' } },
      '$.sink.connector',
      /required when mode is connector/,
    ],
    [
      'a connector without plugin',
      { sink: { mode: 'connector', connector: {} } },
      '$.sink.connector',
      /pluginArn or pluginLocation/,
    ],
    [
      'both plugin forms',
      {
        sink: {
          mode: 'connector',
          connector: {
            pluginArn: PLUGIN_ARN,
            pluginLocation: { bucketArn: 'arn:aws:s3:::b-1', fileKey: 'k.zip' },
          },
        },
      },
      '$.sink.connector.pluginLocation',
      /not both/,
    ],
    [
      'a connector interval of 0',
      { sink: { mode: 'connector', maxIntervalSeconds: 0, connector: { pluginArn: PLUGIN_ARN } } },
      '$.sink.maxIntervalSeconds',
      /between 1 and 86400 in connector mode/,
    ],
    [
      '3 MCUs',
      { sink: { mode: 'connector', connector: { pluginArn: PLUGIN_ARN, mcuCount: 3 } } },
      '$.sink.connector.mcuCount',
      /1, 2, 4 or 8/,
    ],
    [
      'maxWorkers below minWorkers',
      { sink: { mode: 'connector', connector: { pluginArn: PLUGIN_ARN, minWorkers: 3, maxWorkers: 2 } } },
      '$.sink.connector.maxWorkers',
      /at least minWorkers \(3\)/,
    ],
    [
      'an unknown Kafka Connect version',
      { sink: { mode: 'connector', connector: { pluginArn: PLUGIN_ARN, kafkaConnectVersion: '4.0' } } },
      '$.sink.connector.kafkaConnectVersion',
      /2\.7\.1/,
    ],
    [
      'SCRAM with MSK Connect',
      {
        kafka: kafka({ auth: 'scram', scramSecretArn: SCRAM_SECRET_ARN }),
        sink: { mode: 'connector', connector: { pluginArn: PLUGIN_ARN } },
      },
      '$.kafka.auth',
      /MSK Connect/,
    ],
    ['a bucket name with capitals', { sink: sink({ bucket: 'My-Bucket' }) }, '$.sink.bucket', /S3 bucket name/],
    ['a prefix starting with /', { sink: sink({ prefix: '/events' }) }, '$.sink.prefix', /must not start with/],
  ])('refuses %s', (_name, over, path, message) => {
    const errors = errorsOf(mskRequest(over));
    const at = errors.filter((e) => e.path === path);
    expect(at.length).toBeGreaterThan(0);
    expect(at.map((e) => e.message).join(' | ')).toMatch(message);
  });

  it('throws InvalidPipelineRequestError carrying the violations', () => {
    expect(() => parsePipelineRequest({ projectId: 'x' })).toThrow(InvalidPipelineRequestError);
    try {
      parsePipelineRequest({ projectId: 'x' });
    } catch (err) {
      expect((err as InvalidPipelineRequestError).name).toBe('InvalidPipelineRequestError');
      expect((err as InvalidPipelineRequestError).violations.map((e) => e.path)).toEqual([
        '$.appIds',
        '$.kafka',
        '$.projectId',
        '$.sink',
      ]);
    }
  });

  it('writes JSON paths with dots, indexes and quoted odd keys', () => {
    expect(jsonPath(['kafka', 'clusterArn'])).toBe('$.kafka.clusterArn');
    expect(jsonPath(['appIds', 2])).toBe('$.appIds[2]');
    expect(jsonPath(['sink', 'odd key'])).toBe('$.sink["odd key"]');
    expect(jsonPath([])).toBe('$');
  });
});
