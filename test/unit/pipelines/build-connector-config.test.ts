import { readFileSync } from 'node:fs';
import {
  buildConnectorConfiguration,
  buildCreateConnectorRequest,
  connectorName,
  HIVE_PATH_FORMAT,
  type ConnectorSettings,
} from '../../../functions/pipelines/build-connector-config.ts';
import { InvalidSinkSettingsError } from '../../../functions/pipelines/sink-settings.ts';
import { thrownAs } from '../../helpers/thrown.ts';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(new URL(`../../fixtures/msk-connect/${name}`, import.meta.url), 'utf8'));

const PLUGIN = 'arn:aws:kafkaconnect:eu-west-1:123456789012:custom-plugin/clickstream-p-42-s3-sink/0a1b2c3d-1';
const ROLE = 'arn:aws:iam::123456789012:role/clickstream-pipeline-prod-connector';

function settings(over: Partial<ConnectorSettings> = {}): ConnectorSettings {
  return {
    pipelineId: 'p-42',
    topic: 'shop',
    partitions: 6,
    bootstrapServers: [
      'b-1.msk.abc.c2.kafka.eu-west-1.amazonaws.com:9092',
      'b-2.msk.abc.c2.kafka.eu-west-1.amazonaws.com:9092',
    ],
    auth: 'none',
    sink: {
      bucket: 'clickstream-data-123456789012',
      prefix: 'events/',
      region: 'eu-west-1',
      maxIntervalSeconds: 300,
      batchSize: 5000,
    },
    capacity: { mcuCount: 2, minWorkers: 1, maxWorkers: 4 },
    kafkaConnectVersion: '3.7.x',
    network: {
      subnetIds: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
      securityGroupIds: ['sg-0123456789abcdef0', 'sg-0123456789abcdef0'],
    },
    plugin: { arn: PLUGIN, revision: 1 },
    serviceExecutionRoleArn: ROLE,
    logGroup: '/aws/msk-connect/clickstream-pipeline-prod',
    ...over,
  };
}

function problems(s: ConnectorSettings): string[] {
  return thrownAs(InvalidSinkSettingsError, () => buildCreateConnectorRequest(s)).violations.map((p) => p.path);
}

describe('buildConnectorConfiguration', () => {
  it('configures the Confluent S3 sink: batch size as flush.size, maximum interval as both rotations, hourly Hive-style UTC paths, gzip JSON lines', () => {
    // The exact properties MSK Connect receives for settings() (a CreateConnector request's connectorConfiguration).
    expect(buildConnectorConfiguration(settings())).toEqual(fixture('s3-sink-connector-configuration.json'));
    expect(HIVE_PATH_FORMAT).toBe("'year'=YYYY/'month'=MM/'day'=dd/'hour'=HH");
  });

  it('maps the interval in seconds to milliseconds, and 0 to the shortest rotation (1 s)', () => {
    expect(
      buildConnectorConfiguration(settings({ sink: { ...settings().sink, maxIntervalSeconds: 5 } }))[
        'rotate.schedule.interval.ms'
      ],
    ).toBe('5000');
    const zero = buildConnectorConfiguration(settings({ sink: { ...settings().sink, maxIntervalSeconds: 0 } }));
    expect([zero['rotate.schedule.interval.ms'], zero['rotate.interval.ms']]).toEqual(['1000', '1000']);
  });

  it('uses the prefix without its trailing slashes as topics.dir', () => {
    expect(
      buildConnectorConfiguration(settings({ sink: { ...settings().sink, prefix: 'raw/clicks//' } }))['topics.dir'],
    ).toBe('raw/clicks');
    expect(buildConnectorConfiguration(settings({ sink: { ...settings().sink, prefix: '' } }))['topics.dir']).toBe(
      'events',
    );
  });
});

