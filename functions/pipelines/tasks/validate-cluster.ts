/**
 * ValidateCluster: gathers what AWS and Kafka say about the pipeline's cluster, evaluates every
 * rule (cluster-rules.ts) and either returns the cluster facts the next states need or fails
 * with a ClusterValidationError listing every violation.
 *
 * MSK: DescribeClusterV2, GetBootstrapBrokers, DescribeConfigurationRevision (when the cluster has
 * a custom configuration; otherwise MSK's documented defaults apply), and EC2 DescribeSubnets only
 * for client subnets that are not the stack's own (to learn their VPC).
 * Self-hosted: Kafka Metadata (reachability, broker count) and DescribeConfigs on a broker
 * (auto.create.topics.enable, default.replication.factor), from inside the solution's VPC.
 */
import { DescribeSubnetsCommand, EC2Client } from '@aws-sdk/client-ec2';
import {
  DescribeClusterV2Command,
  DescribeConfigurationRevisionCommand,
  GetBootstrapBrokersCommand,
  type Cluster,
  type GetBootstrapBrokersResponse,
} from '@aws-sdk/client-kafka';
import { awsClientConfig } from '../../lib/aws.ts';
import { KafkaConfigError, KafkaUnavailableError } from '../../lib/kafka/index.ts';
import { classifyKafkaFailure, rootMessage } from '../../lib/kafka/errors.ts';
import {
  deliveryViolations,
  evaluateSelfHostedRules,
  parseServerProperties,
  type SelfHostedFacts,
  type ValidatedCluster,
} from '../cluster-rules.ts';
import { evaluateMskRules, mskClientSubnets, type StackNetwork } from '../msk-cluster-rules.ts';
import type { Pipeline } from '../model.ts';
import { awsCall, ClusterValidationError, isNotFound, toTaskError } from './errors.ts';
import { readRegion, readStackNetwork, requiredString } from './config.ts';
import { clusterDescription, kafkaAdminPorts, listedBrokers, type KafkaAdminDeps } from './kafka-admin.ts';
import { taskLambda } from './lambda.ts';
import { pipelineStep, type PipelineInput, type TaskDeps } from './step.ts';

export const VALIDATE_CLUSTER_STEP = 'ValidateCluster';

export interface ValidateClusterDeps extends TaskDeps, KafkaAdminDeps {
  ec2: Pick<EC2Client, 'send'>;
  network: StackNetwork;
  /** The stack's data bucket (DATA_BUCKET): the only bucket `lambda` mode can deliver to. */
  dataBucket: string;
}

export type ValidateClusterInput = PipelineInput;
export type ValidateClusterOutput = ValidatedCluster;

async function mskOutcome(pipeline: Pipeline, clusterArn: string, deps: ValidateClusterDeps) {
  let cluster: Cluster | undefined;
  try {
    cluster = (await deps.kafka.send(new DescribeClusterV2Command({ ClusterArn: clusterArn }))).ClusterInfo;
  } catch (error) {
    if (!isNotFound(error)) throw toTaskError(error, `describe MSK cluster ${clusterArn}`);
  }
  let bootstrap: GetBootstrapBrokersResponse | undefined;
  let serverProperties: Map<string, string> | undefined;
  const subnetVpcs: Record<string, string | undefined> = {};
  const provisioned = cluster?.Provisioned;
  if (cluster && provisioned && cluster.State === 'ACTIVE') {
    bootstrap = await awsCall(`get the bootstrap brokers of ${clusterArn}`, () =>
      deps.kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: clusterArn })),
    );
  }
  const software = provisioned?.CurrentBrokerSoftwareInfo;
  if (software?.ConfigurationArn !== undefined && software.ConfigurationRevision !== undefined) {
    const revision = await awsCall(`read the configuration of ${clusterArn}`, () =>
      deps.kafka.send(
        new DescribeConfigurationRevisionCommand({
          Arn: software.ConfigurationArn,
          Revision: software.ConfigurationRevision,
        }),
      ),
    );
    serverProperties = parseServerProperties(
      Buffer.from(revision.ServerProperties ?? new Uint8Array()).toString('utf8'),
    );
  }
  const foreign = (cluster ? mskClientSubnets(cluster) : []).filter((s) => !deps.network.subnetIds.includes(s));
  if (foreign.length > 0) {
    const described = await awsCall("look up the VPC of the cluster's subnets", () =>
      deps.ec2.send(new DescribeSubnetsCommand({ SubnetIds: foreign })),
    );
    for (const subnet of described.Subnets ?? []) {
      if (subnet.SubnetId !== undefined) subnetVpcs[subnet.SubnetId] = subnet.VpcId;
    }
  }
  return evaluateMskRules(pipeline, { clusterArn, cluster, bootstrap, serverProperties, subnetVpcs }, deps.network);
}

