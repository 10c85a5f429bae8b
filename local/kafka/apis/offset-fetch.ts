/** OffsetFetch (key 9), v0-5: committed offsets of a group (-1 where nothing was committed). */
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';
import { coordinatorError } from './coordinator-check.ts';

interface OffsetFetchRequest {
  groupId: string;
  topics: Array<{ name: string; partitionIndexes: number[] }> | null;
}

export const offsetFetchApi: ApiDefinition<OffsetFetchRequest, Record<string, unknown>> = {
  key: 9,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [field('groupId', 'string'), array('topics', [field('name', 'string'), array('partitionIndexes', 'int32')])],
  response: [
    field('throttleTimeMs', 'int32', '3+'),
    array('topics', [
      field('name', 'string'),
      array('partitions', [
        field('partitionIndex', 'int32'),
        field('committedOffset', 'int64'),
        field('committedLeaderEpoch', 'int32', '5+'),
        field('metadata', 'string'),
        field('errorCode', 'int16'),
      ]),
    ]),
    field('errorCode', 'int16', '2+'),
  ],
  handle(ctx, req) {
    const errorCode = coordinatorError(ctx, req.groupId);
    const { offsets } = ctx.cluster;
    const requested =
      req.topics ??
      [...offsets.topicsOf(req.groupId)].map(([name, partitions]) => ({
        name,
        partitionIndexes: [...partitions.keys()],
      }));
    const topics = requested.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        const committed = errorCode === ErrorCode.NONE ? offsets.get(req.groupId, t.name, partitionIndex) : undefined;
        return {
          partitionIndex,
          committedOffset: committed?.offset ?? -1,
          committedLeaderEpoch: committed?.leaderEpoch ?? -1,
          metadata: committed?.metadata ?? '',
          errorCode: ctx.apiVersion < 2 ? errorCode : ErrorCode.NONE,
        };
      }),
    }));
    return {
      throttleTimeMs: 0,
      topics: errorCode !== ErrorCode.NONE && ctx.apiVersion >= 2 ? [] : topics,
      errorCode,
    };
  },
};