describe('buildCreateConnectorRequest', () => {
  it('builds the MSK Connect request: bootstrap servers in the VPC, auth NONE + PLAINTEXT, autoscaled capacity, worker logs, role, plugin revision', () => {
    const request = buildCreateConnectorRequest(settings());
    const { connectorConfiguration, ...rest } = request;
    expect(connectorConfiguration?.['connector.class']).toBe('io.confluent.connect.s3.S3SinkConnector');
    expect(rest).toEqual({
      connectorName: 'clickstream-p-42',
      connectorDescription: 'clickstream pipeline p-42: topic shop -> s3://clickstream-data-123456789012/events/',
      kafkaConnectVersion: '3.7.x',
      capacity: { autoScaling: { mcuCount: 2, minWorkerCount: 1, maxWorkerCount: 4 } },
      kafkaCluster: {
        apacheKafkaCluster: {
          bootstrapServers:
            'b-1.msk.abc.c2.kafka.eu-west-1.amazonaws.com:9092,b-2.msk.abc.c2.kafka.eu-west-1.amazonaws.com:9092',
          vpc: {
            subnets: ['subnet-0123456789abcdef0', 'subnet-0fedcba9876543210'],
            securityGroups: ['sg-0123456789abcdef0'],
          },
        },
      },
      kafkaClusterClientAuthentication: { authenticationType: 'NONE' },
      kafkaClusterEncryptionInTransit: { encryptionType: 'PLAINTEXT' },
      logDelivery: {
        workerLogDelivery: {
          cloudWatchLogs: { enabled: true, logGroup: '/aws/msk-connect/clickstream-pipeline-prod' },
        },
      },
      plugins: [{ customPlugin: { customPluginArn: PLUGIN, revision: 1 } }],
      serviceExecutionRoleArn: ROLE,
    });
  });

  it('maps the pipeline auth: tls -> NONE over TLS, iam -> IAM over TLS', () => {
    const tls = buildCreateConnectorRequest(settings({ auth: 'tls' }));
    expect([tls.kafkaClusterClientAuthentication, tls.kafkaClusterEncryptionInTransit]).toEqual([
      { authenticationType: 'NONE' },
      { encryptionType: 'TLS' },
    ]);
    const iam = buildCreateConnectorRequest(settings({ auth: 'iam' }));
    expect([iam.kafkaClusterClientAuthentication, iam.kafkaClusterEncryptionInTransit]).toEqual([
      { authenticationType: 'IAM' },
      { encryptionType: 'TLS' },
    ]);
  });

  it('names the connector after the pipeline', () => {
    expect(connectorName('01HZX3')).toBe('clickstream-01HZX3');
  });

  it('reports every bad field at once', () => {
    expect(
      problems(
        settings({
          auth: 'scram',
          topic: '.bad topic',
          partitions: 0,
          sink: { bucket: 'Not_A_Bucket', prefix: '/abs', region: '', maxIntervalSeconds: 301, batchSize: 0 },
          capacity: { mcuCount: 3, minWorkers: 5, maxWorkers: 11 },
          network: { subnetIds: [], securityGroupIds: ['default'] },
          plugin: { arn: 'plugin', revision: 0 },
          serviceExecutionRoleArn: 'role',
          kafkaConnectVersion: '',
          logGroup: '',
        }),
      ),
    ).toEqual([
      'sink.batchSize',
      'sink.maxIntervalSeconds',
      'topic',
      'partitions',
      'auth',
      'sink.bucket',
      'sink.region',
      'sink.prefix',
      'capacity.mcuCount',
      'capacity.maxWorkers',
      'kafkaConnectVersion',
      'network.subnetIds',
      'network.securityGroupIds[0]',
      'plugin.arn',
      'plugin.revision',
      'serviceExecutionRoleArn',
      'logGroup',
    ]);
    expect(problems(settings({ capacity: { mcuCount: 1, minWorkers: 4, maxWorkers: 2 } }))).toEqual(['capacity']);
  });

  it('explains a bad field with its allowed values', () => {
    expect(() =>
      buildCreateConnectorRequest(settings({ capacity: { mcuCount: 3, minWorkers: 1, maxWorkers: 1 } })),
    ).toThrow('invalid sink settings: capacity.mcuCount must be one of 1, 2, 4, 8; got 3');
  });
});
