/**
 * Shared guard for partition data APIs (Produce, Fetch, ListOffsets): a partition request must
 * name a partition that exists and reach its leader, otherwise the client gets the error that
 * makes it refresh its metadata, as from Kafka.
 */
import type { PartitionState } from '../cluster-state.ts';
import type { RequestContext } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';

export type Led = { partition: PartitionState; errorCode?: undefined } | { errorCode: number };

/** Partition `index` of `topic` when this broker leads it; else UNKNOWN_TOPIC_OR_PARTITION or NOT_LEADER_OR_FOLLOWER. */
export function ledPartition(ctx: RequestContext, topic: string, index: number): Led {
  const partition = ctx.cluster.topics.get(topic)?.partitions[index];
  if (partition === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
  if (partition.leader !== ctx.broker.nodeId) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
  return { partition };
}
