/**
 * Fetch (key 1), v4-11 (magic-2 batches, topics by name). Returns stored batches as they are.
 *
 * Long polling: when less than `minBytes` is available the request is parked until an append to
 * one of its partitions (or a leadership/topic change) brings enough data, or `maxWaitMs` passes,
 * as a real broker does. Incremental fetch sessions are not offered: the response session id is
 * always 0, which tells clients to keep sending full fetch requests.
 */
import type { ApiDefinition, RequestContext } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';
import { ledPartition } from './leader-check.ts';

interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes?: number;
  topics: Array<{
    topic: string;
    partitions: Array<{ partition: number; fetchOffset: number; partitionMaxBytes: number }>;
  }>;
}

interface PartitionData {
  partitionIndex: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: [];
  preferredReadReplica: number;
  records: Buffer[];
}

interface Built {
  body: {
    throttleTimeMs: 0;
    errorCode: 0;
    sessionId: 0;
    responses: Array<{ topic: string; partitions: PartitionData[] }>;
  };
  bytes: number;
  hasError: boolean;
}

function build(ctx: RequestContext, req: FetchRequest): Built {
  let remaining = req.maxBytes ?? 0x7fffffff;
  let bytes = 0;
  let hasError = false;
  const responses = req.topics.map((t) => {
    const partitions = t.partitions.map((p): PartitionData => {
      const base: PartitionData = {
        partitionIndex: p.partition,
        errorCode: ErrorCode.NONE,
        highWatermark: -1,
        lastStableOffset: -1,
        logStartOffset: -1,
        abortedTransactions: [],
        preferredReadReplica: -1,
        records: [],
      };
      const led = ledPartition(ctx, t.topic, p.partition);
      if (led.errorCode !== undefined) {
        hasError = true;
        return { ...base, errorCode: led.errorCode };
      }
      const log = led.partition.log;
      const positioned = {
        ...base,
        highWatermark: log.nextOffset,
        lastStableOffset: log.nextOffset,
        logStartOffset: log.startOffset,
      };
      if (p.fetchOffset < log.startOffset || p.fetchOffset > log.nextOffset) {
        hasError = true;
        return { ...positioned, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
      }
      if (remaining <= 0 || p.fetchOffset === log.nextOffset) return positioned;
      const read = log.read(p.fetchOffset, Math.min(p.partitionMaxBytes, remaining), bytes === 0);
      remaining -= read.bytes;
      bytes += read.bytes;
      return { ...positioned, records: read.batches };
    });
    return { topic: t.topic, partitions };
  });
  return { body: { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses }, bytes, hasError };
}

function park(ctx: RequestContext, req: FetchRequest): Promise<Built['body']> {
  return new Promise((resolve) => {
    const removers: Array<() => void> = [];
    let scheduled = false;
    let done = false;
    const finish = (result: Built): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      for (const remove of removers) remove();
      resolve(result.body);
    };
    // coalesce bursts of appends into one re-check per tick
    const recheck = (): void => {
      if (scheduled || done) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const result = build(ctx, req);
        if (result.bytes >= req.minBytes || result.hasError) finish(result);
      });
    };
    const timer = setTimeout(() => finish(build(ctx, req)), req.maxWaitMs);
    for (const t of req.topics) {
      const topic = ctx.cluster.topics.get(t.topic);
      for (const p of t.partitions) {
        const state = topic?.partitions[p.partition];
        if (state !== undefined) removers.push(state.log.onAppend(recheck));
      }
    }
    removers.push(
      ctx.onClose(() => {
        done = true;
        clearTimeout(timer);
        for (const remove of removers) remove();
      }),
    );
  });
}

export const fetchApi: ApiDefinition<FetchRequest, Built['body']> = {
  key: 1,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 11,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [
    field('replicaId', 'int32'),
    field('maxWaitMs', 'int32'),
    field('minBytes', 'int32'),
    field('maxBytes', 'int32', '3+'),
    field('isolationLevel', 'int8', '4+'),
    field('sessionId', 'int32', '7+'),
    field('sessionEpoch', 'int32', '7+'),
    array('topics', [
      field('topic', 'string'),
      array('partitions', [
        field('partition', 'int32'),
        field('currentLeaderEpoch', 'int32', '9+'),
        field('fetchOffset', 'int64'),
        field('logStartOffset', 'int64', '5+'),
        field('partitionMaxBytes', 'int32'),
      ]),
    ]),
    array('forgottenTopicsData', [field('topic', 'string'), array('partitions', 'int32')], '7+'),
    field('rackId', 'string', '11+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16', '7+'),
    field('sessionId', 'int32', '7+'),
    array('responses', [
      field('topic', 'string'),
      array('partitions', [
        field('partitionIndex', 'int32'),
        field('errorCode', 'int16'),
        field('highWatermark', 'int64'),
        field('lastStableOffset', 'int64', '4+'),
        field('logStartOffset', 'int64', '5+'),
        array('abortedTransactions', [field('producerId', 'int64'), field('firstOffset', 'int64')], '4+'),
        field('preferredReadReplica', 'int32', '11+'),
        field('records', 'records'),
      ]),
    ]),
  ],
  handle(ctx, req) {
    const first = build(ctx, req);
    if (req.maxWaitMs <= 0 || first.bytes >= req.minBytes || first.hasError) return first.body;
    return park(ctx, req);
  },
};
