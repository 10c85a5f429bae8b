/**
 * CreateTopic: makes sure the pipeline's topic exists, through the Kafka admin client. The
 * workflow always takes the explicit path (it never relies on auto.create.topics.enable).
 *
 * - Missing: created with the requested partitions and the replication factor ValidateCluster
 *   chose, bounded by the brokers the cluster reports now. Recorded as created by this pipeline,
 *   so rollback and teardown delete it.
 * - Existing and compatible (at least the requested partitions, replication factor not above the
 *   broker count): reused as it is and never deleted by this pipeline.
 * - Existing and incompatible: TopicConflictError, with what to change.
 * - TOPIC_ALREADY_EXISTS (someone created it between our look and our create): treated as existing.
 */
import type { ValidatedCluster } from '../cluster-rules.ts';
import type { Pipeline } from '../model.ts';
import { isWorkflowError, TopicConflictError } from './errors.ts';
import {
  clusterDescription,
  isTopicAlreadyExists,
  kafkaAdminPorts,
  kafkaTaskError,
  type KafkaAdminDeps,
  type KafkaAdminPort,
} from './kafka-admin.ts';
import { taskLambda } from './lambda.ts';
import { pipelineStep, type PipelineInput, type TaskDeps } from './step.ts';

export const CREATE_TOPIC_STEP = 'CreateTopic';

export interface CreateTopicDeps extends TaskDeps, Omit<KafkaAdminDeps, 'kafka'> {}

export interface CreateTopicInput extends PipelineInput {
  cluster: Pick<ValidatedCluster, 'bootstrapBrokers' | 'brokerCount' | 'replicationFactor' | 'partitions'>;
}

export interface CreateTopicOutput {
  topic: string;
  /** False when an existing topic is reused (then rollback/teardown leave it alone). */
  topicCreated: boolean;
  partitions: number;
  replicationFactor: number;
}

interface TopicShape {
  partitions: number;
  replicationFactor: number;
}

async function describeTopic(admin: KafkaAdminPort, topic: string): Promise<TopicShape | undefined> {
  const names = await admin.listTopics();
  if (!names.includes(topic)) return undefined;
  const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
  const described = metadata.topics.get(topic);
  if (!described) return undefined;
  return {
    partitions: described.partitionsCount,
    replicationFactor: Math.max(0, ...described.partitions.map((p) => p.replicas.length)),
  };
}

function checkCompatible(topic: string, shape: TopicShape, wantedPartitions: number, brokers: number): void {
  const problems: string[] = [];
  if (shape.partitions < wantedPartitions) {
    problems.push(
      `it has ${shape.partitions} partition${shape.partitions === 1 ? '' : 's'}, fewer than the ${wantedPartitions} requested (ask for kafka.partitions ${shape.partitions}, add partitions to the topic, or choose another topic)`,
    );
  }
  if (shape.replicationFactor > brokers) {
    problems.push(`its replication factor ${shape.replicationFactor} is larger than the cluster's ${brokers} brokers`);
  }
  if (problems.length > 0)
    throw new TopicConflictError(`topic ${topic} already exists but cannot be reused: ${problems.join('; ')}`);
}

async function ensureTopic(
  pipeline: Pipeline,
  input: CreateTopicInput,
  deps: CreateTopicDeps,
): Promise<CreateTopicOutput> {
  const topic = pipeline.kafka.topic;
  const wantedPartitions = input.cluster.partitions ?? pipeline.kafka.partitions;
  // A previous attempt of this task may have created it and died before returning.
  const createdBefore = pipeline.resources.topic === topic && pipeline.resources.topicCreated === true;
  let admin: KafkaAdminPort | undefined;
  try {
    admin = await deps.openAdmin(clusterDescription(pipeline, input.cluster.bootstrapBrokers, deps.region));
    const live = (await admin.metadata({ topics: [] })).brokers.size;
    const brokers = live > 0 ? Math.min(live, input.cluster.brokerCount) : input.cluster.brokerCount;
    const existing = await describeTopic(admin, topic);
    if (existing) {
      checkCompatible(topic, existing, wantedPartitions, brokers);
      await deps.store.setResources(pipeline.id, { topic, topicCreated: createdBefore });
      return { topic, topicCreated: createdBefore, ...existing };
    }
    const replicationFactor = Math.max(1, Math.min(input.cluster.replicationFactor, brokers));
    // Recorded before the call: if this Lambda dies after Kafka created the topic, the retry
    // still knows the topic is ours to delete.
    await deps.store.setResources(pipeline.id, { topic, topicCreated: true });
    try {
      await admin.createTopics({
        topics: [topic],
        partitions: wantedPartitions,
        replicas: replicationFactor,
      });
    } catch (error) {
      if (!isTopicAlreadyExists(error)) throw error;
      const raced = await describeTopic(admin, topic);
      await deps.store.setResources(pipeline.id, { topic, topicCreated: false });
      if (!raced) throw error;
      checkCompatible(topic, raced, wantedPartitions, brokers);
      return { topic, topicCreated: false, ...raced };
    }
    return { topic, topicCreated: true, partitions: wantedPartitions, replicationFactor };
  } catch (error) {
    if (isWorkflowError(error)) throw error;
    throw kafkaTaskError(error, `create topic ${topic}`);
  } finally {
    await admin?.close().catch(() => undefined);
  }
}

export async function createTopic(input: CreateTopicInput, deps: CreateTopicDeps): Promise<CreateTopicOutput> {
  return pipelineStep(
    deps,
    input,
    {
      name: CREATE_TOPIC_STEP,
      statuses: ['CREATING'],
      detail: (r) =>
        `${r.topicCreated ? 'created' : 'reusing existing'} topic ${r.topic} (${r.partitions} partitions, replication factor ${r.replicationFactor})`,
    },
    (pipeline) => ensureTopic(pipeline, input, deps),
  );
}

export const handler = taskLambda(CREATE_TOPIC_STEP, createTopic, kafkaAdminPorts);
