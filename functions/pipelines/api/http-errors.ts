import { HttpError } from '../../lib/errors.ts';
import { errorResponse, type HttpResponse } from '../../lib/http.ts';
import type { Log } from '../../lib/logger.ts';
import {
  AppIdConflictError,
  HeldByPipelineError,
  IdempotencyKeyReuseError,
  IllegalTransitionError,
  InvalidPipelineRequestError,
  PipelineNotFoundError,
  ProjectConflictError,
  WorkflowStartError,
} from '../errors.ts';
import { isPipelineId } from '../model.ts';
import { statusUrl } from './deps.ts';

/** The holder of a conflict, when known, as the answer shows it. */
const holder = (e: HeldByPipelineError) => (e.pipelineId ? { pipelineId: e.pipelineId } : {});

/**
 * The admin API's error mapping: the domain errors of ../errors.ts become HttpErrors with a
 * message safe to show, then the project's one error→HTTP mapper (lib/http.ts errorResponse)
 * answers; anything else is its generic 500 with the details in the log only.
 */
export function toHttpError(err: unknown, retryAfterSeconds: number): unknown {
  if (err instanceof InvalidPipelineRequestError) {
    return new HttpError(400, 'invalid pipeline request', { details: { errors: err.violations } });
  }
  if (err instanceof PipelineNotFoundError) {
    // The id is echoed only when it could be one; the message already quotes any other (bounded).
    return new HttpError(404, err.message, { details: isPipelineId(err.pipelineId) ? { id: err.pipelineId } : {} });
  }
  if (err instanceof ProjectConflictError) {
    return new HttpError(409, err.message, { details: { projectId: err.projectId, ...holder(err) } });
  }
  if (err instanceof AppIdConflictError) {
    return new HttpError(409, err.message, { details: { appIds: err.appIds, ...holder(err) } });
  }
  if (err instanceof IdempotencyKeyReuseError) return new HttpError(422, err.message, { details: holder(err) });
  if (err instanceof IllegalTransitionError) {
    return new HttpError(409, err.message, { details: { id: err.pipelineId, status: err.from } });
  }
  if (err instanceof WorkflowStartError) {
    const details = { id: err.pipelineId, status: 'FAILED', statusUrl: statusUrl(err.pipelineId) };
    const what = `${err.message}; the pipeline is now FAILED (see statusUrl for the reason)`;
    return err.transient
      ? new HttpError(503, `${what}: Step Functions is unavailable, try again later`, {
          headers: { 'retry-after': String(retryAfterSeconds) },
          details,
          cause: err.cause,
        })
      : new HttpError(500, what, { details, cause: err.cause });
  }
  return err;
}

export function pipelinesErrorResponse(
  err: unknown,
  log: Log,
  requestId: string | undefined,
  retryAfterSeconds: number,
): HttpResponse {
  return errorResponse(toHttpError(err, retryAfterSeconds), log, requestId);
}
