/**
 * The named errors of the pipeline workflow tasks. Step Functions matches a Lambda error by its
 * `errorType`, which the Node.js runtime takes from `error.name` (the class name, NamedError);
 * the two names the workflow itself matches are spelled out. The state machines rely on exactly
 * two kinds:
 *
 * - `TransientError`: retrying may help (throttling, 5xx, timeouts, a broker that did not answer).
 *   Every Task state retries it with backoff and full jitter.
 * - every other name: permanent. Not retried; caught, rolled back, stored as the failure reason.
 *
 * Messages are written for the person reading GET /pipelines/{id}: they say what is wrong and,
 * where possible, what to change.
 */

import { awsErrorName, isTransientAwsError, type SdkErrorShape } from '../../lib/aws-errors.ts';
import { NamedError } from '../../lib/errors.ts';

/** Retrying the same call later may succeed. The only error name the ASL retries (besides Lambda.*). */
export class TransientError extends NamedError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

/**
 * The cluster (or the pipeline's settings against it) breaks one or more rules. The message lists
 * every violation, one per line prefixed with "- ", so MarkFailed can recover the list from the
 * error's Cause (Lambda passes only errorType/errorMessage to Step Functions); summarizeFailure
 * matches its errorType.
 */
export class ClusterValidationError extends NamedError {
  readonly violations: string[];

  constructor(cluster: string, violations: string[]) {
    super(
      `${cluster} does not meet ${violations.length} requirement${violations.length === 1 ? '' : 's'}:\n${violations.map((v) => `- ${v}`).join('\n')}`,
    );
    this.name = 'ClusterValidationError';
    this.violations = violations;
  }
}

/** The topic exists but cannot serve the pipeline (too few partitions or replicas). */
export class TopicConflictError extends NamedError {}

/** A resource this run created reached a failed state (plugin CREATE_FAILED, connector FAILED, mapping disabled). */
export class ResourceFailedError extends NamedError {}

/** A Wait/poll loop reached its bound (the counter in the state data) before the resource was ready. */
export class WaitTimeoutError extends NamedError {}

/** The pipeline is missing from the registry, or its stored settings cannot be used. */
export class InvalidPipelineError extends NamedError {}

/** An AWS call failed in a way retrying does not fix (validation, access denied, conflict, limit). */
export class AwsRequestError extends NamedError {
  /** The service's own error name (e.g. `BadRequestException`). */
  readonly serviceError: string;

  constructor(message: string, serviceError: string, options?: { cause?: unknown }) {
    super(message, options);
    this.serviceError = serviceError;
  }
}

export function isAwsError(error: unknown, ...names: string[]): boolean {
  return names.includes(awsErrorName(error));
}

/** Not found, in the spellings of the services the tasks call. */
export function isNotFound(error: unknown): boolean {
  return (
    isAwsError(error, 'NotFoundException', 'ResourceNotFoundException') ||
    (error as SdkErrorShape | null)?.$metadata?.httpStatusCode === 404
  );
}

/** One of the workflow's own named errors (already classified). */
export function isWorkflowError(error: unknown): error is Error {
  return (
    error instanceof TransientError ||
    error instanceof ClusterValidationError ||
    error instanceof TopicConflictError ||
    error instanceof ResourceFailedError ||
    error instanceof WaitTimeoutError ||
    error instanceof InvalidPipelineError ||
    error instanceof AwsRequestError
  );
}

/**
 * Rethrows an AWS SDK error as one of the workflow's names: `TransientError` when a retry may
 * help, `AwsRequestError` otherwise. `action` says what was being done ("create the custom plugin").
 * Errors that are already the workflow's own pass through unchanged.
 */
export function toTaskError(error: unknown, action: string): Error {
  if (isWorkflowError(error)) return error;
  const name = awsErrorName(error);
  const message = (error as SdkErrorShape | null)?.message ?? String(error);
  if (isTransientAwsError(error))
    return new TransientError(`could not ${action} (${name}: ${message}); will retry`, { cause: error });
  return new AwsRequestError(`could not ${action}: ${name}: ${message}`, name, { cause: error });
}

/** Runs one AWS call of a task; its failure is rethrown as toTaskError says. */
export async function awsCall<T>(action: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toTaskError(error, action);
  }
}

/** The `{Error, Cause}` object a Catch puts into the state data. */
export interface CaughtError {
  Error?: string;
  Cause?: string;
}

export interface FailureSummary {
  /** The error name (`ClusterValidationError`, `States.Timeout`, ...). */
  error: string;
  /** The human-readable message. */
  message: string;
  /** Each violated rule, when the error was a ClusterValidationError. */
  violations: string[] | undefined;
}

/**
 * Reads a caught error back. From a real Lambda task the Cause is the runtime's JSON
 * (`{"errorType","errorMessage","trace"}`); from an in-process task (local runner) it is the
 * message itself; a Step Functions error (States.Timeout) has free text or none.
 */
export function summarizeFailure(caught: CaughtError | undefined): FailureSummary {
  const error = caught?.Error ?? 'UnknownError';
  let message = caught?.Cause ?? '';
  if (message.startsWith('{')) {
    try {
      const parsed = JSON.parse(message) as { errorMessage?: unknown };
      if (typeof parsed.errorMessage === 'string') message = parsed.errorMessage;
    } catch {
      // not JSON after all: keep the text
    }
  }
  if (message === '') message = error;
  const violations =
    error === 'ClusterValidationError'
      ? message
          .split('\n')
          .filter((line) => line.startsWith('- '))
          .map((line) => line.slice(2))
      : undefined;
  return { error, message, violations };
}
