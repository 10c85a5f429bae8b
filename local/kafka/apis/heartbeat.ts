/** Heartbeat (key 12), v0-3: keeps a member's session alive and tells it when to rejoin. */
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { field } from '../protocol/schema.ts';
import { coordinatorError, GENERATION_MEMBER } from './coordinator-check.ts';

interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
}

export const heartbeatApi: ApiDefinition<HeartbeatRequest, Record<string, unknown>> = {
  key: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: GENERATION_MEMBER,
  response: [field('throttleTimeMs', 'int32', '1+'), field('errorCode', 'int16')],
  handle(ctx, req) {
    const errorCode = coordinatorError(ctx, req.groupId);
    if (errorCode !== 0) return { errorCode };
    const group = ctx.cluster.groups.get(req.groupId);
    return {
      throttleTimeMs: 0,
      errorCode: group === undefined ? ErrorCode.UNKNOWN_MEMBER_ID : group.heartbeat(req.memberId, req.generationId),
    };
  },
};
