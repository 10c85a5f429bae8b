/** What MarkActive and MarkDeleted share: one status transition, idempotent, as a step. */
import type { PipelineStatus } from '../model.ts';
import { InvalidPipelineError } from './errors.ts';
import { loadPipeline, runStep, type PipelineInput, type TaskDeps } from './step.ts';

export interface MarkStatusOutput {
  pipelineId: string;
  status: PipelineStatus;
}

export interface StatusMark {
  /** The step (the ASL state's name). */
  step: string;
  from: PipelineStatus;
  to: PipelineStatus;
  /** The history's detail once done. */
  detail: string;
}

/** `from` → `to`; a pipeline already `to` is done (a retried task), any other status is a bug. */
export async function markStatus(deps: TaskDeps, input: PipelineInput, mark: StatusMark): Promise<MarkStatusOutput> {
  const pipeline = await loadPipeline(deps, input.pipelineId);
  if (pipeline.status === mark.to) return { pipelineId: pipeline.id, status: mark.to };
  if (pipeline.status !== mark.from)
    throw new InvalidPipelineError(
      `pipeline ${pipeline.id} is ${pipeline.status}; only a ${mark.from} pipeline becomes ${mark.to}`,
    );
  return runStep(
    deps,
    pipeline,
    mark.step,
    async () => {
      const updated = await deps.store.transition(pipeline.id, mark.to);
      return { pipelineId: updated.id, status: updated.status };
    },
    { detail: () => mark.detail },
  );
}
