/**
 * ListOffsets (key 2), v0-5: earliest (-2), latest (-1) or the first offset at/after a timestamp.
 */
import type { ApiDefinition, RequestContext } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';
import { ledPartition } from './leader-check.ts';

interface ListOffsetsRequest {
  topics: Array<{ name: string; partitions: Array<{ partitionIndex: number; timestamp: number }> }>;
}

const LATEST = -1;
const EARLIEST = -2;

/** What a partition answers that could not be looked up. */
const NOT_FOUND = { oldStyleOffsets: [], timestamp: -1, offset: -1, leaderEpoch: -1 };

function lookup(ctx: RequestContext, topicName: string, index: number, timestamp: number): Record<string, unknown> {
  const led = ledPartition(ctx, topicName, index);
  if (led.errorCode !== undefined) return { partitionIndex: index, errorCode: led.errorCode, ...NOT_FOUND };
  const { partition } = led;
  const log = partition.log;
  let found: { offset: number; timestamp: number };
  if (timestamp === LATEST) found = { offset: log.nextOffset, timestamp: -1 };
  else if (timestamp === EARLIEST) found = { offset: log.startOffset, timestamp: -1 };
  else found = log.offsetForTimestamp(timestamp) ?? { offset: -1, timestamp: -1 };
  return {
    partitionIndex: index,
    errorCode: ErrorCode.NONE,
    oldStyleOffsets: found.offset >= 0 ? [found.offset] : [],
    timestamp: found.timestamp,
    offset: found.offset,
    leaderEpoch: partition.leaderEpoch,
  };
}

export const listOffsetsApi: ApiDefinition<ListOffsetsRequest, Record<string, unknown>> = {
  key: 2,
  name: 'ListOffsets',
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [
    field('replicaId', 'int32'),
    field('isolationLevel', 'int8', '2+'),
    array('topics', [
      field('name', 'string'),
      array('partitions', [
        field('partitionIndex', 'int32'),
        field('currentLeaderEpoch', 'int32', '4+'),
        field('timestamp', 'int64'),
        field('maxNumOffsets', 'int32', '0'),
      ]),
    ]),
  ],
  response: [
    field('throttleTimeMs', 'int32', '2+'),
    array('topics', [
      field('name', 'string'),
      array('partitions', [
        field('partitionIndex', 'int32'),
        field('errorCode', 'int16'),
        array('oldStyleOffsets', 'int64', '0'),
        field('timestamp', 'int64', '1+'),
        field('offset', 'int64', '1+'),
        field('leaderEpoch', 'int32', '4+'),
      ]),
    ]),
  ],
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => lookup(ctx, t.name, p.partitionIndex, p.timestamp)),
      })),
    };
  },
};
