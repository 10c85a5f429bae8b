/** LeaveGroup (key 13), v0-3 (v3 leaves several members at once, by member or instance id). */
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';
import { coordinatorError } from './coordinator-check.ts';

interface LeaveGroupRequest {
  groupId: string;
  memberId?: string;
  members?: Array<{ memberId: string; groupInstanceId: string | null }>;
}

export const leaveGroupApi: ApiDefinition<LeaveGroupRequest, Record<string, unknown>> = {
  key: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [
    field('groupId', 'string'),
    field('memberId', 'string', '0-2'),
    array('members', [field('memberId', 'string'), field('groupInstanceId', 'string')], '3+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16'),
    array(
      'members',
      [field('memberId', 'string'), field('groupInstanceId', 'string'), field('errorCode', 'int16')],
      '3+',
    ),
  ],
  handle(ctx, req) {
    const errorCode = coordinatorError(ctx, req.groupId);
    const leaving = req.members ?? [{ memberId: req.memberId ?? '', groupInstanceId: null }];
    if (errorCode !== 0) return { errorCode, members: [] };
    const group = ctx.cluster.groups.get(req.groupId);
    const ids = leaving.map((m) => {
      if (m.memberId !== '' || m.groupInstanceId === null || group === undefined) return m.memberId;
      return group.describeMembers().find((d) => d.groupInstanceId === m.groupInstanceId)?.memberId ?? '';
    });
    const codes = group === undefined ? ids.map(() => ErrorCode.UNKNOWN_MEMBER_ID) : group.leave(ids);
    const members = leaving.map((m, i) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      errorCode: codes[i] ?? ErrorCode.NONE,
    }));
    // before v3 there is one member and its error is the top-level error
    const top = req.members === undefined ? (codes[0] ?? ErrorCode.NONE) : ErrorCode.NONE;
    return { throttleTimeMs: 0, errorCode: top, members };
  },
};
