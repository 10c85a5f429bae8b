/**
 * The MSK clusters the local endpoint describes: the dev cluster (the local brokers, described as
 * a PROVISIONED, ACTIVE cluster in the stack's VPC with unauthenticated plaintext access and a
 * custom configuration matching the dev brokers' settings) and any number of extra clusters made
 * from overrides, to describe clusters that break the pipeline's rules (serverless, CREATING,
 * another VPC, no unauthenticated access, TLS only, replication factor above the broker count,
 * topic auto-creation off, ...). Everything here is pure: specs in, API shapes out.
 */
import { createHash } from 'node:crypto';

export type ClusterType = 'PROVISIONED' | 'SERVERLESS';
export type ClusterState =
  'ACTIVE' | 'CREATING' | 'DELETING' | 'FAILED' | 'HEALING' | 'MAINTENANCE' | 'REBOOTING_BROKER' | 'UPDATING';
export type ClientBroker = 'TLS' | 'TLS_PLAINTEXT' | 'PLAINTEXT';

export interface ClientAuthSpec {
  unauthenticated: boolean;
  tls: boolean;
  scram: boolean;
  iam: boolean;
}

/** A cluster as the local MSK describes it. */
export interface ClusterSpec {
  arn: string;
  name: string;
  type: ClusterType;
  state: ClusterState;
  /** host:port (plaintext listeners); their number is the number of broker nodes unless `brokerCount` says otherwise. */
  brokers: string[];
  brokerCount: number;
  kafkaVersion: string;
  instanceType: string;
  vpcId: string;
  subnetIds: string[];
  securityGroupIds: string[];
  clientAuthentication: ClientAuthSpec;
  clientBroker: ClientBroker;
  /** Broker settings of the cluster's configuration revision; undefined: MSK's default configuration (no custom one). */
  serverProperties: Record<string, string> | undefined;
  /** epoch ms */
  creationTime: number;
  /** Whether its brokers are the dev brokers (GetBootstrapBrokers gives only what they really serve). */
  local: boolean;
  /** The dev brokers' secured listeners (host:port lists), when they are on. */
  listeners: DevListeners;
}

/** The dev brokers' secured listeners: TLS (MSK 9094), SASL/SCRAM (9096), IAM (9098). */
export interface DevListeners {
  tls?: readonly string[];
  scram?: readonly string[];
  iam?: readonly string[];
}

/** What a caller may set for an extra cluster (everything optional; the rest as the dev cluster). */
export interface ClusterOverrides {
  arn?: string;
  name?: string;
  type?: ClusterType;
  state?: ClusterState;
  brokers?: string[];
  brokerCount?: number;
  kafkaVersion?: string;
  vpcId?: string;
  subnetIds?: string[];
  securityGroupIds?: string[];
  clientAuthentication?: Partial<ClientAuthSpec>;
  clientBroker?: ClientBroker;
  /** Merged into the dev cluster's settings; `null` removes the custom configuration (MSK defaults apply). */
  serverProperties?: Record<string, string | number | boolean> | null;
  /** Its `brokers` are dev brokers too (a second local cluster): bootstrap strings as for the dev cluster. */
  local?: boolean;
}

export interface DevClusterSettings {
  brokers: readonly string[];
  arn?: string;
  name?: string;
  vpcId?: string;
  subnetIds?: readonly string[];
  securityGroupIds?: readonly string[];
  kafkaVersion?: string;
  /** The dev brokers' secured listeners; SCRAM and IAM are reported enabled when theirs are on. */
  listeners?: DevListeners;
  /** The dev brokers' settings (local/kafka defaults: auto-create on, replication min(3, brokers), 1 partition). */
  autoCreateTopics?: boolean;
  defaultReplicationFactor?: number;
  numPartitions?: number;
}

export const DEFAULT_NETWORK = {
  vpcId: 'vpc-00000000000000001',
  subnetIds: ['subnet-00000000000000001', 'subnet-00000000000000002'],
  securityGroupIds: ['sg-00000000000000001'],
} as const;
export const DEFAULT_DEV_CLUSTER_NAME = 'clickstream-local';
export const KAFKA_VERSION = '3.6.0';
const CLUSTER_ARN = /^arn:aws[a-z-]*:kafka:([a-z0-9-]+):(\d{12}):cluster\/([^/]+)\/([^/]+)$/;

