/** MarkActive: CREATING → ACTIVE, which also opens the ingest route of the pipeline's apps. Idempotent. */
import { taskLambda } from './lambda.ts';
import { markStatus, type MarkStatusOutput } from './mark-status.ts';
import type { PipelineInput, TaskDeps } from './step.ts';

export const MARK_ACTIVE_STEP = 'MarkActive';

export function markActive(input: PipelineInput, deps: TaskDeps): Promise<MarkStatusOutput> {
  return markStatus(deps, input, {
    step: MARK_ACTIVE_STEP,
    from: 'CREATING',
    to: 'ACTIVE',
    detail: 'pipeline ACTIVE: its apps are accepted by POST /collect',
  });
}

export const handler = taskLambda(MARK_ACTIVE_STEP, markActive, () => ({}));
