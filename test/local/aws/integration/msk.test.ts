/**
 * The local MSK control plane (and EC2 DescribeSubnets) through the unchanged SDK v3 clients:
 * the dev cluster described as a provisioned MSK cluster, and rule-breaking extra clusters
 * registered through options and through `POST /_local/msk/clusters`.
 */
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeClusterCommand,
  DescribeClusterV2Command,
  DescribeConfigurationRevisionCommand,
  GetBootstrapBrokersCommand,
  KafkaClient,
  ListClustersV2Command,
  ListNodesCommand,
  NotFoundException,
  BadRequestException,
  type BrokerSoftwareInfo,
} from '@aws-sdk/client-kafka';
import { useLocalAws } from '../../helpers/local-aws.ts';

const BROKERS = ['127.0.0.1:19092', '127.0.0.1:19093', '127.0.0.1:19094'];
const SERVERLESS_ARN =
  'arn:aws:kafka:us-east-1:000000000000:cluster/serverless-one/11111111-2222-3333-4444-555555555555-1';

function properties(blob: Uint8Array | undefined): Record<string, string> {
  const text = Buffer.from(blob ?? new Uint8Array()).toString('utf8');
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

describe('local MSK control plane', () => {
  const local = useLocalAws({
    kafka: { brokers: BROKERS },
    msk: {
      cluster: {
        vpcId: 'vpc-0a0a0a0a0a0a0a0a0',
        subnetIds: ['subnet-0a0a0a0a0a0a0a0a1', 'subnet-0a0a0a0a0a0a0a0a2'],
        securityGroupIds: ['sg-0a0a0a0a0a0a0a0a0'],
        numPartitions: 3,
      },
      clusters: [{ arn: SERVERLESS_ARN, type: 'SERVERLESS' }],
    },
  });
  let kafka: KafkaClient;
  let ec2: EC2Client;

  const connect = () => {
    kafka = local.client(KafkaClient);
    ec2 = local.client(EC2Client);
  };

  beforeAll(connect);

  /** The server.properties of a cluster's current configuration revision, as MSK describes it. */
  const serverProperties = async (software: BrokerSoftwareInfo): Promise<Record<string, string>> => {
    const revision = await kafka.send(
      new DescribeConfigurationRevisionCommand({
        Arn: software.ConfigurationArn,
        Revision: software.ConfigurationRevision,
      }),
    );
    return properties(revision.ServerProperties);
  };

  it('describes the dev cluster as an ACTIVE provisioned cluster in the stack VPC, with its brokers and configuration', async () => {
    const arn = local.aws.msk.devClusterArn!;
    expect(arn).toMatch(/^arn:aws:kafka:us-east-1:000000000000:cluster\/clickstream-local\/[0-9a-f-]{36}-1$/);
    const { ClusterInfo: info } = await kafka.send(new DescribeClusterV2Command({ ClusterArn: arn }));
    expect(info).toMatchObject({
      ClusterArn: arn,
      ClusterName: 'clickstream-local',
      ClusterType: 'PROVISIONED',
      State: 'ACTIVE',
    });
    expect(info!.CreationTime).toBeInstanceOf(Date);
    const provisioned = info!.Provisioned!;
    expect(provisioned.NumberOfBrokerNodes).toBe(3);
    expect(provisioned.BrokerNodeGroupInfo).toMatchObject({
      ClientSubnets: ['subnet-0a0a0a0a0a0a0a0a1', 'subnet-0a0a0a0a0a0a0a0a2'],
      SecurityGroups: ['sg-0a0a0a0a0a0a0a0a0'],
    });
    expect(provisioned.EncryptionInfo?.EncryptionInTransit).toEqual({
      ClientBroker: 'TLS_PLAINTEXT',
      InCluster: true,
    });
    expect(provisioned.ClientAuthentication).toMatchObject({
      Unauthenticated: { Enabled: true },
      Tls: { Enabled: false },
      Sasl: { Iam: { Enabled: false }, Scram: { Enabled: false } },
    });

    expect(await serverProperties(provisioned.CurrentBrokerSoftwareInfo!)).toMatchObject({
      'auto.create.topics.enable': 'true',
      'default.replication.factor': '3',
      'num.partitions': '3',
    });

    const bootstrap = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }));
    expect(bootstrap.BootstrapBrokerString).toBe(BROKERS.join(','));
    const nodes = await kafka.send(new ListNodesCommand({ ClusterArn: arn }));
    expect(
      nodes.NodeInfoList?.map((n) => [n.NodeType, n.BrokerNodeInfo?.BrokerId, n.BrokerNodeInfo?.Endpoints]),
    ).toEqual([
      ['BROKER', 1, ['127.0.0.1']],
      ['BROKER', 2, ['127.0.0.1']],
      ['BROKER', 3, ['127.0.0.1']],
    ]);
    const v1 = await kafka.send(new DescribeClusterCommand({ ClusterArn: arn }));
    expect(v1.ClusterInfo?.NumberOfBrokerNodes).toBe(3);
  });

  it('describes rule-breaking clusters registered over HTTP and through options', async () => {
    const response = await fetch(`${local.aws.url}/_local/msk/clusters`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'breaks-rules',
        state: 'CREATING',
        vpcId: 'vpc-0b0b0b0b0b0b0b0b0',
        subnetIds: ['subnet-0b0b0b0b0b0b0b0b1'],
        brokerCount: 2,
        clientAuthentication: { unauthenticated: false, iam: true },
        clientBroker: 'TLS',
        serverProperties: { 'auto.create.topics.enable': false, 'default.replication.factor': 3 },
      }),
    });
    expect(response.status).toBe(201);
    const arn = ((await response.json()) as { clusterInfo: { clusterArn: string } }).clusterInfo.clusterArn;
    const { ClusterInfo: info } = await kafka.send(new DescribeClusterV2Command({ ClusterArn: arn }));
    expect(info).toMatchObject({
      ClusterName: 'breaks-rules',
      State: 'CREATING',
      ClusterType: 'PROVISIONED',
    });
    expect(info!.Provisioned).toMatchObject({
      NumberOfBrokerNodes: 2,
      EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS' } },
      ClientAuthentication: { Unauthenticated: { Enabled: false }, Sasl: { Iam: { Enabled: true } } },
      BrokerNodeGroupInfo: { ClientSubnets: ['subnet-0b0b0b0b0b0b0b0b1'] },
    });
    expect(await serverProperties(info!.Provisioned!.CurrentBrokerSoftwareInfo!)).toMatchObject({
      'auto.create.topics.enable': 'false',
      'default.replication.factor': '3',
    });
    await expect(kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }))).rejects.toBeInstanceOf(
      BadRequestException,
    );

    // Its subnet lies in another VPC, which EC2 reports; unknown subnets do not exist.
    const subnets = await ec2.send(
      new DescribeSubnetsCommand({ SubnetIds: ['subnet-0b0b0b0b0b0b0b0b1', 'subnet-0a0a0a0a0a0a0a0a1'] }),
    );
    expect(subnets.Subnets?.map((s) => [s.SubnetId, s.VpcId])).toEqual([
      ['subnet-0b0b0b0b0b0b0b0b1', 'vpc-0b0b0b0b0b0b0b0b0'],
      ['subnet-0a0a0a0a0a0a0a0a1', 'vpc-0a0a0a0a0a0a0a0a0'],
    ]);
    await expect(
      ec2.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0000000000000dead'] })),
    ).rejects.toMatchObject({ name: 'InvalidSubnetID.NotFound' });

    const serverless = await kafka.send(new DescribeClusterV2Command({ ClusterArn: SERVERLESS_ARN }));
    expect(serverless.ClusterInfo).toMatchObject({
      ClusterType: 'SERVERLESS',
      ClusterName: 'serverless-one',
    });
    expect(serverless.ClusterInfo?.Provisioned).toBeUndefined();
    expect(serverless.ClusterInfo?.Serverless?.ClientAuthentication?.Sasl?.Iam?.Enabled).toBe(true);

    const listed = await kafka.send(new ListClustersV2Command({}));
    expect(listed.ClusterInfoList?.map((c) => c.ClusterName).sort()).toEqual([
      'breaks-rules',
      'clickstream-local',
      'serverless-one',
    ]);

    // Registered clusters survive a restart.
    kafka.destroy();
    ec2.destroy();
    await local.restart();
    connect();
    expect((await kafka.send(new DescribeClusterV2Command({ ClusterArn: arn }))).ClusterInfo?.ClusterName).toBe(
      'breaks-rules',
    );
  });

  it('answers NotFoundException for an unknown cluster or configuration', async () => {
    const unknown = 'arn:aws:kafka:us-east-1:000000000000:cluster/nope/00000000-0000-0000-0000-000000000000-1';
    await expect(kafka.send(new DescribeClusterV2Command({ ClusterArn: unknown }))).rejects.toBeInstanceOf(
      NotFoundException,
    );
    await expect(
      kafka.send(
        new DescribeConfigurationRevisionCommand({
          Arn: 'arn:aws:kafka:us-east-1:000000000000:configuration/nope/1',
          Revision: 1,
        }),
      ),
    ).rejects.toBeInstanceOf(NotFoundException);
  });
});