function unreachableText(error: unknown): string {
  const reason = error instanceof KafkaUnavailableError ? error.reason : classifyKafkaFailure(error);
  const detail = rootMessage(error);
  switch (reason) {
    case 'tls':
      return `TLS handshake failed: ${detail}`;
    case 'authentication':
      return `the brokers refused the credentials: ${detail}`;
    case 'credentials':
      return `the credentials could not be obtained: ${detail}`;
    case 'rejected':
      return `the brokers rejected the request: ${detail}`;
    case 'timeout':
      return `no answer in time: ${detail}`;
    default:
      return detail;
  }
}

async function selfHostedOutcome(pipeline: Pipeline, deps: ValidateClusterDeps) {
  const cluster = pipeline.kafka.cluster;
  const facts: SelfHostedFacts = {
    listedBrokers: listedBrokers(pipeline),
    securityGroupId: cluster.type === 'self-hosted' ? cluster.securityGroupId : undefined,
    unreachable: undefined,
    brokerCount: undefined,
    autoCreateTopicsEnable: undefined,
    defaultReplicationFactor: undefined,
  };
  const extra: string[] = [];
  if (pipeline.kafka.auth !== 'iam') {
    let admin;
    try {
      admin = await deps.openAdmin(clusterDescription(pipeline, facts.listedBrokers, deps.region));
      const metadata = await admin.metadata({ topics: [] });
      facts.brokerCount = metadata.brokers.size;
      const first = [...metadata.brokers.keys()].sort((a, b) => a - b)[0];
      if (first !== undefined) {
        try {
          const [described] = await admin.describeConfigs({
            resources: [
              {
                resourceType: 4 /* BROKER */,
                resourceName: String(first),
                configurationKeys: ['auto.create.topics.enable', 'default.replication.factor'],
              },
            ],
          });
          for (const entry of described?.configs ?? []) {
            const value = entry.value ?? undefined;
            if (value === undefined) continue;
            if (entry.name === 'auto.create.topics.enable') facts.autoCreateTopicsEnable = value === 'true';
            if (entry.name === 'default.replication.factor' && /^\d+$/.test(value))
              facts.defaultReplicationFactor = Number(value);
          }
        } catch (error) {
          // Brokers may deny DescribeConfigs (ACLs); the settings then stay unknown, not a violation.
          deps.log?.warn('could not read the broker settings', {
            pipelineId: pipeline.id,
            error: rootMessage(error),
          });
        }
      }
    } catch (error) {
      if (error instanceof KafkaConfigError) extra.push(`kafka connection settings: ${error.message}`);
      else facts.unreachable = unreachableText(error);
    } finally {
      await admin?.close().catch(() => undefined);
    }
  }
  const outcome = evaluateSelfHostedRules(pipeline, facts);
  return extra.length === 0 ? outcome : { violations: [...outcome.violations, ...extra], cluster: undefined };
}

/** The task core: every rule evaluated, all violations reported at once. */
export async function validateCluster(
  input: ValidateClusterInput,
  deps: ValidateClusterDeps,
): Promise<ValidateClusterOutput> {
  return pipelineStep(
    deps,
    input,
    {
      name: VALIDATE_CLUSTER_STEP,
      statuses: ['CREATING'],
      detail: (c) =>
        `${c.kind} cluster with ${c.brokerCount} brokers, auth ${c.auth} via ${c.bootstrapBrokers[0]}${c.bootstrapBrokers.length > 1 ? ` (+${c.bootstrapBrokers.length - 1})` : ''}; topic created explicitly, replication factor ${c.replicationFactor}`,
    },
    async (pipeline) => {
      const target = pipeline.kafka.cluster;
      const outcome =
        target.type === 'msk'
          ? await mskOutcome(pipeline, target.clusterArn, deps)
          : await selfHostedOutcome(pipeline, deps);
      const violations = [...outcome.violations, ...deliveryViolations(pipeline, deps.dataBucket)];
      if (violations.length > 0 || outcome.cluster === undefined) {
        const name =
          target.type === 'msk' ? `MSK cluster ${target.clusterArn}` : `self-hosted Kafka cluster ${target.brokers}`;
        throw new ClusterValidationError(
          name,
          violations.length > 0 ? violations : ['the cluster could not be described'],
        );
      }
      // Stored for ingest: the app routes carry it, so each pipeline's events go to its own cluster
      // (MSK: the bootstrap brokers GetBootstrapBrokers gave for the pipeline's auth).
      await deps.store.setResources(pipeline.id, {
        cluster: clusterDescription(pipeline, outcome.cluster.bootstrapBrokers, deps.region),
      });
      return outcome.cluster;
    },
  );
}

export const handler = taskLambda(VALIDATE_CLUSTER_STEP, validateCluster, () => ({
  ec2: new EC2Client(awsClientConfig()),
  ...kafkaAdminPorts(),
  network: readStackNetwork(process.env),
  region: readRegion(process.env),
  dataBucket: requiredString(process.env, 'DATA_BUCKET'),
}));
