/**
 * InitProducerId (key 22), v0-1: hands out producer ids for idempotent producers. Sequence
 * numbers are then checked per partition by the log. Transactions are not supported (their APIs
 * are not advertised), so a transactional id only gets a producer id.
 */
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { field } from '../protocol/schema.ts';

export const initProducerIdApi: ApiDefinition<unknown, Record<string, unknown>> = {
  key: 22,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 1,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [field('transactionalId', 'string'), field('transactionTimeoutMs', 'int32')],
  response: [
    field('throttleTimeMs', 'int32'),
    field('errorCode', 'int16'),
    field('producerId', 'int64'),
    field('producerEpoch', 'int16'),
  ],
  handle(ctx) {
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      producerId: ctx.cluster.allocateProducerId(),
      producerEpoch: 0,
    };
  },
};
