/**
 * The clusters the local MSK describes: the dev cluster's defaults and the API shapes of
 * overridden (rule-breaking) clusters.
 */
import { bootstrapBrokers, describeV2, devCluster, extraCluster, nodes } from '../../../../local/aws/msk/clusters.ts';

const dev = devCluster({ brokers: ['127.0.0.1:9092', '127.0.0.1:9093'] }, 'eu-west-1', '123456789012');

describe('local MSK clusters', () => {
  it('describes the dev brokers as a provisioned cluster with a configuration matching their settings', () => {
    expect(dev.arn).toMatch(/^arn:aws:kafka:eu-west-1:123456789012:cluster\/clickstream-local\/[0-9a-f-]{36}-1$/);
    expect(devCluster({ brokers: ['a:1'] }, 'eu-west-1', '123456789012').arn).toBe(dev.arn); // stable across restarts
    expect(dev.serverProperties).toMatchObject({
      'auto.create.topics.enable': 'true',
      'default.replication.factor': '2',
      'num.partitions': '1',
    });
    expect(bootstrapBrokers(dev)).toEqual({ bootstrapBrokerString: '127.0.0.1:9092,127.0.0.1:9093' });
    expect(nodes(dev).map((n) => (n.brokerNodeInfo as { brokerId: number }).brokerId)).toEqual([1, 2]);
    const described = describeV2(dev) as {
      provisioned: { encryptionInfo: unknown; numberOfBrokerNodes: number };
    };
    expect(described.provisioned.numberOfBrokerNodes).toBe(2);
    expect(described.provisioned.encryptionInfo).toMatchObject({
      encryptionInTransit: { clientBroker: 'TLS_PLAINTEXT', inCluster: true },
    });
  });

  it('builds rule-breaking clusters from overrides', () => {
    const tlsOnly = extraCluster(
      dev,
      {
        name: 'tls-only',
        brokers: ['b-1.x:9092', 'b-2.x:9092', 'b-3.x:9092'],
        clientBroker: 'TLS',
        clientAuthentication: { unauthenticated: false, tls: true },
      },
      'eu-west-1',
      '123456789012',
    );
    expect(bootstrapBrokers(tlsOnly)).toEqual({
      bootstrapBrokerStringTls: 'b-1.x:9094,b-2.x:9094,b-3.x:9094',
    });
    expect(tlsOnly.brokerCount).toBe(3);

    const noConfig = extraCluster(dev, { name: 'defaults', serverProperties: null }, 'eu-west-1', '123456789012');
    expect(
      (describeV2(noConfig) as { provisioned: { currentBrokerSoftwareInfo: unknown } }).provisioned
        .currentBrokerSoftwareInfo,
    ).toEqual({ kafkaVersion: '3.6.0' });

    const serverless = extraCluster(dev, { name: 'sls', type: 'SERVERLESS' }, 'eu-west-1', '123456789012');
    expect(describeV2(serverless)).toMatchObject({
      clusterType: 'SERVERLESS',
      serverless: { vpcConfigs: [{ subnetIds: dev.subnetIds }] },
    });
    expect(describeV2(serverless).provisioned).toBeUndefined();
    expect(Object.keys(bootstrapBrokers(serverless))).toEqual(['bootstrapBrokerStringSaslIam']);

    expect(() => extraCluster(dev, { arn: 'arn:aws:kafka:eu-west-1:1:topic/x' }, 'eu-west-1', '123456789012')).toThrow(
      'not an MSK cluster ARN',
    );
  });
});
