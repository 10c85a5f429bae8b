/** DeleteTopics (key 20), v0-3. Deleting also drops the topic's committed offsets. */
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';

interface DeleteTopicsRequest {
  topicNames: string[];
}

export const deleteTopicsApi: ApiDefinition<DeleteTopicsRequest, Record<string, unknown>> = {
  key: 20,
  name: 'DeleteTopics',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [array('topicNames', 'string'), field('timeoutMs', 'int32')],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    array('responses', [field('name', 'string'), field('errorCode', 'int16')]),
  ],
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      responses: req.topicNames.map((name) => ({
        name,
        errorCode: ctx.cluster.deleteTopic(name) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
      })),
    };
  },
};
