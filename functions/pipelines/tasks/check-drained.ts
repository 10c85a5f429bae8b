/**
 * CheckDrained (teardown, before any sink resource is deleted): every event /collect acknowledged
 * for this pipeline must have reached S3 before its sink and topic go. DELETE moved the pipeline to
 * DELETING, which deactivated its app routes; the machine first waits out the ingest's route cache,
 * then polls here until the sink's consumer group has committed the end of every partition of the
 * topic (the event source mapping commits only after the sink function delivered to Firehose; the
 * S3 sink connector only after the object is written). Bounded: a sink that cannot catch up fails
 * the teardown with the number of undelivered events, and nothing is deleted.
 */
import { KafkaClient } from '@aws-sdk/client-kafka';
import { awsClientConfig } from '../../lib/aws.ts';
import { optionalString } from '../../lib/config.ts';
import { connectorName } from '../build-connector-config.ts';
import { consumerGroupId } from '../build-event-source-mapping.ts';
import type { Pipeline } from '../model.ts';
import { brokersOf } from './kafka-admin.ts';
import { isWorkflowError, WaitTimeoutError } from './errors.ts';
import {
  clusterDescription,
  isUnknownTopic,
  kafkaAdminFactory,
  kafkaTaskError,
  type KafkaAdminPort,
  type OpenKafkaAdmin,
} from './kafka-admin.ts';
import { registryStore, taskHandler, taskLog } from './lambda.ts';
import { DEFAULT_MAX_ATTEMPTS, sinceOf, type PollState } from './poll.ts';
import { loadPipeline, runStep, type TaskDeps } from './step.ts';

export const CHECK_DRAINED_STEP = 'WaitForDrain';

export interface CheckDrainedInput {
  pipelineId: string;
  drain?: PollState | null;
  maxAttempts?: number;
}

export interface CheckDrainedOutput {
  drained: boolean;
  /** Events in the topic that the sink has not committed yet. */
  lag: number;
  attempt: number;
  since?: string;
}

export interface CheckDrainedDeps extends TaskDeps {
  kafka: Parameters<typeof brokersOf>[1]['kafka'];
  openAdmin: OpenKafkaAdmin;
  region: string | undefined;
}

/** The consumer group that sinks the topic, or undefined when no sink ever consumed it. */
export function sinkGroupOf(pipeline: Pipeline): string | undefined {
  if (pipeline.resources.mappingUuid !== undefined) return consumerGroupId(pipeline.id);
  // MSK Connect sink connectors consume in the group connect-<connector name>.
  if (pipeline.resources.connectorArn !== undefined) return `connect-${connectorName(pipeline.id)}`;
  return undefined;
}

/** Events not yet committed by `group`, summed over the topic's partitions. */
export async function sinkLag(admin: KafkaAdminPort, topic: string, group: string): Promise<number> {
  const metadata = await admin.metadata({ topics: [topic] });
  const partitions = metadata.topics.get(topic)?.partitionsCount ?? 0;
  if (partitions === 0) return 0;
  const indexes = Array.from({ length: partitions }, (_, i) => i);
  const ends = await admin.listOffsets({
    topics: [{ name: topic, partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp: -1n })) }],
  });
  const starts = await admin.listOffsets({
    topics: [{ name: topic, partitions: indexes.map((partitionIndex) => ({ partitionIndex, timestamp: -2n })) }],
  });
  const [committed] = await admin.listConsumerGroupOffsets({
    groups: [{ groupId: group, topics: [{ name: topic, partitionIndexes: indexes }] }],
  });
  const committedOf = new Map(
    (committed?.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => [
      p.partitionIndex,
      p.committedOffset,
    ]),
  );
  const startOf = new Map((starts[0]?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
  let lag = 0n;
  for (const p of ends[0]?.partitions ?? []) {
    const done = committedOf.get(p.partitionIndex);
    // No commit yet: the sink has not delivered anything of this partition.
    const from = done !== undefined && done >= 0n ? done : (startOf.get(p.partitionIndex) ?? 0n);
    if (p.offset > from) lag += p.offset - from;
  }
  return Number(lag);
}

export async function checkDrained(input: CheckDrainedInput, deps: CheckDrainedDeps): Promise<CheckDrainedOutput> {
  const pipeline = await loadPipeline(deps, input.pipelineId, ['DELETING']);
  const previous = input.drain ?? undefined;
  const attempt = (typeof previous?.attempt === 'number' && previous.attempt >= 0 ? previous.attempt : 0) + 1;
  const since = sinceOf(previous) ?? new Date().toISOString();
  const maxAttempts = input.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  return runStep(
    deps,
    pipeline.id,
    CHECK_DRAINED_STEP,
    async () => {
      const topic = pipeline.resources.topic;
      const group = sinkGroupOf(pipeline);
      if (topic === undefined || group === undefined) return { drained: true, lag: 0, attempt, since };
      const brokers = await brokersOf(pipeline, deps);
      if (brokers === undefined || brokers.length === 0) return { drained: true, lag: 0, attempt, since };
      let admin: KafkaAdminPort | undefined;
      let lag: number;
      try {
        admin = await deps.openAdmin(clusterDescription(pipeline, brokers, deps.region));
        if (!(await admin.listTopics()).includes(topic)) return { drained: true, lag: 0, attempt, since };
        lag = await sinkLag(admin, topic, group);
      } catch (error) {
        if (isUnknownTopic(error)) return { drained: true, lag: 0, attempt, since };
        if (isWorkflowError(error)) throw error;
        throw kafkaTaskError(error, `read the offsets of topic ${topic} and group ${group}`);
      } finally {
        await admin?.close().catch(() => undefined);
      }
      if (lag > 0 && attempt >= maxAttempts) {
        throw new WaitTimeoutError(
          `${lag} event(s) acknowledged by /collect are still in topic ${topic}, not yet delivered by the sink (group ${group}) after ${attempt} checks; nothing was deleted. Check the sink (its logs, the mapping or connector state), then DELETE again`,
        );
      }
      return { drained: lag === 0, lag, attempt, since };
    },
    {
      ...(sinceOf(previous) !== undefined ? { startedAt: since } : {}),
      detail: (r) =>
        r.drained
          ? `sink caught up: every acknowledged event delivered (check ${r.attempt})`
          : `${r.lag} event(s) not yet delivered (check ${r.attempt})`,
      running: (r) => !r.drained,
    },
  );
}

let deps: CheckDrainedDeps | undefined;
export const handler = taskHandler<CheckDrainedInput, CheckDrainedOutput>(CHECK_DRAINED_STEP, (input) => {
  deps ??= {
    store: registryStore(),
    kafka: new KafkaClient(awsClientConfig()),
    openAdmin: kafkaAdminFactory(),
    region: optionalString(process.env, 'AWS_REGION'),
    log: taskLog,
  };
  return checkDrained(input, deps);
});
