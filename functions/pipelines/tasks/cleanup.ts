/**
 * What the cleanup tasks (rollback and teardown) share: each finds the resource this pipeline
 * owns and removes it, idempotently — nothing of ours, or already gone, is done.
 */
import type { Pipeline } from '../model.ts';
import { awsCall, isAwsError, isNotFound, toTaskError, TransientError } from './errors.ts';
import { pipelineStep, type PipelineInput, type TaskDeps } from './step.ts';

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

/**
 * A resource the registry does not know because its create step died before recording it: looked
 * up by `lookUp` (by the pipeline's name for it), only when that step ever started.
 */
export async function unrecorded(
  pipeline: Pipeline,
  createStep: string,
  kind: string,
  lookUp: (() => Promise<string | undefined>) | undefined,
): Promise<string | undefined> {
  if (lookUp === undefined || !stepStarted(pipeline, createStep)) return undefined;
  return awsCall(`look for the pipeline's ${kind}`, lookUp);
}

/**
 * One AWS delete call: true when the resource had already gone. `busy` is the service's error for
 * "in use or changing" — retried by the state machine, with `busy.why` in the message.
 */
export async function awsDelete(
  resource: string,
  send: () => Promise<unknown>,
  busy: { error: string; why: string },
): Promise<boolean> {
  try {
    await send();
    return false;
  } catch (error) {
    if (isNotFound(error)) return true;
    if (isAwsError(error, busy.error))
      throw new TransientError(`${resource} ${busy.why}; will retry`, { cause: error });
    throw toTaskError(error, `delete ${resource}`);
  }
}

export interface Cleanup {
  /** The step's name when the state machine passes none. */
  step: string;
  /** What the resource is, as the history says it ("custom plugin"). */
  kind: string;
  /** The history's detail when this pipeline has none to delete. */
  nothing: string;
  /** The id of the pipeline's own resource, or undefined. */
  find: (pipeline: Pipeline) => Promise<string | undefined>;
  /** Deletes it; true when it had already gone. */
  remove: (id: string, pipeline: Pipeline) => Promise<boolean>;
}

/** A cleanup task's core: find, remove, and record what happened. */
export async function cleanupStep(deps: TaskDeps, input: CleanupInput, cleanup: Cleanup): Promise<CleanupOutput> {
  return pipelineStep(
    deps,
    input,
    {
      name: input.step ?? cleanup.step,
      statuses: CLEANUP_STATUSES,
      detail: (r) =>
        r.deleted === undefined
          ? cleanup.nothing
          : `${cleanup.kind} ${r.deleted} ${r.alreadyGone ? 'was already gone' : 'deleted'}`,
    },
    async (pipeline) => {
      const id = await cleanup.find(pipeline);
      if (id === undefined) return { deleted: undefined, alreadyGone: false };
      return { deleted: id, alreadyGone: await cleanup.remove(id, pipeline) };
    },
  );
}
