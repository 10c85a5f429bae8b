/**
 * Produce (key 0), v3-7: the versions that carry magic-2 record batches, which every supported
 * client sends. The hot path per partition is: header walk + CRC32C check, base-offset patch,
 * push onto the log. No record is decoded and nothing is copied.
 */
import type { ApiDefinition, RequestContext } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';
import { MESSAGE_MAX_BYTES, parseBatches } from '../record-batch.ts';
import { log } from '../logger.ts';
import { ledPartition } from './leader-check.ts';

interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topicData: Array<{ name: string; partitionData: Array<{ index: number; records: Buffer | null }> }>;
}

interface PartitionResponse {
  index: number;
  errorCode: number;
  baseOffset: number;
  logAppendTimeMs: number;
  logStartOffset: number;
}

/** What a partition answers whose records were not appended. */
function notAppended(index: number, errorCode: number): PartitionResponse {
  return { index, errorCode, baseOffset: -1, logAppendTimeMs: -1, logStartOffset: -1 };
}

function appendPartition(
  ctx: RequestContext,
  topicName: string,
  index: number,
  records: Buffer | null,
): PartitionResponse {
  const failed = (errorCode: number): PartitionResponse => notAppended(index, errorCode);
  const led = ledPartition(ctx, topicName, index);
  if (led.errorCode !== undefined) return failed(led.errorCode);
  const { partition } = led;
  const parsed = parseBatches(records);
  if (!parsed.ok) {
    log.warn('rejected produce', { topic: topicName, partition: index, error: parsed.message });
    return failed(parsed.errorCode);
  }
  // Like Kafka: a batch larger than message.max.bytes (its 12-byte log overhead included) is refused whole.
  const oversized = parsed.batches.find((b) => b.buf.length > MESSAGE_MAX_BYTES);
  if (oversized !== undefined) {
    log.warn('rejected produce', {
      topic: topicName,
      partition: index,
      error: `record batch of ${oversized.buf.length} bytes exceeds message.max.bytes ${MESSAGE_MAX_BYTES}`,
    });
    return failed(ErrorCode.MESSAGE_TOO_LARGE);
  }
  const result = partition.log.append(parsed.batches, partition.leaderEpoch);
  if (result.errorCode !== ErrorCode.NONE) return failed(result.errorCode);
  return {
    index,
    errorCode: ErrorCode.NONE,
    baseOffset: result.baseOffset,
    logAppendTimeMs: -1,
    logStartOffset: partition.log.startOffset,
  };
}

export const produceApi: ApiDefinition<ProduceRequest, Record<string, unknown>> = {
  key: 0,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 7,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [
    field('transactionalId', 'string', '3+'),
    field('acks', 'int16'),
    field('timeoutMs', 'int32'),
    array('topicData', [
      field('name', 'string'),
      array('partitionData', [field('index', 'int32'), field('records', 'records')]),
    ]),
  ],
  response: [
    array('responses', [
      field('name', 'string'),
      array('partitionResponses', [
        field('index', 'int32'),
        field('errorCode', 'int16'),
        field('baseOffset', 'int64'),
        field('logAppendTimeMs', 'int64', '2+'),
        field('logStartOffset', 'int64', '5+'),
      ]),
    ]),
    field('throttleTimeMs', 'int32', '1+'),
  ],
  handle(ctx, req) {
    const validAcks = req.acks === 0 || req.acks === 1 || req.acks === -1;
    const responses = req.topicData.map((t) => ({
      name: t.name,
      partitionResponses: t.partitionData.map((p) =>
        validAcks
          ? appendPartition(ctx, t.name, p.index, p.records)
          : notAppended(p.index, ErrorCode.INVALID_REQUIRED_ACKS),
      ),
    }));
    // acks=0: the producer expects no answer at all
    if (req.acks === 0) return undefined;
    return { responses, throttleTimeMs: 0 };
  },
};
