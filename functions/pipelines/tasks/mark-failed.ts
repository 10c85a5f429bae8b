/**
 * MarkFailed: the end of every failure path. CREATING (after rollback) or DELETING (a failed
 * teardown) → FAILED, with a reason a person can act on and, when ValidateCluster failed, every
 * violated rule. Cleanup steps that could not delete something add what is left and must be
 * removed by hand. Receives the whole state of the execution. Idempotent.
 */
import { InvalidPipelineError, summarizeFailure, type CaughtError } from './errors.ts';
import { taskLambda } from './lambda.ts';
import type { MarkStatusOutput } from './mark-status.ts';
import { loadPipeline, runStep, type PipelineInput, type TaskDeps } from './step.ts';

export const MARK_FAILED_STEP = 'MarkFailed';

/** The state data keys where the machines' Catch clauses put errors. */
export const CLEANUP_ERROR_KEYS = {
  connectorCleanupError: 'connector',
  pluginCleanupError: 'custom plugin',
  mappingCleanupError: 'event source mapping',
  topicCleanupError: 'topic',
} as const;

export interface MarkFailedInput extends PipelineInput {
  /** The failure that stopped the workflow (create: what triggered the rollback). */
  error?: CaughtError;
  connectorCleanupError?: CaughtError;
  pluginCleanupError?: CaughtError;
  mappingCleanupError?: CaughtError;
  topicCleanupError?: CaughtError;
}

export interface MarkFailedOutput extends MarkStatusOutput {
  failureReason: string;
  violations: string[] | undefined;
}

export function failureReason(
  input: MarkFailedInput,
  phase: 'create' | 'delete',
): { reason: string; violations: string[] | undefined } {
  const failure = summarizeFailure(input.error);
  const left = Object.entries(CLEANUP_ERROR_KEYS)
    .filter(([key]) => input[key as keyof typeof CLEANUP_ERROR_KEYS] !== undefined)
    .map(([key, what]) => `${what} (${summarizeFailure(input[key as keyof typeof CLEANUP_ERROR_KEYS]).message})`);
  let reason = phase === 'create' ? failure.message : `deleting the pipeline failed: ${failure.message}`;
  if (phase === 'create') {
    reason +=
      left.length === 0
        ? '\nEverything this pipeline had created was removed.'
        : `\nRollback could not remove: ${left.join('; ')}. Remove these by hand, or delete the pipeline to try again.`;
  } else if (left.length > 0) {
    reason += `\nNot removed: ${left.join('; ')}.`;
  }
  if (phase === 'delete') reason += '\nDELETE the pipeline again to retry the teardown.';
  return { reason, violations: failure.violations };
}

export async function markFailed(input: MarkFailedInput, deps: TaskDeps): Promise<MarkFailedOutput> {
  const pipeline = await loadPipeline(deps, input.pipelineId);
  if (pipeline.status === 'FAILED') {
    return {
      pipelineId: pipeline.id,
      status: 'FAILED',
      failureReason: pipeline.failureReason ?? '',
      violations: pipeline.violations,
    };
  }
  if (pipeline.status !== 'CREATING' && pipeline.status !== 'DELETING') {
    throw new InvalidPipelineError(
      `pipeline ${pipeline.id} is ${pipeline.status}; only a CREATING or DELETING pipeline can be marked FAILED`,
    );
  }
  const { reason, violations } = failureReason(input, pipeline.status === 'CREATING' ? 'create' : 'delete');
  return runStep(
    deps,
    pipeline,
    MARK_FAILED_STEP,
    async () => {
      const updated = await deps.store.transition(pipeline.id, 'FAILED', {
        failureReason: reason,
        ...(violations !== undefined ? { violations } : {}),
      });
      return { pipelineId: updated.id, status: updated.status, failureReason: reason, violations };
    },
    { detail: () => reason.split('\n')[0] },
  );
}

export const handler = taskLambda(MARK_FAILED_STEP, markFailed, () => ({}));
