import type { Cluster } from '@aws-sdk/client-kafka';
import {
  deliveryViolations,
  evaluateSelfHostedRules,
  parseServerProperties,
  type SelfHostedFacts,
} from '../../../../functions/pipelines/cluster-rules.ts';
import { evaluateMskRules, type MskFacts } from '../../../../functions/pipelines/msk-cluster-rules.ts';
import type { KafkaAuth } from '../../../../functions/lib/kafka/config.ts';
import type { Pipeline } from '../../../../functions/pipelines/model.ts';
import {
  bootstrapBrokers,
  CLUSTER_ARN,
  connectorSink,
  DATA_BUCKET,
  mskCluster,
  MSK_BROKERS,
  NETWORK,
  pipelineFixture,
} from '../../../workflow/harness.ts';

const stack = { vpcId: NETWORK.vpcId, subnetIds: NETWORK.subnetIds };

function msk(auth: KafkaAuth, over: Partial<Pipeline> = {}, kafka: Partial<Pipeline['kafka']> = {}): Pipeline {
  return pipelineFixture({
    kafka: {
      cluster: { type: 'msk', clusterArn: CLUSTER_ARN },
      topic: 'clicks',
      partitions: 3,
      replicationFactor: undefined,
      auth,
      ...kafka,
    },
    ...over,
  });
}

function facts(cluster: Cluster | undefined, over: Partial<MskFacts> = {}): MskFacts {
  return {
    clusterArn: CLUSTER_ARN,
    cluster,
    bootstrap: {
      ...bootstrapBrokers(),
      BootstrapBrokerStringSaslScram: MSK_BROKERS.map((b) => `${b}:9096`).join(','),
      BootstrapBrokerStringSaslIam: MSK_BROKERS.map((b) => `${b}:9098`).join(','),
    },
    serverProperties: parseServerProperties(
      'auto.create.topics.enable = true\n# comment\ndefault.replication.factor=3\n',
    ),
    subnetVpcs: {},
    ...over,
  };
}

const allAuth = {
  Unauthenticated: { Enabled: true },
  Sasl: { Iam: { Enabled: true }, Scram: { Enabled: true } },
  Tls: { Enabled: true },
};

describe('parseServerProperties', () => {
  it('reads key=value and key: value lines, skipping comments and blanks', () => {
    expect([
      ...parseServerProperties(
        '# MSK\n\nauto.create.topics.enable=true\n! old\nnum.partitions : 6\r\nlog.retention.hours=168',
      ).entries(),
    ]).toEqual([
      ['auto.create.topics.enable', 'true'],
      ['num.partitions', '6'],
      ['log.retention.hours', '168'],
    ]);
  });
});

