/**
 * Named errors of the pipelines registry and admin API (NamedError: `name` is the class name).
 * They carry no HTTP status: the registry is also used by the workflow tasks, where HTTP means
 * nothing; the admin API's one mapper (api/http-errors.ts) turns them into responses.
 */
import type { PipelineStatus } from './model.ts';
import { NamedError, ViolationsError, type Violation } from '../lib/errors.ts';
import { quoted } from '../lib/shown.ts';

/** The POST /pipelines body breaks one or more rules; `violations` lists every one of them. */
export class InvalidPipelineRequestError extends ViolationsError {
  constructor(violations: Violation[]) {
    super('invalid pipeline request', violations);
  }
}

export class PipelineNotFoundError extends NamedError {
  readonly pipelineId: string;

  constructor(pipelineId: string) {
    super(`pipeline ${quoted(pipelineId)} does not exist`);
    this.pipelineId = pipelineId;
  }
}

/** Something the request needs is held by another pipeline: `pipelineId` names it when known. */
export class HeldByPipelineError extends NamedError {
  readonly pipelineId: string | undefined;

  constructor(message: string, pipelineId: string | undefined) {
    super(message);
    this.pipelineId = pipelineId;
  }
}

/** The project already has a pipeline that is not DELETED (one pipeline per project). */
export class ProjectConflictError extends HeldByPipelineError {
  readonly projectId: string;

  constructor(projectId: string, pipelineId?: string) {
    const holder = pipelineId ? ` ('${pipelineId}')` : '';
    super(
      `project '${projectId}' already has a pipeline${holder}; delete it (DELETE /pipelines/{id}) before creating another one`,
      pipelineId,
    );
    this.projectId = projectId;
  }
}

/** An app id is already routed by another pipeline that is not DELETED (an app has one route). */
export class AppIdConflictError extends HeldByPipelineError {
  readonly appIds: string[];

  constructor(appIds: string[], pipelineId?: string) {
    const many = appIds.length > 1;
    const holder = pipelineId ? `pipeline '${pipelineId}'` : 'another pipeline';
    super(
      `app id${many ? 's' : ''} ${appIds.map((a) => `'${a}'`).join(', ')} already belong${many ? '' : 's'} to ${holder}; ` +
        'an app can send to one pipeline only',
      pipelineId,
    );
    this.appIds = appIds;
  }
}

/** The pipeline's current status does not allow the requested one (model.ts allowedTransitions). */
export class IllegalTransitionError extends NamedError {
  readonly pipelineId: string;
  readonly from: PipelineStatus;
  readonly to: PipelineStatus;

  constructor(pipelineId: string, from: PipelineStatus, to: PipelineStatus) {
    super(`pipeline '${pipelineId}' is ${from}; it cannot become ${to}`);
    this.pipelineId = pipelineId;
    this.from = from;
    this.to = to;
  }
}

/** An Idempotency-Key was reused for a different request body (`pipelineId`: its first use). */
export class IdempotencyKeyReuseError extends HeldByPipelineError {
  readonly idempotencyKey: string;

  constructor(idempotencyKey: string, pipelineId?: string) {
    const first = pipelineId ? ` (pipeline '${pipelineId}')` : '';
    super(
      `Idempotency-Key '${idempotencyKey}' was already used for a different request${first}; use a new key for a new request`,
      pipelineId,
    );
    this.idempotencyKey = idempotencyKey;
  }
}

/**
 * Step Functions refused to start a pipeline's workflow; the pipeline was marked FAILED with the
 * reason. `transient` (throttling, service errors, network) → 503, otherwise 500.
 */
export class WorkflowStartError extends NamedError {
  readonly pipelineId: string;
  readonly workflow: 'create' | 'delete';
  readonly transient: boolean;

  constructor(pipelineId: string, workflow: 'create' | 'delete', transient: boolean, cause: unknown) {
    super(`the ${workflow} workflow of pipeline '${pipelineId}' could not be started`, { cause });
    this.pipelineId = pipelineId;
    this.workflow = workflow;
    this.transient = transient;
  }
}
