/**
 * The MSK cluster rules (cluster-rules.ts has the shared ones): provisioned, not serverless;
 * ACTIVE; same VPC as the solution; the requested auth enabled and the encryption in transit
 * allowing its transport; default.replication.factor and the requested replication factor not
 * larger than the broker count. Pure: ValidateCluster gathers the facts.
 */
import type { Cluster, GetBootstrapBrokersResponse } from '@aws-sdk/client-kafka';
import { MSK_BOOTSTRAP, splitBrokers } from '../lib/brokers.ts';
import {
  parseBool,
  parseIntOrNull,
  replicationViolations,
  sinkModeViolations,
  type RuleOutcome,
} from './cluster-rules.ts';
import type { PipelineSpec } from './model.ts';

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
