/** The bounded poll loops: the ASL carries the counter, the poll task enforces the bound. */
import { WaitTimeoutError } from './errors.ts';

export interface PollInput {
  /** Polls done before this one (0 on the first). */
  attempt?: number;
  /** The loop's bound, set in the ASL next to the Wait state's duration. */
  maxAttempts?: number;
  /** When the first poll started (carried so the step history keeps it). */
  since?: string;
}

/** The counter after this poll; WaitTimeoutError when the resource is still not ready at the bound. */
export function nextAttempt(input: PollInput, ready: boolean, what: string, lastState: string | undefined): number {
  const attempt = (Number.isInteger(input.attempt) ? input.attempt! : 0) + 1;
  const max = Number.isInteger(input.maxAttempts) && input.maxAttempts! > 0 ? input.maxAttempts! : 60;
  if (!ready && attempt >= max) {
    throw new WaitTimeoutError(`${what} was still ${lastState ?? 'not ready'} after ${attempt} checks; see its state in the AWS console, then delete the pipeline and create it again`);
  }
  return attempt;
}
