/** DescribeGroups (key 15), v0-4: state, protocol and members of each group. */
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';
import { coordinatorError } from './coordinator-check.ts';

interface DescribeGroupsRequest {
  groups: string[];
}

const AUTHORIZED_OPERATIONS_UNKNOWN = -2147483648;

export const describeGroupsApi: ApiDefinition<DescribeGroupsRequest, Record<string, unknown>> = {
  key: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 4,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [array('groups', 'string'), field('includeAuthorizedOperations', 'bool', '3+')],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    array('groups', [
      field('errorCode', 'int16'),
      field('groupId', 'string'),
      field('groupState', 'string'),
      field('protocolType', 'string'),
      field('protocolData', 'string'),
      array('members', [
        field('memberId', 'string'),
        field('groupInstanceId', 'string', '4+'),
        field('clientId', 'string'),
        field('clientHost', 'string'),
        field('memberMetadata', 'bytes'),
        field('memberAssignment', 'bytes'),
      ]),
      field('authorizedOperations', 'int32', '3+'),
    ]),
  ],
  handle(ctx, req) {
    const groups = req.groups.map((groupId) => {
      const errorCode = coordinatorError(ctx, groupId);
      const group = errorCode === ErrorCode.NONE ? ctx.cluster.groups.get(groupId) : undefined;
      if (group === undefined) {
        // a group known only by its committed offsets is Empty; an unknown one is Dead, as in Kafka
        const hasOffsets = errorCode === ErrorCode.NONE && ctx.cluster.offsets.topicsOf(groupId).size > 0;
        const groupState = hasOffsets ? 'Empty' : 'Dead';
        return {
          errorCode,
          groupId,
          groupState,
          protocolType: '',
          protocolData: '',
          members: [],
          authorizedOperations: AUTHORIZED_OPERATIONS_UNKNOWN,
        };
      }
      return {
        errorCode,
        groupId,
        groupState: group.state,
        protocolType: group.protocolType ?? '',
        protocolData: group.protocolName ?? '',
        members: group
          .describeMembers()
          .map((m) => ({ ...m, memberMetadata: m.metadata, memberAssignment: m.assignment })),
        authorizedOperations: AUTHORIZED_OPERATIONS_UNKNOWN,
      };
    });
    return { throttleTimeMs: 0, groups };
  },
};
