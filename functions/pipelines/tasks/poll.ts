/**
 * The bounded poll loops (Wait → poll task → Choice). The state data carries the loop's state
 * (the previous poll's output: `attempt`, `since`), the ASL sets the bound (`maxAttempts`, next to
 * the Wait's duration), and the poll task enforces it with a named error the Catch handles.
 */
import { WaitTimeoutError } from './errors.ts';

/** What a poll task gets back from the previous round (absent fields on the first round). */
export interface PollState {
  /** Polls done before this one (0 on the first). */
  attempt?: number | null;
  /** When the first poll started (so the step history keeps it). */
  since?: string | null;
}

export const DEFAULT_MAX_ATTEMPTS = 60;

/** The counter after this poll; WaitTimeoutError when the resource is still not ready at the bound. */
export function nextAttempt(
  state: PollState | undefined,
  maxAttempts: number | undefined,
  ready: boolean,
  what: string,
  lastState: string | undefined,
): number {
  const done = state?.attempt;
  const attempt = (typeof done === 'number' && Number.isInteger(done) && done >= 0 ? done : 0) + 1;
  const max =
    typeof maxAttempts === 'number' && Number.isInteger(maxAttempts) && maxAttempts > 0
      ? maxAttempts
      : DEFAULT_MAX_ATTEMPTS;
  if (!ready && attempt >= max) {
    throw new WaitTimeoutError(
      `${what} was still ${lastState ?? 'not ready'} after ${attempt} checks; see its state in the AWS console, then delete the pipeline and create it again`,
    );
  }
  return attempt;
}

export function sinceOf(state: PollState | undefined): string | undefined {
  return typeof state?.since === 'string' && state.since !== '' ? state.since : undefined;
}
