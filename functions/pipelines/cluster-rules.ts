/**
 * The rules a pipeline's cluster must meet, as pure functions over what the AWS and Kafka
 * APIs said about a cluster. ValidateCluster gathers the facts; these functions evaluate EVERY
 * rule and return every violation, so a person fixes the cluster once, not rule by rule.
 *
 * Rules (MSK): provisioned, not serverless; same VPC as the solution; unauthenticated access
 * and plaintext for the default setup (generalised: the requested auth must be enabled and the
 * encryption in transit must allow its transport); auto.create.topics.enable or an explicit
 * topic (the workflow always creates the topic itself, see CreateTopic); default.replication.factor
 * not larger than the broker count. Self-hosted: at least two brokers, same VPC (reachable from
 * the solution's subnets), a security group. Added: ACTIVE, the requested replication factor not
 * larger than the broker count, the sink mode supports the auth.
 */
import type { Cluster, GetBootstrapBrokersResponse } from '@aws-sdk/client-kafka';
import { MSK_BOOTSTRAP, splitBrokers } from '../lib/brokers.ts';
import type { KafkaAuth } from '../lib/kafka/config.ts';
import type { PipelineSpec } from './model.ts';

/** What ValidateCluster hands to the following states (CreateTopic, the sink tasks). */
export interface ValidatedCluster {
  kind: 'msk' | 'self-hosted';
  /** host:port of the brokers for the pipeline's auth (MSK: 9092 none, 9094 tls, 9096 scram, 9098 iam). */
  bootstrapBrokers: string[];
  brokerCount: number;
  /** The replication factor CreateTopic uses: the requested one, or min(3, brokers). */
  replicationFactor: number;
  partitions: number;
  auth: KafkaAuth;
  /** Drives the state machine's Choice. */
  sinkMode: 'lambda' | 'connector';
  /** The broker setting as read; null when it could not be read. */
  autoCreateTopicsEnable: boolean | null;
  defaultReplicationFactor: number | null;
  /** The workflow never relies on auto-creation: CreateTopic creates (or reuses) the topic. */
  topicCreation: 'explicit';
  /** MSK: the cluster's client subnets (informational). */
  clientSubnets?: string[];
}

export interface RuleOutcome {
  violations: string[];
  cluster: ValidatedCluster | undefined;
}

/** Parses server.properties text (what DescribeConfigurationRevision returns, base64-decoded). */
export function parseServerProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const at = line.search(/[=:]/);
    if (at <= 0) continue;
    out.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return out;
}

function parseBool(value: string | undefined): boolean | null {
  if (value === undefined) return null;
  const v = value.trim().toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : null;
}

