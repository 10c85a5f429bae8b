/**
 * OffsetCommit (key 8), v0-7. Generation-checked like Kafka: a member of an older generation gets
 * ILLEGAL_GENERATION, an unknown one UNKNOWN_MEMBER_ID, a commit while assignments are being
 * handed out REBALANCE_IN_PROGRESS. Generation -1 commits (offset storage without membership,
 * e.g. admin tools) are accepted while the group has no members.
 */
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';
import { coordinatorError } from './coordinator-check.ts';

interface OffsetCommitRequest {
  groupId: string;
  generationId?: number;
  memberId?: string;
  topics: Array<{
    name: string;
    partitions: Array<{
      partitionIndex: number;
      committedOffset: number;
      committedLeaderEpoch?: number;
      committedMetadata: string | null;
    }>;
  }>;
}

export const offsetCommitApi: ApiDefinition<OffsetCommitRequest, Record<string, unknown>> = {
  key: 8,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 7,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [
    field('groupId', 'string'),
    field('generationId', 'int32', '1+'),
    field('memberId', 'string', '1+'),
    field('groupInstanceId', 'string', '7+'),
    field('retentionTimeMs', 'int64', '2-4'),
    array('topics', [
      field('name', 'string'),
      array('partitions', [
        field('partitionIndex', 'int32'),
        field('committedOffset', 'int64'),
        field('committedLeaderEpoch', 'int32', '6+'),
        field('commitTimestamp', 'int64', '1'),
        field('committedMetadata', 'string'),
      ]),
    ]),
  ],
  response: [
    field('throttleTimeMs', 'int32', '3+'),
    array('topics', [
      field('name', 'string'),
      array('partitions', [field('partitionIndex', 'int32'), field('errorCode', 'int16')]),
    ]),
  ],
  handle(ctx, req) {
    let errorCode = coordinatorError(ctx, req.groupId);
    const generationId = req.generationId ?? -1;
    if (errorCode === ErrorCode.NONE) {
      const group = ctx.cluster.groups.get(req.groupId);
      if (group !== undefined) errorCode = group.validateCommit(req.memberId ?? '', generationId);
      else if (generationId >= 0) errorCode = ErrorCode.ILLEGAL_GENERATION;
    }
    const topics = req.topics.map((t) => {
      const topic = ctx.cluster.topics.get(t.name);
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          if (errorCode !== ErrorCode.NONE) return { partitionIndex: p.partitionIndex, errorCode };
          if (topic?.partitions[p.partitionIndex] === undefined)
            return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          ctx.cluster.offsets.commit({
            group: req.groupId,
            topic: t.name,
            partition: p.partitionIndex,
            offset: p.committedOffset,
            leaderEpoch: p.committedLeaderEpoch ?? -1,
            metadata: p.committedMetadata,
          });
          return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
        }),
      };
    });
    return { throttleTimeMs: 0, topics };
  },
};
