/**
 * Named errors of the pipelines registry and admin API (NamedError: `name` is the class name,
 * which the API's error mapper api/http-errors.ts matches). They carry no HTTP status: the
 * registry is also used by the workflow tasks, where HTTP means nothing.
 */
import type { PipelineStatus } from './model.ts';
import { NamedError } from '../lib/errors.ts';
import { quoted } from '../lib/shown.ts';

/** One violated request rule, named by its JSON path (`$.kafka.clusterArn`, `$.appIds[2]`). */
export interface RequestViolation {
  path: string;
  message: string;
}

/** The POST /pipelines body breaks one or more rules; `errors` lists every one of them. */
export class InvalidPipelineRequestError extends NamedError {
  readonly errors: RequestViolation[];

  constructor(errors: RequestViolation[]) {
    super(`invalid pipeline request: ${errors.map((e) => `${e.path} ${e.message}`).join('; ')}`);
    this.errors = errors;
  }
}

export class PipelineNotFoundError extends NamedError {
  readonly pipelineId: string;

  constructor(pipelineId: string) {
    super(`pipeline ${quoted(pipelineId)} does not exist`);
    this.pipelineId = pipelineId;
  }
}

/** The project already has a pipeline that is not DELETED (one pipeline per project). */
export class ProjectConflictError extends NamedError {
  readonly projectId: string;
  /** The pipeline holding the project, when known. */
  readonly pipelineId: string | undefined;

  constructor(projectId: string, pipelineId?: string) {
    super(
      `project '${projectId}' already has a pipeline${pipelineId ? ` ('${pipelineId}')` : ''}; ` +
        'delete it (DELETE /pipelines/{id}) before creating another one',
    );
    this.projectId = projectId;
    this.pipelineId = pipelineId;
  }
}

/** An app id is already routed by another pipeline that is not DELETED (an app has one route). */
export class AppIdConflictError extends NamedError {
  readonly appIds: string[];
  readonly pipelineId: string | undefined;

  constructor(appIds: string[], pipelineId?: string) {
    super(
      `app id${appIds.length > 1 ? 's' : ''} ${appIds.map((a) => `'${a}'`).join(', ')} already belong${appIds.length > 1 ? '' : 's'} to ` +
        `${pipelineId ? `pipeline '${pipelineId}'` : 'another pipeline'}; an app can send to one pipeline only`,
    );
    this.appIds = appIds;
    this.pipelineId = pipelineId;
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

/** An Idempotency-Key was reused for a different request body. */
export class IdempotencyKeyReuseError extends NamedError {
  readonly idempotencyKey: string;
  /** The pipeline the key was first used for. */
  readonly pipelineId: string | undefined;

  constructor(idempotencyKey: string, pipelineId?: string) {
    super(
      `Idempotency-Key '${idempotencyKey}' was already used for a different request` +
        `${pipelineId ? ` (pipeline '${pipelineId}')` : ''}; use a new key for a new request`,
    );
    this.idempotencyKey = idempotencyKey;
    this.pipelineId = pipelineId;
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
