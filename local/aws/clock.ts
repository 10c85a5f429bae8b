/**
 * Time as a port, so buffering and batching windows can be tested with a fake clock instead of
 * real waits. `schedule` returns a cancel function.
 */
export interface Clock {
  now(): number;
  schedule(fn: () => void, delayMs: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  schedule(fn, delayMs) {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
};
