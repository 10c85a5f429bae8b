/**
 * CheckDrained (teardown, before any sink resource is deleted): every event /collect acknowledged
 * for this pipeline must have reached S3 before its sink and topic go. DELETE moved the pipeline to
 * DELETING, which deactivated its app routes; the machine first waits out the ingest's route cache,
 * then polls here until the sink's consumer group has committed the end of every partition of the
 * topic (the event source mapping commits only after the sink function delivered to Firehose; the
 * S3 sink connector only after the object is written). Bounded: a sink that cannot catch up fails
 * the teardown with the number of undelivered events, and nothing is deleted.
 */
import { connectorName } from '../build-connector-config.ts';
import { consumerGroupId } from '../build-event-source-mapping.ts';
import type { Pipeline } from '../model.ts';
import { kafkaAdminPorts, withTopicAdmin, type KafkaAdminDeps, type KafkaAdminPort } from './kafka-admin.ts';
import { taskLambda } from './lambda.ts';
import { countAttempt, pollStep, type PollInput, type PollState } from './poll.ts';
import type { TaskDeps } from './step.ts';

export const CHECK_DRAINED_STEP = 'CheckDrained';

export interface CheckDrainedInput extends PollInput {
  drain?: PollState | null;
}

export interface CheckDrainedOutput {
  drained: boolean;
  /** Events in the topic that the sink has not committed yet. */
  lag: number;
  attempt: number;
  since: string;
}

export interface CheckDrainedDeps extends TaskDeps, KafkaAdminDeps {}

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
  return pollStep(
    deps,
    input,
    input.drain,
    {
      name: CHECK_DRAINED_STEP,
      statuses: ['DELETING'],
      detail: (r) =>
        r.drained
          ? `sink caught up: every acknowledged event delivered (check ${r.attempt})`
          : `${r.lag} event(s) not yet delivered (check ${r.attempt})`,
      running: (r) => !r.drained,
    },
    async (pipeline, since) => {
      const topic = pipeline.resources.topic;
      const group = sinkGroupOf(pipeline);
      // No sink or topic (or cluster) left: nothing can still be waiting.
      const lag =
        (topic === undefined || group === undefined
          ? undefined
          : await withTopicAdmin(
              pipeline,
              topic,
              deps,
              `read the offsets of topic ${topic} and group ${group}`,
              (admin) => sinkLag(admin, topic, group),
            )) ?? 0;
      const attempt = countAttempt(
        input.drain,
        input.maxAttempts,
        lag === 0,
        (checks) =>
          `${lag} event(s) acknowledged by /collect are still in topic ${topic}, not yet delivered by the sink (group ${group}) after ${checks} checks; nothing was deleted. Check the sink (its logs, the mapping or connector state), then DELETE again`,
      );
      return { drained: lag === 0, lag, attempt, since };
    },
  );
}

export const handler = taskLambda(CHECK_DRAINED_STEP, checkDrained, kafkaAdminPorts);