export function isClusterArn(value: string): boolean {
  return CLUSTER_ARN.test(value);
}

/** A stable MSK-style cluster ARN: `arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>-1`. */
export function clusterArn(name: string, region: string, accountId: string): string {
  const hex = createHash('sha1').update(`${region}/${accountId}/${name}`).digest('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
  return `arn:aws:kafka:${region}:${accountId}:cluster/${name}/${uuid}-1`;
}

/** The configuration ARN of a cluster's custom configuration. */
export function configurationArn(cluster: ClusterSpec): string {
  const [, region = 'us-east-1', account = '000000000000', name = cluster.name, id = '0'] =
    CLUSTER_ARN.exec(cluster.arn) ?? [];
  return `arn:aws:kafka:${region}:${account}:configuration/${name}-config/${id}`;
}

export function devCluster(settings: DevClusterSettings, region: string, accountId: string): ClusterSpec {
  const name = settings.name ?? DEFAULT_DEV_CLUSTER_NAME;
  const brokerCount = settings.brokers.length;
  return {
    arn: settings.arn ?? clusterArn(name, region, accountId),
    name,
    type: 'PROVISIONED',
    state: 'ACTIVE',
    brokers: [...settings.brokers],
    brokerCount,
    kafkaVersion: settings.kafkaVersion ?? KAFKA_VERSION,
    instanceType: 'kafka.m5.large',
    vpcId: settings.vpcId ?? DEFAULT_NETWORK.vpcId,
    subnetIds: [...(settings.subnetIds ?? DEFAULT_NETWORK.subnetIds)],
    securityGroupIds: [...(settings.securityGroupIds ?? DEFAULT_NETWORK.securityGroupIds)],
    // `tls` is MSK's mutual-TLS client authentication, which the dev brokers do not offer.
    clientAuthentication: {
      unauthenticated: true,
      tls: false,
      scram: settings.listeners?.scram !== undefined,
      iam: settings.listeners?.iam !== undefined,
    },
    clientBroker: 'TLS_PLAINTEXT',
    serverProperties: {
      'auto.create.topics.enable': String(settings.autoCreateTopics ?? true),
      'default.replication.factor': String(settings.defaultReplicationFactor ?? Math.min(3, Math.max(1, brokerCount))),
      'min.insync.replicas': String(Math.min(2, Math.max(1, brokerCount - 1))),
      'num.partitions': String(settings.numPartitions ?? 1),
      'num.io.threads': '8',
      'num.network.threads': '5',
      'num.replica.fetchers': '2',
      'replica.lag.time.max.ms': '30000',
      'socket.receive.buffer.bytes': '102400',
      'socket.request.max.bytes': '104857600',
      'socket.send.buffer.bytes': '102400',
      'unclean.leader.election.enable': 'false',
      'zookeeper.session.timeout.ms': '18000',
    },
    creationTime: Date.UTC(2026, 0, 1),
    local: true,
    listeners: { ...settings.listeners },
  };
}

/** An extra cluster: the dev cluster with overrides (a new ARN from the name unless given). */
export function extraCluster(
  base: ClusterSpec,
  overrides: ClusterOverrides,
  region: string,
  accountId: string,
): ClusterSpec {
  const name =
    overrides.name ?? (overrides.arn ? (CLUSTER_ARN.exec(overrides.arn)?.[3] ?? 'cluster') : 'rule-breaking');
  const arn = overrides.arn ?? clusterArn(name, region, accountId);
  if (!isClusterArn(arn))
    throw new Error(`'${arn}' is not an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)`);
  let serverProperties = base.serverProperties;
  if (overrides.serverProperties === null) serverProperties = undefined;
  else if (overrides.serverProperties) {
    serverProperties = { ...base.serverProperties };
    for (const [key, value] of Object.entries(overrides.serverProperties)) serverProperties[key] = String(value);
  }
  const brokers = overrides.brokers ?? base.brokers;
  return {
    ...base,
    arn,
    name,
    type: overrides.type ?? base.type,
    state: overrides.state ?? base.state,
    brokers: [...brokers],
    brokerCount: overrides.brokerCount ?? (overrides.brokers ? overrides.brokers.length : base.brokerCount),
    kafkaVersion: overrides.kafkaVersion ?? base.kafkaVersion,
    vpcId: overrides.vpcId ?? base.vpcId,
    subnetIds: [...(overrides.subnetIds ?? base.subnetIds)],
    securityGroupIds: [...(overrides.securityGroupIds ?? base.securityGroupIds)],
    clientAuthentication: { ...base.clientAuthentication, ...overrides.clientAuthentication },
    clientBroker: overrides.clientBroker ?? base.clientBroker,
    serverProperties,
    creationTime: Date.now(),
    local: overrides.local ?? (overrides.brokers === undefined && base.local),
    listeners: overrides.brokers === undefined ? base.listeners : {},
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

function softwareInfo(cluster: ClusterSpec): Record<string, unknown> {
  return cluster.serverProperties
    ? {
        configurationArn: configurationArn(cluster),
        configurationRevision: 1,
        kafkaVersion: cluster.kafkaVersion,
      }
    : { kafkaVersion: cluster.kafkaVersion };
}

function clientAuthentication(cluster: ClusterSpec): Record<string, unknown> {
  const auth = cluster.clientAuthentication;
  return {
    sasl: { scram: { enabled: auth.scram }, iam: { enabled: auth.iam } },
    tls: { certificateAuthorityArnList: [], enabled: auth.tls },
    unauthenticated: { enabled: auth.unauthenticated },
  };
}

function brokerNodeGroupInfo(cluster: ClusterSpec): Record<string, unknown> {
  return {
    brokerAZDistribution: 'DEFAULT',
    clientSubnets: cluster.subnetIds,
    instanceType: cluster.instanceType,
    securityGroups: cluster.securityGroupIds,
    storageInfo: { ebsStorageInfo: { volumeSize: 100 } },
    connectivityInfo: { publicAccess: { type: 'DISABLED' } },
    zoneIds: cluster.subnetIds.map((_, i) => `use1-az${i + 1}`),
  };
}

const zookeeper = (cluster: ClusterSpec): string =>
  Array.from({ length: 3 }, (_, i) => `z-${i + 1}.${cluster.name}.local.c2.kafka.local:2181`).join(',');

/** `Cluster` of DescribeClusterV2 / ListClustersV2. */
export function describeV2(cluster: ClusterSpec): Record<string, unknown> {
  const common = {
    clusterArn: cluster.arn,
    clusterName: cluster.name,
    clusterType: cluster.type,
    creationTime: iso(cluster.creationTime),
    currentVersion: 'K3AEGXETSR30VB',
    state: cluster.state,
    tags: {},
  };
  if (cluster.type === 'SERVERLESS') {
    return {
      ...common,
      serverless: {
        vpcConfigs: [{ subnetIds: cluster.subnetIds, securityGroupIds: cluster.securityGroupIds }],
        clientAuthentication: { sasl: { iam: { enabled: true } } },
      },
    };
  }
  return {
    ...common,
    provisioned: {
      brokerNodeGroupInfo: brokerNodeGroupInfo(cluster),
      currentBrokerSoftwareInfo: softwareInfo(cluster),
      clientAuthentication: clientAuthentication(cluster),
      encryptionInfo: {
        encryptionAtRest: { dataVolumeKMSKeyId: `arn:aws:kms:us-east-1:000000000000:key/local-msk` },
        encryptionInTransit: { clientBroker: cluster.clientBroker, inCluster: true },
      },
      enhancedMonitoring: 'DEFAULT',
      openMonitoring: {
        prometheus: { jmxExporter: { enabledInBroker: false }, nodeExporter: { enabledInBroker: false } },
      },
      numberOfBrokerNodes: cluster.brokerCount,
      zookeeperConnectString: zookeeper(cluster),
      storageMode: 'LOCAL',
    },
  };
}

/** `ClusterInfo` of DescribeCluster (v1; provisioned clusters only). */
export function describeV1(cluster: ClusterSpec): Record<string, unknown> {
  return {
    brokerNodeGroupInfo: brokerNodeGroupInfo(cluster),
    clientAuthentication: clientAuthentication(cluster),
    clusterArn: cluster.arn,
    clusterName: cluster.name,
    creationTime: iso(cluster.creationTime),
    currentBrokerSoftwareInfo: softwareInfo(cluster),
    currentVersion: 'K3AEGXETSR30VB',
    encryptionInfo: { encryptionInTransit: { clientBroker: cluster.clientBroker, inCluster: true } },
    enhancedMonitoring: 'DEFAULT',
    numberOfBrokerNodes: cluster.brokerCount,
    state: cluster.state,
    tags: {},
    zookeeperConnectString: zookeeper(cluster),
    storageMode: 'LOCAL',
  };
}

const withPort = (brokers: readonly string[], port: number): string =>
  brokers.map((b) => `${b.slice(0, b.lastIndexOf(':'))}:${port}`).join(',');

/**
 * GetBootstrapBrokers: one string per enabled access path. Clusters on the dev brokers list
 * what those really serve: plaintext, and the TLS, SASL/SCRAM and IAM listeners when they are on.
 */
export function bootstrapBrokers(cluster: ClusterSpec): Record<string, string> {
  if (cluster.type === 'SERVERLESS') return { bootstrapBrokerStringSaslIam: withPort(cluster.brokers, 9098) };
  const auth = cluster.clientAuthentication;
  const plaintextAllowed = cluster.clientBroker !== 'TLS';
  const tlsAllowed = cluster.clientBroker !== 'PLAINTEXT';
  const out: Record<string, string> = {};
  if (auth.unauthenticated && plaintextAllowed) out.bootstrapBrokerString = cluster.brokers.join(',');
  if (cluster.local) {
    const { tls, scram, iam } = cluster.listeners;
    if (auth.unauthenticated && tlsAllowed && tls) out.bootstrapBrokerStringTls = tls.join(',');
    if (auth.scram && tlsAllowed && scram) out.bootstrapBrokerStringSaslScram = scram.join(',');
    if (auth.iam && tlsAllowed && iam) out.bootstrapBrokerStringSaslIam = iam.join(',');
    return out;
  }
  if ((auth.unauthenticated || auth.tls) && tlsAllowed) out.bootstrapBrokerStringTls = withPort(cluster.brokers, 9094);
  if (auth.scram) out.bootstrapBrokerStringSaslScram = withPort(cluster.brokers, 9096);
  if (auth.iam) out.bootstrapBrokerStringSaslIam = withPort(cluster.brokers, 9098);
  return out;
}

/** ListNodes: one BROKER node per broker (ids from 1, as MSK numbers them). */
export function nodes(cluster: ClusterSpec): Record<string, unknown>[] {
  return Array.from({ length: cluster.brokerCount }, (_, i) => {
    const address = cluster.brokers[i % Math.max(1, cluster.brokers.length)] ?? '127.0.0.1:9092';
    const host = address.slice(0, address.lastIndexOf(':'));
    return {
      addedToClusterTime: iso(cluster.creationTime),
      brokerNodeInfo: {
        attachedENIId: `eni-${String(i + 1).padStart(17, '0')}`,
        brokerId: i + 1,
        clientSubnet: cluster.subnetIds[i % Math.max(1, cluster.subnetIds.length)],
        clientVpcIpAddress: host,
        currentBrokerSoftwareInfo: { kafkaVersion: cluster.kafkaVersion },
        endpoints: [host],
      },
      instanceType: cluster.instanceType.replace(/^kafka\./, ''),
      nodeARN: `${cluster.arn.replace(':cluster/', ':broker/')}/${i + 1}`,
      nodeType: 'BROKER',
    };
  });
}

/** The server.properties text of a configuration revision. */
export function serverPropertiesText(properties: Record<string, string>): string {
  return (
    Object.entries(properties)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') + '\n'
  );
}
