/**
 * The Kafka admin port of the tasks that talk to brokers (ValidateCluster for self-hosted
 * clusters, CreateTopic, DeleteTopic), and how Kafka failures become workflow errors.
 */
import { GetBootstrapBrokersCommand, KafkaClient } from '@aws-sdk/client-kafka';
import type { Admin } from '@platformatic/kafka';
import { awsClientConfig } from '../../lib/aws.ts';
import { MSK_BOOTSTRAP, splitBrokers } from '../../lib/brokers.ts';
import { optionalString } from '../../lib/config.ts';
import {
  createAdmin,
  createClusterConnection,
  KafkaConfigError,
  KafkaUnavailableError,
  type ClusterDescription,
} from '../../lib/kafka/index.ts';
import { classifyKafkaFailure, errorChain, rootMessage } from '../../lib/kafka/errors.ts';
import type { Pipeline } from '../model.ts';
import { isNotFound, isWorkflowError, toTaskError, TransientError } from './errors.ts';

/** The admin operations the tasks use (@platformatic/kafka's Admin has them all). */
export type KafkaAdminPort = Pick<
  Admin,
  | 'metadata'
  | 'listTopics'
  | 'createTopics'
  | 'deleteTopics'
  | 'describeConfigs'
  | 'listOffsets'
  | 'listConsumerGroupOffsets'
  | 'close'
>;

/** Opens an admin client for a cluster; the caller closes it. */
export type OpenKafkaAdmin = (cluster: ClusterDescription) => Promise<KafkaAdminPort>;

/** Production: the project's Kafka client module (TLS trust, SCRAM secret, IAM signer). */
export function kafkaAdminFactory(options: { timeoutMs?: number; retries?: number } = {}): OpenKafkaAdmin {
  return async (cluster) =>
    createAdmin(createClusterConnection(cluster), {
      clientId: 'clickstream-pipelines-workflow',
      timeoutMs: options.timeoutMs ?? 10_000,
      retries: options.retries ?? 2,
    });
}

/** The ports of a task that talks to the pipeline's brokers. */
export interface KafkaAdminDeps {
  /** MSK's API, for the bootstrap brokers of an MSK cluster. */
  kafka: Pick<KafkaClient, 'send'>;
  openAdmin: OpenKafkaAdmin;
  /** AWS_REGION, for MSK IAM auth. */
  region: string | undefined;
}

/** Production KafkaAdminDeps, from the function's environment. */
export function kafkaAdminPorts(env: Record<string, string | undefined> = process.env): KafkaAdminDeps {
  return {
    kafka: new KafkaClient(awsClientConfig()),
    openAdmin: kafkaAdminFactory(),
    region: optionalString(env, 'AWS_REGION'),
  };
}

/** How to reach the pipeline's cluster with `brokers` (MSK: the bootstrap string for its auth). */
export function clusterDescription(
  pipeline: Pipeline,
  brokers: readonly string[],
  region: string | undefined,
): ClusterDescription {
  const { kafka } = pipeline;
  return {
    brokers: [...brokers],
    auth: kafka.auth,
    ...(kafka.auth !== 'none' && kafka.caPem !== undefined ? { caPem: kafka.caPem } : {}),
    ...(kafka.auth === 'scram' && kafka.scramSecretArn !== undefined ? { scramSecretArn: kafka.scramSecretArn } : {}),
    ...(kafka.auth === 'iam' && region !== undefined ? { region } : {}),
  };
}

/** The brokers of a self-hosted cluster as the user listed them ("host:port,host:port"). */
export function listedBrokers(pipeline: Pipeline): string[] {
  const cluster = pipeline.kafka.cluster;
  return cluster.type === 'self-hosted' ? splitBrokers(cluster.brokers) : [];
}

/** The brokers to reach, or undefined when the MSK cluster no longer exists. */
export async function brokersOf(
  pipeline: Pipeline,
  deps: { kafka: Pick<KafkaClient, 'send'> },
): Promise<string[] | undefined> {
  const cluster = pipeline.kafka.cluster;
  if (cluster.type === 'self-hosted') return listedBrokers(pipeline);
  try {
    const out = await deps.kafka.send(new GetBootstrapBrokersCommand({ ClusterArn: cluster.clusterArn }));
    return splitBrokers(out[MSK_BOOTSTRAP[pipeline.kafka.auth].field] as string | undefined);
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw toTaskError(error, `get the bootstrap brokers of ${cluster.clusterArn}`);
  }
}

/** Kafka's error code for "topic already exists" (CreateTopics). */
const TOPIC_ALREADY_EXISTS = 36;
const UNKNOWN_TOPIC_OR_PARTITION = 3;

function hasKafkaCode(error: unknown, code: number, message: RegExp): boolean {
  return errorChain(error).some((e) => {
    const x = e as { apiCode?: unknown; errorCode?: unknown; message?: unknown };
    return x.apiCode === code || x.errorCode === code || (typeof x.message === 'string' && message.test(x.message));
  });
}

export function isTopicAlreadyExists(error: unknown): boolean {
  return hasKafkaCode(error, TOPIC_ALREADY_EXISTS, /already exists/i);
}

export function isUnknownTopic(error: unknown): boolean {
  return hasKafkaCode(error, UNKNOWN_TOPIC_OR_PARTITION, /does not host this topic-partition|unknown topic/i);
}

/**
 * A Kafka failure as a workflow error: timeouts and unreachable brokers (and credential fetches)
 * are transient; configuration errors, TLS and authentication failures and broker rejections are
 * permanent and keep their names (KafkaConfigError, KafkaUnavailableError).
 */
export function kafkaTaskError(error: unknown, action: string): Error {
  if (error instanceof TransientError || error instanceof KafkaConfigError) return error;
  const reason = error instanceof KafkaUnavailableError ? error.reason : classifyKafkaFailure(error);
  const detail = rootMessage(error);
  if (reason === 'timeout' || reason === 'unreachable' || reason === 'credentials' || reason === 'closed') {
    return new TransientError(`could not ${action}: Kafka ${reason} (${detail}); will retry`, {
      cause: error,
    });
  }
  return new KafkaUnavailableError(
    `could not ${action}: Kafka ${reason === 'rejected' ? 'rejected the request' : `${reason} failure`} (${detail})`,
    reason,
    { cause: error },
  );
}

/**
 * Runs `work` with an admin client on the pipeline's cluster while `topic` exists there, and
 * closes the client. Undefined when there is nothing to work on: the MSK cluster is gone (it took
 * its topics with it) or the topic is. Kafka failures become workflow errors (kafkaTaskError).
 */
export async function withTopicAdmin<T>(
  pipeline: Pipeline,
  topic: string,
  deps: KafkaAdminDeps,
  action: string,
  work: (admin: KafkaAdminPort) => Promise<T>,
): Promise<T | undefined> {
  const brokers = await brokersOf(pipeline, deps);
  if (brokers === undefined || brokers.length === 0) return undefined;
  let admin: KafkaAdminPort | undefined;
  try {
    admin = await deps.openAdmin(clusterDescription(pipeline, brokers, deps.region));
    if (!(await admin.listTopics()).includes(topic)) return undefined;
    return await work(admin);
  } catch (error) {
    if (isUnknownTopic(error)) return undefined;
    if (isWorkflowError(error)) throw error;
    throw kafkaTaskError(error, action);
  } finally {
    await admin?.close().catch(() => undefined);
  }
}
