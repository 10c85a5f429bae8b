/** What MarkActive and MarkDeleted share: one status transition, idempotent, as a step. */
import type { PipelineStatus } from '../model.ts';
import { InvalidPipelineError } from './errors.ts';
import { taskLambda } from './lambda.ts';
import { loadPipeline, runStep, type PipelineInput, type TaskDeps } from './step.ts';

export interface MarkStatusOutput {
  pipelineId: string;
  status: PipelineStatus;
}

export interface StatusMark {
  from: PipelineStatus;
  to: PipelineStatus;
  /** The history's detail once done. */
  detail: string;
}

/** The transitions the workflows end with, by their step (the ASL state's name). */
const MARKS = {
  /** Opens the ingest route of the pipeline's apps. */
  MarkActive: { from: 'CREATING', to: 'ACTIVE', detail: 'pipeline ACTIVE: its apps are accepted by POST /collect' },
  /** Once teardown removed everything. */
  MarkDeleted: { from: 'DELETING', to: 'DELETED', detail: 'pipeline DELETED' },
} as const satisfies Record<string, StatusMark>;

/** `from` → `to`; a pipeline already `to` is done (a retried task), any other status is a bug. */
async function markStatus(
  deps: TaskDeps,
  input: PipelineInput,
  step: string,
  mark: StatusMark,
): Promise<MarkStatusOutput> {
  const pipeline = await loadPipeline(deps, input.pipelineId);
  if (pipeline.status === mark.to) return { pipelineId: pipeline.id, status: mark.to };
  if (pipeline.status !== mark.from)
    throw new InvalidPipelineError(
      `pipeline ${pipeline.id} is ${pipeline.status}; only a ${mark.from} pipeline becomes ${mark.to}`,
    );
  return runStep(
    deps,
    pipeline,
    step,
    async () => {
      const updated = await deps.store.transition(pipeline.id, mark.to);
      return { pipelineId: updated.id, status: updated.status };
    },
    { detail: () => mark.detail },
  );
}

/** A status task's core (`core(input, deps)`, what the workflow tests run) and its Lambda handler. */
export function statusTask(step: keyof typeof MARKS) {
  const core = (input: PipelineInput, deps: TaskDeps): Promise<MarkStatusOutput> =>
    markStatus(deps, input, step, MARKS[step]);
  return { core, handler: taskLambda(step, core, () => ({})) };
}
