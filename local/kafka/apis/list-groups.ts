/**
 * ListGroups (key 16), v0-2. Like a real broker, each broker lists only the groups it
 * coordinates; admin clients ask every broker and merge.
 */
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';

export const listGroupsApi: ApiDefinition<unknown, Record<string, unknown>> = {
  key: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16'),
    array('groups', [field('groupId', 'string'), field('protocolType', 'string')]),
  ],
  handle(ctx) {
    const ids = new Set([...ctx.cluster.groups.all().map((g) => g.groupId), ...ctx.cluster.offsets.groupIds()]);
    const groups = [...ids]
      .filter((id) => ctx.cluster.coordinatorFor(id)?.nodeId === ctx.broker.nodeId)
      .map((groupId) => ({ groupId, protocolType: ctx.cluster.groups.get(groupId)?.protocolType ?? '' }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups };
  },
};