function parseIntOrNull(value: string | undefined): number | null {
  if (value === undefined || !/^-?\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}

/** Rules that depend only on the pipeline's settings against the sink mode. */
function sinkModeViolations(spec: PipelineSpec, kind: 'msk' | 'self-hosted'): string[] {
  const out: string[] = [];
  const { auth } = spec.kafka;
  if (spec.sink.mode === 'connector' && auth === 'scram') {
    out.push(
      "sink mode 'connector': MSK Connect authenticates to Kafka only without authentication or with IAM; use kafka.auth 'none', 'tls' or 'iam', or sink mode 'lambda'",
    );
  }
  if (kind === 'self-hosted' && auth === 'iam') {
    out.push("kafka.auth 'iam' is only available on Amazon MSK; a self-hosted cluster needs 'none', 'tls' or 'scram'");
  }
  if (spec.sink.mode === 'connector' && auth !== 'none' && spec.kafka.caPem !== undefined) {
    out.push(
      "sink mode 'connector' with a private CA (kafka.caPem): MSK Connect trusts only public certificate authorities here; use a publicly trusted broker certificate or sink mode 'lambda'",
    );
  }
  if (kind === 'self-hosted' && spec.sink.mode === 'lambda' && auth === 'tls' && spec.kafka.caPem !== undefined) {
    out.push(
      "sink mode 'lambda' with a private CA (kafka.caPem): Lambda event source mappings read the root CA from a Secrets Manager secret, which pipelines do not create; use a publicly trusted broker certificate or sink mode 'connector'",
    );
  }
  return out;
}

/** Where a connector's plugin archive must be: the CreatePlugin role reads only these objects. */
export const PLUGIN_PREFIX = 'plugins/';

/**
 * Rules on where the records go and what the stack's roles can read. `lambda` mode writes through
 * the stack's Firehose stream, which delivers into the stack's data bucket; `connector` mode runs
 * with the stack's connector service role, which may write only the data bucket. Another bucket
 * would let the connector reach RUNNING while every write is denied, so it is refused up front.
 * CreateCustomPlugin reads the plugin archive with the CreatePlugin role's rights, which cover the
 * data bucket's plugins/ prefix only.
 */
export function deliveryViolations(spec: PipelineSpec, dataBucket: string): string[] {
  const out: string[] = [];
  if (spec.sink.bucket !== undefined && spec.sink.bucket !== dataBucket) {
    out.push(
      spec.sink.mode === 'lambda'
        ? `sink.bucket '${spec.sink.bucket}': sink mode 'lambda' delivers through the stack's Firehose stream into its data bucket '${dataBucket}'; omit sink.bucket`
        : `sink.bucket '${spec.sink.bucket}': the connector's service role may write only the stack's data bucket '${dataBucket}'; omit sink.bucket (or add the bucket to ConnectorServiceRole in resources/connector.yml and redeploy)`,
    );
  }
  const location = spec.sink.mode === 'connector' ? spec.sink.connector?.pluginLocation : undefined;
  if (location) {
    const bucket = location.bucketArn.slice(location.bucketArn.lastIndexOf(':') + 1);
    if (bucket !== dataBucket || !location.fileKey.startsWith(PLUGIN_PREFIX)) {
      out.push(
        `sink.connector.pluginLocation s3://${bucket}/${location.fileKey}: the plugin archive must be uploaded to the stack's data bucket under ${PLUGIN_PREFIX} (s3://${dataBucket}/${PLUGIN_PREFIX}...), the only place CreatePlugin may read; or give pluginArn of an existing custom plugin`,
      );
    }
  }
  return out;
}

function replicationViolations(
  spec: PipelineSpec,
  brokers: number,
  defaultRf: number | null,
  source: string,
): string[] {
  const out: string[] = [];
  const requested = spec.kafka.replicationFactor;
  if (requested !== undefined && requested > brokers) {
    out.push(
      `kafka.replicationFactor ${requested} is larger than the cluster's ${brokers} broker${brokers === 1 ? '' : 's'}; use at most ${brokers}`,
    );
  }
  if (defaultRf !== null && defaultRf > brokers) {
    out.push(
      `default.replication.factor is ${defaultRf} (${source}) but the cluster has ${brokers} broker${brokers === 1 ? '' : 's'}; set it to at most ${brokers}`,
    );
  }
  return out;
}

export interface MskFacts {
  clusterArn: string;
  /** DescribeClusterV2's ClusterInfo; undefined when the cluster does not exist. */
  cluster: Cluster | undefined;
  bootstrap: GetBootstrapBrokersResponse | undefined;
  /** The cluster configuration's server.properties; undefined = the MSK default configuration. */
  serverProperties: Map<string, string> | undefined;
  /** VPC of each of the cluster's client subnets that is not one of the stack's subnets. */
  subnetVpcs: Record<string, string | undefined>;
}

/** The subnets through which clients reach an MSK cluster (provisioned: client subnets; serverless: VPC configs). */
export function mskClientSubnets(info: Cluster): string[] {
  if (info.Provisioned) return info.Provisioned.BrokerNodeGroupInfo?.ClientSubnets ?? [];
  return (info.Serverless?.VpcConfigs ?? []).flatMap((v) => v.SubnetIds ?? []);
}

export interface StackNetwork {
  vpcId: string;
  subnetIds: string[];
}

/** The MSK rules. Every rule is evaluated; the cluster is returned only when none is violated. */
export function evaluateMskRules(spec: PipelineSpec, facts: MskFacts, stack: StackNetwork): RuleOutcome {
  const violations: string[] = [];
  const info = facts.cluster;
  if (info === undefined) {
    return {
      violations: [
        `MSK cluster ${facts.clusterArn} was not found (check the ARN and the region)`,
        ...sinkModeViolations(spec, 'msk'),
      ],
      cluster: undefined,
    };
  }
  const name = info.ClusterName ?? facts.clusterArn;

  if (info.ClusterType === 'SERVERLESS' || (info.Provisioned === undefined && info.Serverless !== undefined)) {
    violations.push(`MSK cluster ${name} is serverless; only provisioned MSK clusters are supported`);
  }
  if (info.State !== 'ACTIVE') {
    violations.push(`MSK cluster ${name} is ${info.State ?? 'in an unknown state'}; it must be ACTIVE`);
  }
  violations.push(...sinkModeViolations(spec, 'msk'));
  const provisioned = info.Provisioned;
  const serverless = provisioned === undefined ? info.Serverless : undefined;
  if (provisioned === undefined && serverless === undefined) {
    return { violations, cluster: undefined };
  }

  // Same VPC: every client subnet is one of the stack's subnets or lies in the stack's VPC.
  const subnets = mskClientSubnets(info);
  const outside = subnets.filter((s) => !stack.subnetIds.includes(s) && facts.subnetVpcs[s] !== stack.vpcId);
  if (subnets.length === 0 || outside.length > 0) {
    const where = outside.map((s) => `${s} (${facts.subnetVpcs[s] ?? 'VPC unknown'})`).join(', ');
    violations.push(
      `MSK cluster ${name} is not in the solution's VPC ${stack.vpcId}: client subnet${outside.length === 1 ? '' : 's'} ${where || '(none reported)'}`,
    );
  }

  // Auth enabled on the cluster, and encryption in transit allowing its transport. A serverless
  // cluster offers IAM over TLS only.
  const auth = spec.kafka.auth;
  const beforeAccess = violations.length;
  const ca = provisioned
    ? provisioned.ClientAuthentication
    : {
        Sasl: { Iam: { Enabled: serverless?.ClientAuthentication?.Sasl?.Iam?.Enabled === true } },
        Unauthenticated: { Enabled: false },
      };
  // No client authentication configured at all means unauthenticated access.
  const unauthenticated =
    ca === undefined ||
    ca.Unauthenticated?.Enabled === true ||
    (ca.Unauthenticated === undefined && ca.Sasl === undefined && ca.Tls === undefined);
  const clientBroker = provisioned?.EncryptionInfo?.EncryptionInTransit?.ClientBroker ?? 'TLS';
  const plaintextAllowed = clientBroker === 'PLAINTEXT' || clientBroker === 'TLS_PLAINTEXT';
  const tlsAllowed = clientBroker === 'TLS' || clientBroker === 'TLS_PLAINTEXT';
  if ((auth === 'none' || auth === 'tls') && !unauthenticated) {
    violations.push(
      `MSK cluster ${name} does not allow unauthenticated access, which kafka.auth '${auth}' needs; enable "Unauthenticated access" in its access control methods or choose the auth it has enabled`,
    );
  }
  if (auth === 'none' && !plaintextAllowed) {
    violations.push(
      `MSK cluster ${name} encrypts client traffic with ${clientBroker} only; kafka.auth 'none' needs plaintext: enable Plaintext (PLAINTEXT or TLS_PLAINTEXT) in its encryption settings, or use kafka.auth 'tls'`,
    );
  }
  if (auth !== 'none' && !tlsAllowed) {
    violations.push(
      `MSK cluster ${name} allows only PLAINTEXT client traffic; kafka.auth '${auth}' needs TLS: enable TLS (TLS or TLS_PLAINTEXT) in its encryption settings, or use kafka.auth 'none'`,
    );
  }
  if (auth === 'scram' && ca?.Sasl?.Scram?.Enabled !== true) {
    violations.push(
      `MSK cluster ${name} does not have SASL/SCRAM authentication enabled, which kafka.auth 'scram' needs`,
    );
  }
  if (auth === 'scram' && spec.kafka.scramSecretArn === undefined) {
    violations.push(
      "kafka.auth 'scram' needs kafka.scramSecretArn (a Secrets Manager secret named AmazonMSK_… associated with the cluster)",
    );
  }
  if (auth === 'iam' && ca?.Sasl?.Iam?.Enabled !== true) {
    violations.push(`MSK cluster ${name} does not have IAM access control enabled, which kafka.auth 'iam' needs`);
  }

  // Broker-level rules do not apply to a serverless cluster (no brokers, no configuration).
  if (provisioned === undefined) return { violations, cluster: undefined };

  const wanted = MSK_BOOTSTRAP[auth];
  const bootstrapBrokers = splitBrokers(facts.bootstrap?.[wanted.field] as string | undefined);
  // Only worth saying when the access rules passed: otherwise they already explain the missing string.
  const accessOk = violations.length === beforeAccess;
  if (info.State === 'ACTIVE' && accessOk && bootstrapBrokers.length === 0) {
    violations.push(
      `MSK cluster ${name} reports no ${wanted.label} bootstrap brokers (port ${wanted.port}) for kafka.auth '${auth}'`,
    );
  }

  // Broker count and replication.
  const brokerCount = provisioned.NumberOfBrokerNodes ?? 0;
  const props = facts.serverProperties;
  const source = props === undefined ? 'MSK default configuration' : 'cluster configuration';
  // MSK's default configuration: auto.create.topics.enable=false, default.replication.factor 3
  // for clusters in 3 Availability Zones, 2 in 2 (one client subnet per zone).
  const autoCreate = props === undefined ? false : (parseBool(props.get('auto.create.topics.enable')) ?? false);
  const defaultRf =
    props === undefined || !props.has('default.replication.factor')
      ? subnets.length >= 3
        ? 3
        : 2
      : parseIntOrNull(props.get('default.replication.factor'));
  if (brokerCount < 1) violations.push(`MSK cluster ${name} reports no broker nodes`);
  else violations.push(...replicationViolations(spec, brokerCount, defaultRf, source));

  if (violations.length > 0) return { violations, cluster: undefined };
  return {
    violations,
    cluster: {
      kind: 'msk',
      bootstrapBrokers,
      brokerCount,
      replicationFactor: spec.kafka.replicationFactor ?? Math.min(3, brokerCount),
      partitions: spec.kafka.partitions,
      auth,
      sinkMode: spec.sink.mode,
      autoCreateTopicsEnable: autoCreate,
      defaultReplicationFactor: defaultRf,
      topicCreation: 'explicit',
      clientSubnets: subnets,
    },
  };
}

export interface SelfHostedFacts {
  /** The brokers as the user listed them. */
  listedBrokers: string[];
  securityGroupId: string | undefined;
  /** Undefined when the cluster answered; otherwise why it could not be reached. */
  unreachable: string | undefined;
  /** Brokers in the cluster's metadata (when reachable). */
  brokerCount: number | undefined;
  /** From DescribeConfigs on a broker; undefined = not readable. */
  autoCreateTopicsEnable: boolean | undefined;
  defaultReplicationFactor: number | undefined;
}

const SECURITY_GROUP = /^sg-[0-9a-f]{8,17}$/;

/** The self-hosted rules. Every rule is evaluated; the cluster is returned only when none is violated. */
export function evaluateSelfHostedRules(spec: PipelineSpec, facts: SelfHostedFacts): RuleOutcome {
  const violations: string[] = [...sinkModeViolations(spec, 'self-hosted')];
  if (facts.securityGroupId === undefined || facts.securityGroupId === '') {
    violations.push(
      'kafka.securityGroupId is required for a self-hosted cluster: the security group that may reach the brokers',
    );
  } else if (!SECURITY_GROUP.test(facts.securityGroupId)) {
    violations.push(`kafka.securityGroupId '${facts.securityGroupId}' is not a security group id (sg-…)`);
  }
  if (facts.unreachable !== undefined) {
    violations.push(
      `the brokers ${facts.listedBrokers.join(', ')} could not be reached from the solution's VPC (${facts.unreachable}); the cluster must be in the same VPC and its security group must admit the solution's subnets`,
    );
  }
  const brokers = facts.brokerCount ?? facts.listedBrokers.length;
  if (brokers < 2) {
    violations.push(
      `the cluster has ${brokers} broker${brokers === 1 ? '' : 's'}${facts.brokerCount === undefined ? ' listed' : ''}; a self-hosted cluster needs at least two`,
    );
  }
  if (facts.brokerCount !== undefined) {
    violations.push(
      ...replicationViolations(spec, facts.brokerCount, facts.defaultReplicationFactor ?? null, 'broker setting'),
    );
  }
  if (violations.length > 0 || facts.brokerCount === undefined) return { violations, cluster: undefined };
  return {
    violations,
    cluster: {
      kind: 'self-hosted',
      bootstrapBrokers: facts.listedBrokers,
      brokerCount: facts.brokerCount,
      replicationFactor: spec.kafka.replicationFactor ?? Math.min(3, facts.brokerCount),
      partitions: spec.kafka.partitions,
      auth: spec.kafka.auth,
      sinkMode: spec.sink.mode,
      autoCreateTopicsEnable: facts.autoCreateTopicsEnable ?? null,
      defaultReplicationFactor: facts.defaultReplicationFactor ?? null,
      topicCreation: 'explicit',
    },
  };
}
