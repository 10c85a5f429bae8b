/** MarkDeleted: DELETING → DELETED once teardown removed everything. Idempotent. */
import { taskLambda } from './lambda.ts';
import { markStatus, type MarkStatusOutput } from './mark-status.ts';
import type { PipelineInput, TaskDeps } from './step.ts';

export const MARK_DELETED_STEP = 'MarkDeleted';

export function markDeleted(input: PipelineInput, deps: TaskDeps): Promise<MarkStatusOutput> {
  return markStatus(deps, input, {
    step: MARK_DELETED_STEP,
    from: 'DELETING',
    to: 'DELETED',
    detail: 'pipeline DELETED',
  });
}

export const handler = taskLambda(MARK_DELETED_STEP, markDeleted, () => ({}));
