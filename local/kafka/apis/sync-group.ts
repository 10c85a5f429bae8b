/** SyncGroup (key 14), v0-3: the leader hands out assignments; followers wait for theirs. */
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';
import { coordinatorError, GENERATION_MEMBER } from './coordinator-check.ts';

interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  assignments: Array<{ memberId: string; assignment: Buffer | null }>;
}

export const syncGroupApi: ApiDefinition<SyncGroupRequest, Record<string, unknown>> = {
  key: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [...GENERATION_MEMBER, array('assignments', [field('memberId', 'string'), field('assignment', 'bytes')])],
  response: [field('throttleTimeMs', 'int32', '1+'), field('errorCode', 'int16'), field('assignment', 'bytes')],
  handle(ctx, req) {
    const errorCode = coordinatorError(ctx, req.groupId);
    if (errorCode !== 0) return { errorCode };
    const group = ctx.cluster.groups.get(req.groupId);
    if (group === undefined) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    const assignments = req.assignments.map((a) => ({
      memberId: a.memberId,
      assignment: a.assignment ?? Buffer.alloc(0),
    }));
    const result = group.sync(req.memberId, req.generationId, assignments);
    const toBody = (r: { errorCode: number; assignment: Buffer }) => ({
      throttleTimeMs: 0,
      errorCode: r.errorCode,
      assignment: r.assignment,
    });
    return result instanceof Promise ? result.then(toBody) : toBody(result);
  },
};
