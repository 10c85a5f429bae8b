/** What the cleanup tasks (rollback and teardown) share. */
import type { Pipeline } from '../model.ts';
import type { PipelineInput } from './step.ts';

/** While rolling back a create (CREATING) or tearing down (DELETING). */
export const CLEANUP_STATUSES = ['CREATING', 'DELETING'] as const;

export interface CleanupInput extends PipelineInput {
  /** Name of the step in the pipeline's history (RollbackDeleteConnector, DeleteConnector, ...). */
  step?: string;
}

export interface CleanupOutput {
  /** What was deleted (an ARN, UUID or topic), or undefined when there was nothing of ours. */
  deleted: string | undefined;
  /** True when it had already gone. */
  alreadyGone: boolean;
}

/** Whether a step of this name was ever started for the pipeline. */
export function stepStarted(pipeline: Pipeline, name: string): boolean {
  return pipeline.steps.some((s) => s.name === name);
}
