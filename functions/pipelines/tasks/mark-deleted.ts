/** MarkDeleted: DELETING → DELETED once teardown removed everything. Idempotent. */
import { InvalidPipelineError } from './errors.ts';
import { registryStore, taskHandler, taskLog } from './lambda.ts';
import type { MarkStatusOutput } from './mark-active.ts';
import { loadPipeline, runStep, type PipelineInput, type TaskDeps } from './step.ts';

export const MARK_DELETED_STEP = 'MarkDeleted';

export async function markDeleted(input: PipelineInput, deps: TaskDeps): Promise<MarkStatusOutput> {
  const pipeline = await loadPipeline(deps, input.pipelineId);
  if (pipeline.status === 'DELETED') return { pipelineId: pipeline.id, status: 'DELETED' };
  if (pipeline.status !== 'DELETING')
    throw new InvalidPipelineError(
      `pipeline ${pipeline.id} is ${pipeline.status}; only a DELETING pipeline becomes DELETED`,
    );
  return runStep(
    deps,
    pipeline.id,
    MARK_DELETED_STEP,
    async () => {
      const updated = await deps.store.transition(pipeline.id, 'DELETED');
      return { pipelineId: updated.id, status: updated.status };
    },
    { detail: () => 'pipeline DELETED' },
  );
}

export const handler = taskHandler<PipelineInput, MarkStatusOutput>(MARK_DELETED_STEP, (input) =>
  markDeleted(input, { store: registryStore(), log: taskLog }),
);