describe('evaluateMskRules', () => {
  it('passes a provisioned ACTIVE cluster in the stack VPC and returns the brokers of the requested auth', () => {
    const ports: Record<KafkaAuth, number> = { none: 9092, tls: 9094, scram: 9096, iam: 9098 };
    for (const auth of ['none', 'tls', 'scram', 'iam'] as const) {
      const spec = msk(
        auth,
        {},
        auth === 'scram'
          ? { scramSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_x-AbCdEf' }
          : {},
      );
      const out = evaluateMskRules(spec, facts(mskCluster({}, { ClientAuthentication: allAuth })), stack);
      expect(out.violations).toEqual([]);
      expect(out.cluster?.bootstrapBrokers).toEqual(MSK_BROKERS.map((b) => `${b}:${ports[auth]}`));
    }
  });

  it('returns the facts the next states use; the replication factor defaults to min(3, brokers)', () => {
    const out = evaluateMskRules(
      msk('none', { sink: connectorSink() }),
      facts(mskCluster({}, { NumberOfBrokerNodes: 2 }), {
        serverProperties: parseServerProperties('default.replication.factor=2'),
      }),
      stack,
    );
    expect(out).toEqual({
      violations: [],
      cluster: {
        kind: 'msk',
        bootstrapBrokers: MSK_BROKERS.map((b) => `${b}:9092`),
        brokerCount: 2,
        replicationFactor: 2,
        partitions: 3,
        auth: 'none',
        sinkMode: 'connector',
        autoCreateTopicsEnable: false,
        defaultReplicationFactor: 2,
        topicCreation: 'explicit',
        clientSubnets: NETWORK.subnetIds,
      },
    });
  });

  it('applies the MSK default configuration when the cluster has none (auto-create off, RF 3 in 3 AZs, 2 in 2 AZs)', () => {
    const twoAz = mskCluster(
      {},
      {
        NumberOfBrokerNodes: 2,
        BrokerNodeGroupInfo: { ClientSubnets: NETWORK.subnetIds.slice(0, 2), InstanceType: 'kafka.t3.small' },
        CurrentBrokerSoftwareInfo: { KafkaVersion: '3.6.0' },
      },
    );
    const ok = evaluateMskRules(msk('none'), facts(twoAz, { serverProperties: undefined }), stack);
    expect(ok.cluster).toMatchObject({
      autoCreateTopicsEnable: false,
      defaultReplicationFactor: 2,
      replicationFactor: 2,
    });
    const threeAzTwoBrokers = mskCluster({}, { NumberOfBrokerNodes: 2 });
    expect(
      evaluateMskRules(msk('none'), facts(threeAzTwoBrokers, { serverProperties: undefined }), stack).violations,
    ).toEqual([
      'default.replication.factor is 3 (MSK default configuration) but the cluster has 2 brokers; set it to at most 2',
    ]);
  });

  it('accepts client subnets outside the stack list when EC2 places them in the stack VPC', () => {
    const other = mskCluster(
      {},
      {
        BrokerNodeGroupInfo: {
          ClientSubnets: ['subnet-0aaaaaaaaaaaaaaa1', NETWORK.subnetIds[0]!],
          InstanceType: 'kafka.m5.large',
        },
      },
    );
    expect(
      evaluateMskRules(msk('none'), facts(other, { subnetVpcs: { 'subnet-0aaaaaaaaaaaaaaa1': NETWORK.vpcId } }), stack)
        .violations,
    ).toEqual([]);
    expect(evaluateMskRules(msk('none'), facts(other, { subnetVpcs: {} }), stack).violations).toEqual([
      `MSK cluster clickstream-msk is not in the solution's VPC ${NETWORK.vpcId}: client subnet subnet-0aaaaaaaaaaaaaaa1 (VPC unknown)`,
    ]);
  });

  it('checks that the auth is enabled and the encryption in transit allows its transport', () => {
    const tlsOnlyIamOnly = mskCluster(
      {},
      {
        ClientAuthentication: { Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } },
        EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS' } },
      },
    );
    expect(evaluateMskRules(msk('iam'), facts(tlsOnlyIamOnly), stack).violations).toEqual([]);
    expect(evaluateMskRules(msk('scram'), facts(tlsOnlyIamOnly), stack).violations).toEqual([
      "MSK cluster clickstream-msk does not have SASL/SCRAM authentication enabled, which kafka.auth 'scram' needs",
      "kafka.auth 'scram' needs kafka.scramSecretArn (a Secrets Manager secret named AmazonMSK_… associated with the cluster)",
    ]);
    const plaintextOnly = mskCluster({}, { EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'PLAINTEXT' } } });
    expect(evaluateMskRules(msk('tls'), facts(plaintextOnly), stack).violations).toEqual([
      "MSK cluster clickstream-msk allows only PLAINTEXT client traffic; kafka.auth 'tls' needs TLS: enable TLS (TLS or TLS_PLAINTEXT) in its encryption settings, or use kafka.auth 'none'",
    ]);
    // No ClientAuthentication at all is unauthenticated access; no EncryptionInTransit is MSK's default, TLS.
    const defaults = mskCluster({}, { ClientAuthentication: undefined, EncryptionInfo: undefined });
    expect(evaluateMskRules(msk('tls'), facts(defaults), stack).violations).toEqual([]);
    expect(evaluateMskRules(msk('none'), facts(defaults), stack).violations).toEqual([
      "MSK cluster clickstream-msk encrypts client traffic with TLS only; kafka.auth 'none' needs plaintext: enable Plaintext (PLAINTEXT or TLS_PLAINTEXT) in its encryption settings, or use kafka.auth 'tls'",
    ]);
  });

  it('evaluates the rules that still apply to a serverless cluster: its VPC and its auth (IAM over TLS only)', () => {
    const serverless: Cluster = {
      ClusterArn: CLUSTER_ARN,
      ClusterName: 'sls',
      ClusterType: 'SERVERLESS',
      State: 'ACTIVE',
      Serverless: {
        VpcConfigs: [{ SubnetIds: ['subnet-0aaaaaaaaaaaaaaa1'] }],
        ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
      },
    };
    expect(
      evaluateMskRules(
        msk('iam'),
        facts(serverless, { subnetVpcs: { 'subnet-0aaaaaaaaaaaaaaa1': 'vpc-0ffffffffffffffff' } }),
        stack,
      ),
    ).toEqual({
      violations: [
        'MSK cluster sls is serverless; only provisioned MSK clusters are supported',
        `MSK cluster sls is not in the solution's VPC ${NETWORK.vpcId}: client subnet subnet-0aaaaaaaaaaaaaaa1 (vpc-0ffffffffffffffff)`,
      ],
      cluster: undefined,
    });
    expect(
      evaluateMskRules(
        msk('scram', {}, { scramSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_x' }),
        facts(serverless, { subnetVpcs: { 'subnet-0aaaaaaaaaaaaaaa1': NETWORK.vpcId } }),
        stack,
      ).violations,
    ).toEqual([
      'MSK cluster sls is serverless; only provisioned MSK clusters are supported',
      "MSK cluster sls does not have SASL/SCRAM authentication enabled, which kafka.auth 'scram' needs",
    ]);
  });

  it('reports a missing bootstrap string for the auth, unless the access rules already explain it', () => {
    expect(
      evaluateMskRules(
        msk('iam'),
        facts(mskCluster({}, { ClientAuthentication: allAuth }), { bootstrap: bootstrapBrokers() }),
        stack,
      ).violations,
    ).toEqual(["MSK cluster clickstream-msk reports no IAM bootstrap brokers (port 9098) for kafka.auth 'iam'"]);
    const tlsOnly = mskCluster({}, { EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS' } } });
    expect(
      evaluateMskRules(msk('none'), facts(tlsOnly, { bootstrap: { BootstrapBrokerStringTls: 'b-1:9094' } }), stack)
        .violations,
    ).toEqual([expect.stringContaining('encrypts client traffic with TLS only')]);
  });

  it('reports a cluster that does not exist, and settings the sink mode cannot honour', () => {
    expect(
      evaluateMskRules(
        msk(
          'scram',
          { sink: connectorSink() },
          { scramSecretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_x' },
        ),
        facts(undefined),
        stack,
      ).violations,
    ).toEqual([
      `MSK cluster ${CLUSTER_ARN} was not found (check the ARN and the region)`,
      "sink mode 'connector': MSK Connect authenticates to Kafka only without authentication or with IAM; use kafka.auth 'none', 'tls' or 'iam', or sink mode 'lambda'",
    ]);
    expect(
      evaluateMskRules(
        msk('tls', { sink: connectorSink() }, { caPem: '-----BEGIN CERTIFICATE-----' }),
        facts(mskCluster()),
        stack,
      ).violations,
    ).toEqual([expect.stringMatching(/^sink mode 'connector' with a private CA/)]);
  });
});

describe('evaluateSelfHostedRules', () => {
  function shFacts(over: Partial<SelfHostedFacts> = {}): SelfHostedFacts {
    return {
      listedBrokers: ['k1:9092', 'k2:9092'],
      securityGroupId: 'sg-0fedcba9876543210',
      unreachable: undefined,
      brokerCount: 2,
      autoCreateTopicsEnable: true,
      defaultReplicationFactor: 2,
      ...over,
    };
  }
  const spec = (over: Partial<Pipeline['kafka']> = {}, sink?: Pipeline['sink']) =>
    pipelineFixture({
      kafka: {
        cluster: { type: 'self-hosted', brokers: 'k1:9092,k2:9092', securityGroupId: 'sg-0fedcba9876543210' },
        topic: 't',
        partitions: 1,
        replicationFactor: undefined,
        auth: 'none',
        ...over,
      },
      ...(sink ? { sink } : {}),
    });

  it('passes two reachable brokers and bounds the default replication factor by them', () => {
    expect(evaluateSelfHostedRules(spec(), shFacts()).cluster).toMatchObject({
      kind: 'self-hosted',
      brokerCount: 2,
      replicationFactor: 2,
      bootstrapBrokers: ['k1:9092', 'k2:9092'],
      autoCreateTopicsEnable: true,
    });
  });

  it('reports every violation: bad security group, unreachable, fewer than two brokers listed, IAM, lambda + private CA', () => {
    expect(
      evaluateSelfHostedRules(
        spec({ auth: 'iam' }),
        shFacts({
          securityGroupId: 'default',
          unreachable: 'connect ECONNREFUSED',
          brokerCount: undefined,
          listedBrokers: ['k1:9092'],
        }),
      ).violations,
    ).toEqual([
      "kafka.auth 'iam' is only available on Amazon MSK; a self-hosted cluster needs 'none', 'tls' or 'scram'",
      "kafka.securityGroupId 'default' is not a security group id (sg-…)",
      "the brokers k1:9092 could not be reached from the solution's VPC (connect ECONNREFUSED); the cluster must be in the same VPC and its security group must admit the solution's subnets",
      'the cluster has 1 broker listed; a self-hosted cluster needs at least two',
    ]);
    expect(
      evaluateSelfHostedRules(spec({ auth: 'tls', caPem: '-----BEGIN CERTIFICATE-----' }), shFacts()).violations,
    ).toEqual([expect.stringMatching(/^sink mode 'lambda' with a private CA/)]);
  });
});

describe('deliveryViolations', () => {
  it('lambda mode delivers only into the stack data bucket', () => {
    expect(
      deliveryViolations(
        pipelineFixture({
          sink: { mode: 'lambda', bucket: 'elsewhere', maxIntervalSeconds: 1, batchSize: 1 },
        }),
        'data',
      ),
    ).toHaveLength(1);
    expect(
      deliveryViolations(
        pipelineFixture({ sink: { mode: 'lambda', bucket: 'data', maxIntervalSeconds: 1, batchSize: 1 } }),
        'data',
      ),
    ).toEqual([]);
  });

  it('connector mode too: the connector service role may write only the data bucket, so another bucket is refused before the connector runs', () => {
    expect(
      deliveryViolations(pipelineFixture({ sink: { ...connectorSink(), bucket: 'elsewhere' } }), DATA_BUCKET),
    ).toEqual([
      expect.stringMatching(
        /^sink\.bucket 'elsewhere': the connector's service role may write only the stack's data bucket 'clickstream-data-123456789012'/,
      ),
    ]);
    expect(
      deliveryViolations(pipelineFixture({ sink: { ...connectorSink(), bucket: DATA_BUCKET } }), DATA_BUCKET),
    ).toEqual([]);
    expect(deliveryViolations(pipelineFixture({ sink: connectorSink() }), DATA_BUCKET)).toEqual([]);
  });

  it("a plugin archive outside the data bucket's plugins/ prefix is refused (CreatePlugin may read only there)", () => {
    const withLocation = (bucketArn: string, fileKey: string) =>
      pipelineFixture({
        sink: {
          ...connectorSink(),
          connector: {
            ...connectorSink().connector!,
            pluginArn: undefined,
            pluginLocation: { bucketArn, fileKey },
          },
        },
      });
    expect(deliveryViolations(withLocation('arn:aws:s3:::data', 'plugins/s3-sink.zip'), 'data')).toEqual([]);
    expect(deliveryViolations(withLocation('arn:aws:s3:::other', 'plugins/s3-sink.zip'), 'data')).toEqual([
      expect.stringContaining(
        "s3://other/plugins/s3-sink.zip: the plugin archive must be uploaded to the stack's data bucket under plugins/",
      ),
    ]);
    expect(deliveryViolations(withLocation('arn:aws:s3:::data', 'connectors/s3-sink.zip'), 'data')).toHaveLength(1);
  });
});
