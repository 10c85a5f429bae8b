/**
 * CreateTopics (key 19), v0-4: partitions, replication factor (-1 = broker default, v4),
 * explicit replica assignments, topic configs, validateOnly. Errors as Kafka reports them:
 * TOPIC_ALREADY_EXISTS, INVALID_REPLICATION_FACTOR when the factor exceeds the live brokers, ...
 */
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';

interface CreateTopicsRequest {
  topics: Array<{
    name: string;
    numPartitions: number;
    replicationFactor: number;
    assignments: Array<{ partitionIndex: number; brokerIds: number[] }>;
    configs: Array<{ name: string; value: string | null }>;
  }>;
  validateOnly?: boolean;
}

export const createTopicsApi: ApiDefinition<CreateTopicsRequest, Record<string, unknown>> = {
  key: 19,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [
    array('topics', [
      field('name', 'string'),
      field('numPartitions', 'int32'),
      field('replicationFactor', 'int16'),
      array('assignments', [field('partitionIndex', 'int32'), array('brokerIds', 'int32')]),
      array('configs', [field('name', 'string'), field('value', 'string')]),
    ]),
    field('timeoutMs', 'int32'),
    field('validateOnly', 'bool', '1+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '2+'),
    array('topics', [field('name', 'string'), field('errorCode', 'int16'), field('errorMessage', 'string', '1+')]),
  ],
  handle(ctx, req) {
    const names = req.topics.map((t) => t.name);
    const topics = req.topics.map((t) => {
      if (names.indexOf(t.name) !== names.lastIndexOf(t.name)) {
        return {
          name: t.name,
          errorCode: ErrorCode.INVALID_REQUEST,
          errorMessage: `Topic '${t.name}' is listed more than once`,
        };
      }
      const assignments = [...t.assignments]
        .sort((a, b) => a.partitionIndex - b.partitionIndex)
        .map((a) => a.brokerIds);
      const error = ctx.cluster.validateNewTopic(t.name, t.numPartitions, t.replicationFactor, assignments);
      if (error !== null) return { name: t.name, errorCode: error.errorCode, errorMessage: error.message };
      if (req.validateOnly !== true) {
        const configs = new Map(t.configs.filter((c) => c.value !== null).map((c) => [c.name, c.value as string]));
        ctx.cluster.createTopic(t.name, t.numPartitions, t.replicationFactor, configs, assignments);
      }
      return { name: t.name, errorCode: ErrorCode.NONE, errorMessage: null };
    });
    return { throttleTimeMs: 0, topics };
  },
};
