/**
 * The bounded poll loops (Wait → poll task → Choice). The state data carries the loop's state
 * (the previous poll's output: `attempt`, `since`), the ASL sets the bound (`maxAttempts`, next to
 * the Wait's duration), and the poll task enforces it with a named error the Catch handles.
 */
import type { Pipeline } from '../model.ts';
import { WaitTimeoutError } from './errors.ts';
import { nowIso, pipelineStep, type PipelineInput, type StepSpec, type TaskDeps } from './step.ts';

/** What a poll task gets back from the previous round (absent fields on the first round). */
export interface PollState {
  /** Polls done before this one (0 on the first). */
  attempt?: number | null;
  /** When the first poll started (so the step history keeps it). */
  since?: string | null;
}

export const DEFAULT_MAX_ATTEMPTS = 60;

/**
 * The counter after this poll; WaitTimeoutError with `timedOut(attempt)` when the loop is still
 * not done at the bound.
 */
export function countAttempt(
  state: PollState | null | undefined,
  maxAttempts: number | undefined,
  done: boolean,
  timedOut: (attempt: number) => string,
): number {
  const before = state?.attempt;
  const attempt = (typeof before === 'number' && Number.isInteger(before) && before >= 0 ? before : 0) + 1;
  const max =
    typeof maxAttempts === 'number' && Number.isInteger(maxAttempts) && maxAttempts > 0
      ? maxAttempts
      : DEFAULT_MAX_ATTEMPTS;
  if (!done && attempt >= max) throw new WaitTimeoutError(timedOut(attempt));
  return attempt;
}

/** countAttempt for a resource the workflow waits on, with the message that says what to do. */
export function nextAttempt(
  state: PollState | null | undefined,
  maxAttempts: number | undefined,
  ready: boolean,
  what: string,
  lastState: string | undefined,
): number {
  return countAttempt(
    state,
    maxAttempts,
    ready,
    (attempt) =>
      `${what} was still ${lastState ?? 'not ready'} after ${attempt} checks; see its state in the AWS console, then delete the pipeline and create it again`,
  );
}

export function sinceOf(state: PollState | null | undefined): string | undefined {
  return typeof state?.since === 'string' && state.since !== '' ? state.since : undefined;
}

/** What a poll task's input carries besides the loop state. */
export interface PollInput extends PipelineInput {
  maxAttempts?: number;
}

/**
 * One round of a poll loop as one step in the history: the first round starts the step, the
 * later ones continue it (same place, same start time) until `running` says it is over. `work`
 * gets the time of the first round, which the task returns so the next round gets it back.
 */
export async function pollStep<T>(
  deps: TaskDeps,
  input: PollInput,
  state: PollState | null | undefined,
  spec: StepSpec<T>,
  work: (pipeline: Pipeline, since: string) => Promise<T>,
): Promise<T> {
  const continued = sinceOf(state);
  const since = continued ?? nowIso(deps);
  return pipelineStep(deps, input, { ...spec, startedAt: since, continues: continued !== undefined }, (pipeline) =>
    work(pipeline, since),
  );
}
