/**
 * The rules a pipeline's cluster must meet, as pure functions over what the AWS and Kafka
 * APIs said about a cluster. ValidateCluster gathers the facts; these functions evaluate EVERY
 * rule and return every violation, so a person fixes the cluster once, not rule by rule. The MSK
 * rules are in msk-cluster-rules.ts; this file has the shared ones and the self-hosted rules.
 *
 * Rules (MSK): provisioned, not serverless; same VPC as the solution; unauthenticated access
 * and plaintext for the default setup (generalised: the requested auth must be enabled and the
 * encryption in transit must allow its transport); auto.create.topics.enable or an explicit
 * topic (the workflow always creates the topic itself, see CreateTopic); default.replication.factor
 * not larger than the broker count. Self-hosted: at least two brokers, same VPC (reachable from
 * the solution's subnets), a security group. Added: ACTIVE, the requested replication factor not
 * larger than the broker count, the sink mode supports the auth.
 */
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

export function parseBool(value: string | undefined): boolean | null {
  if (value === undefined) return null;
  const v = value.trim().toLowerCase();
  return v === 'true' ? true : v === 'false' ? false : null;
}

export function parseIntOrNull(value: string | undefined): number | null {
  if (value === undefined || !/^-?\d+$/.test(value.trim())) return null;
  return Number(value.trim());
}

/** Rules that depend only on the pipeline's settings against the sink mode. */
export function sinkModeViolations(spec: PipelineSpec, kind: 'msk' | 'self-hosted'): string[] {
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

export function replicationViolations(
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
