/** FindCoordinator (key 10), v0-2: which broker coordinates a group (key type 0) or transaction (1). */
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { field } from '../protocol/schema.ts';
import { listenerPort } from '../security/listeners.ts';

interface FindCoordinatorRequest {
  key: string;
  keyType?: number;
}

export const findCoordinatorApi: ApiDefinition<FindCoordinatorRequest, Record<string, unknown>> = {
  key: 10,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 2,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [field('key', 'string'), field('keyType', 'int8', '1+')],
  response: [
    field('throttleTimeMs', 'int32', '1+'),
    field('errorCode', 'int16'),
    field('errorMessage', 'string', '1+'),
    field('nodeId', 'int32'),
    field('host', 'string'),
    field('port', 'int32'),
  ],
  handle(ctx, req) {
    const node = ctx.cluster.coordinatorFor(req.key);
    if (node === null) {
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        errorMessage: 'No broker is up',
        nodeId: -1,
        host: '',
        port: -1,
      };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      nodeId: node.nodeId,
      host: node.host,
      port: listenerPort(node, ctx.listener) ?? node.port,
    };
  },
};
