import { HttpError } from '../../lib/errors.ts';
import { errorResponse, type HttpResponse } from '../../lib/http.ts';
import type { Log } from '../../lib/logger.ts';
import type {
  AppIdConflictError,
  IdempotencyKeyReuseError,
  IllegalTransitionError,
  InvalidPipelineRequestError,
  PipelineNotFoundError,
  ProjectConflictError,
  WorkflowStartError,
} from '../errors.ts';
import { isPipelineId } from '../model.ts';
import { statusUrl } from './deps.ts';

/**
 * The admin API's error mapping: the named errors of ../errors.ts become HttpErrors with a
 * message safe to show (matched by `name`, which survives bundling), then the project's one
 * error→HTTP mapper (lib/http.ts errorResponse) answers; anything else is its generic 500 with
 * the details in the log only.
 */
export function toHttpError(err: unknown, retryAfterSeconds: number): unknown {
  if (!(err instanceof Error) || err instanceof HttpError) return err;
  switch (err.name) {
    case 'InvalidPipelineRequestError':
      return new HttpError(400, 'invalid pipeline request', {
        details: { errors: (err as InvalidPipelineRequestError).errors },
      });
    case 'PipelineNotFoundError': {
      // The id is echoed only when it could be one; the message already quotes any other (bounded).
      const id = (err as PipelineNotFoundError).pipelineId;
      return new HttpError(404, err.message, { details: isPipelineId(id) ? { id } : {} });
    }
    case 'ProjectConflictError': {
      const e = err as ProjectConflictError;
      return new HttpError(409, e.message, {
        details: { projectId: e.projectId, ...(e.pipelineId ? { pipelineId: e.pipelineId } : {}) },
      });
    }
    case 'AppIdConflictError': {
      const e = err as AppIdConflictError;
      return new HttpError(409, e.message, {
        details: { appIds: e.appIds, ...(e.pipelineId ? { pipelineId: e.pipelineId } : {}) },
      });
    }
    case 'IllegalTransitionError': {
      const e = err as IllegalTransitionError;
      return new HttpError(409, e.message, { details: { id: e.pipelineId, status: e.from } });
    }
    case 'IdempotencyKeyReuseError': {
      const e = err as IdempotencyKeyReuseError;
      return new HttpError(422, e.message, { details: e.pipelineId ? { pipelineId: e.pipelineId } : {} });
    }
    case 'WorkflowStartError': {
      const e = err as WorkflowStartError;
      const details = { id: e.pipelineId, status: 'FAILED', statusUrl: statusUrl(e.pipelineId) };
      const what = `${e.message}; the pipeline is now FAILED (see statusUrl for the reason)`;
      return e.transient
        ? new HttpError(503, `${what}: Step Functions is unavailable, try again later`, {
            headers: { 'retry-after': String(retryAfterSeconds) },
            details,
            cause: e.cause,
          })
        : new HttpError(500, what, { details, cause: e.cause });
    }
    default:
      return err;
  }
}

export function pipelinesErrorResponse(
  err: unknown,
  log: Log,
  requestId: string | undefined,
  retryAfterSeconds: number,
): HttpResponse {
  return errorResponse(toHttpError(err, retryAfterSeconds), log, requestId);
}
