/**
 * What the local AWS endpoint says about the dev brokers' secured listeners, through the
 * unchanged SDK v3 and the AWS CLI: Secrets Manager (CreateSecret, GetSecretValue by name and
 * ARN, AWS's errors), MSK GetBootstrapBrokers / DescribeClusterV2 with the TLS, SASL/SCRAM and
 * IAM listeners, and the listener MSK event source mappings are given.
 */
import {
  CreateSecretCommand,
  GetSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { DescribeClusterV2Command, GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import { CreateEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { awsCli } from '../../helpers/aws-cli.ts';
import { useLocalAws } from '../../helpers/local-aws.ts';
import type { KafkaSourceOptions, OpenKafkaSource } from '../../../../local/aws/lambda/kafka-source.ts';

const BROKERS = ['127.0.0.1:19092', '127.0.0.1:19093'];
const LISTENERS = {
  tls: ['127.0.0.1:19292', '127.0.0.1:19293'],
  scram: ['127.0.0.1:19392', '127.0.0.1:19393'],
  iam: ['127.0.0.1:19492', '127.0.0.1:19493'],
};
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

describe('local AWS endpoint: Secrets Manager and MSK with secured listeners', () => {
  let secrets: SecretsManagerClient;
  let kafka: KafkaClient;
  let lambda: LambdaClient;
  const opened: KafkaSourceOptions[] = [];
  // Records what the pollers were asked to open; never connects (the brokers are not running).
  const openKafkaSource: OpenKafkaSource = async (options) => {
    opened.push(options);
    return { pause() {}, resume() {}, commit: async () => undefined, close: async () => undefined };
  };

  const local = useLocalAws({
    kafka: { brokers: BROKERS, caPem: CA },
    msk: { cluster: { listeners: LISTENERS } },
    invoke: async () => ({}),
    openKafkaSource,
  });
  beforeAll(() => {
    secrets = local.client(SecretsManagerClient);
    kafka = local.client(KafkaClient);
    lambda = local.client(LambdaClient);
  });

  it('creates a secret and returns it by name and by ARN; a duplicate or unknown secret gets AWS errors', async () => {
    const value = JSON.stringify({ username: 'alice', password: 'alice-secret' });
    const created = await secrets.send(new CreateSecretCommand({ Name: 'AmazonMSK_alice', SecretString: value }));
    expect(created.ARN).toMatch(/^arn:aws:secretsmanager:us-east-1:000000000000:secret:AmazonMSK_alice-[0-9a-f]{6}$/);
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'AmazonMSK_alice' }))).SecretString).toBe(value);
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: created.ARN }))).SecretString).toBe(value);
    await expect(
      secrets.send(new CreateSecretCommand({ Name: 'AmazonMSK_alice', SecretString: '{}' })),
    ).rejects.toBeInstanceOf(ResourceExistsException);
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: 'AmazonMSK_nobody' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('answers the AWS CLI (get-secret-value --query SecretString)', async () => {
    const { code, stdout } = await awsCli(local.aws.url, [
      '--region',
      'us-east-1',
      'secretsmanager',
      'get-secret-value',
      '--secret-id',
      'AmazonMSK_alice',
      '--query',
      'SecretString',
      '--output',
      'text',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ username: 'alice', password: 'alice-secret' });
  });

  it('GetBootstrapBrokers lists the TLS, SASL/SCRAM and IAM listeners; DescribeClusterV2 shows SCRAM and IAM enabled', async () => {
    const arn = local.aws.msk.devClusterArn!;
    const bootstrap = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: arn }));
    expect(bootstrap).toMatchObject({
      BootstrapBrokerString: BROKERS.join(','),
      BootstrapBrokerStringTls: LISTENERS.tls.join(','),
      BootstrapBrokerStringSaslScram: LISTENERS.scram.join(','),
      BootstrapBrokerStringSaslIam: LISTENERS.iam.join(','),
    });
    const { ClusterInfo: info } = await kafka.send(new DescribeClusterV2Command({ ClusterArn: arn }));
    expect(info?.Provisioned?.ClientAuthentication).toEqual({
      Sasl: { Scram: { Enabled: true }, Iam: { Enabled: true } },
      Tls: { CertificateAuthorityArnList: [], Enabled: false },
      Unauthenticated: { Enabled: true },
    });
  });

  it('a cluster on the dev brokers without SCRAM and IAM lists only what it enables', async () => {
    const info = local.aws.msk.register({
      name: 'tls-only',
      clientBroker: 'TLS',
      clientAuthentication: { scram: false, iam: false },
    });
    const bootstrap = await kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: String(info.clusterArn) }));
    expect(bootstrap.BootstrapBrokerStringTls).toBe(LISTENERS.tls.join(','));
    expect(bootstrap.BootstrapBrokerString).toBeUndefined();
    expect(bootstrap.BootstrapBrokerStringSaslScram).toBeUndefined();
    expect(bootstrap.BootstrapBrokerStringSaslIam).toBeUndefined();
  });

  it('MSK mappings consume over SCRAM with the mapping secret, else IAM when enabled, else TLS', async () => {
    const tlsOnly = local.aws.msk.clusters().find((c) => c.clusterName === 'tls-only')!;
    const create = (arn: string, topic: string, access?: Array<{ Type: 'SASL_SCRAM_512_AUTH'; URI: string }>) =>
      lambda.send(
        new CreateEventSourceMappingCommand({
          FunctionName: 'sink',
          EventSourceArn: arn,
          Topics: [topic],
          StartingPosition: 'TRIM_HORIZON',
          ...(access ? { SourceAccessConfigurations: access } : {}),
        }),
      );
    const secretArn = 'arn:aws:secretsmanager:us-east-1:000000000000:secret:AmazonMSK_alice-abcdef';
    await create(local.aws.msk.devClusterArn!, 'via-scram', [{ Type: 'SASL_SCRAM_512_AUTH', URI: secretArn }]);
    await create(local.aws.msk.devClusterArn!, 'via-iam');
    await create(String(tlsOnly.clusterArn), 'via-tls');
    await local.aws.eventSourceMappings.settled();
    const deadline = Date.now() + 10_000;
    while (opened.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25));
    const byTopic = Object.fromEntries(opened.map((o) => [o.topic, { brokers: o.brokers, ...o.security }]));
    expect(byTopic['via-scram']).toEqual({
      brokers: LISTENERS.scram,
      auth: 'scram',
      scramSecretArn: secretArn,
      region: 'us-east-1',
      caPem: CA,
    });
    expect(byTopic['via-iam']).toEqual({
      brokers: LISTENERS.iam,
      auth: 'iam',
      region: 'us-east-1',
      caPem: CA,
    });
    expect(byTopic['via-tls']).toEqual({
      brokers: LISTENERS.tls,
      auth: 'tls',
      region: 'us-east-1',
      caPem: CA,
    });
  });
});
