/** JoinGroup (key 11), v0-5. The answer is parked until the rebalance completes (see group.ts). */
import type { ApiDefinition } from '../protocol/api.ts';
import type { JoinResult } from '../group.ts';
import { array, field } from '../protocol/schema.ts';
import { coordinatorError } from './coordinator-check.ts';

interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs?: number;
  memberId: string;
  groupInstanceId?: string | null;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer | null }>;
}

function toBody(r: JoinResult): Record<string, unknown> {
  return { throttleTimeMs: 0, ...r, protocolName: r.protocolName ?? '' };
}

export const joinGroupApi: ApiDefinition<JoinGroupRequest, Record<string, unknown>> = {
  key: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 5,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [
    field('groupId', 'string'),
    field('sessionTimeoutMs', 'int32'),
    field('rebalanceTimeoutMs', 'int32', '1+'),
    field('memberId', 'string'),
    field('groupInstanceId', 'string', '5+'),
    field('protocolType', 'string'),
    array('protocols', [field('name', 'string'), field('metadata', 'bytes')]),
  ],
  response: [
    field('throttleTimeMs', 'int32', '2+'),
    field('errorCode', 'int16'),
    field('generationId', 'int32'),
    field('protocolName', 'string'),
    field('leader', 'string'),
    field('memberId', 'string'),
    array('members', [
      field('memberId', 'string'),
      field('groupInstanceId', 'string', '5+'),
      field('metadata', 'bytes'),
    ]),
  ],
  handle(ctx, req) {
    const errorCode = coordinatorError(ctx, req.groupId);
    if (errorCode !== 0)
      return {
        errorCode,
        generationId: -1,
        protocolName: '',
        leader: '',
        memberId: req.memberId,
        members: [],
      };
    const result = ctx.cluster.groups.getOrCreate(req.groupId).join({
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId ?? null,
      clientId: ctx.clientId,
      clientHost: ctx.clientHost,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs ?? req.sessionTimeoutMs,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: p.metadata ?? Buffer.alloc(0) })),
    });
    return result instanceof Promise ? result.then(toBody) : toBody(result);
  },
};
