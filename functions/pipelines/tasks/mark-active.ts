/** MarkActive: CREATING → ACTIVE, which also opens the ingest route of the pipeline's apps. Idempotent. */
import type { PipelineStatus } from '../model.ts';
import { InvalidPipelineError } from './errors.ts';
import { registryStore, taskHandler, taskLog } from './lambda.ts';
import { loadPipeline, runStep, type PipelineInput, type TaskDeps } from './step.ts';

export const MARK_ACTIVE_STEP = 'MarkActive';

export interface MarkStatusOutput {
  pipelineId: string;
  status: PipelineStatus;
}

export async function markActive(input: PipelineInput, deps: TaskDeps): Promise<MarkStatusOutput> {
  const pipeline = await loadPipeline(deps, input.pipelineId);
  if (pipeline.status === 'ACTIVE') return { pipelineId: pipeline.id, status: 'ACTIVE' };
  if (pipeline.status !== 'CREATING')
    throw new InvalidPipelineError(
      `pipeline ${pipeline.id} is ${pipeline.status}; only a CREATING pipeline becomes ACTIVE`,
    );
  return runStep(
    deps,
    pipeline.id,
    MARK_ACTIVE_STEP,
    async () => {
      const updated = await deps.store.transition(pipeline.id, 'ACTIVE');
      return { pipelineId: updated.id, status: updated.status };
    },
    { detail: () => 'pipeline ACTIVE: its apps are accepted by POST /collect' },
  );
}

export const handler = taskHandler<PipelineInput, MarkStatusOutput>(MARK_ACTIVE_STEP, (input) =>
  markActive(input, { store: registryStore(), log: taskLog }),
);
