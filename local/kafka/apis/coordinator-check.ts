/**
 * Shared guard for group APIs: a group request must reach the group's coordinator, otherwise the
 * client gets NOT_COORDINATOR and looks the coordinator up again (as after a failover).
 */
import type { RequestContext } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { field } from '../protocol/schema.ts';

export function coordinatorError(ctx: RequestContext, groupId: string): number {
  if (groupId === '') return ErrorCode.INVALID_GROUP_ID;
  const coordinator = ctx.cluster.coordinatorFor(groupId);
  if (coordinator === null) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  return coordinator.nodeId === ctx.broker.nodeId ? ErrorCode.NONE : ErrorCode.NOT_COORDINATOR;
}

/** The request fields that name a group member of one generation (Heartbeat, SyncGroup). */
export const GENERATION_MEMBER = [
  field('groupId', 'string'),
  field('generationId', 'int32'),
  field('memberId', 'string'),
  field('groupInstanceId', 'string', '3+'),
];
