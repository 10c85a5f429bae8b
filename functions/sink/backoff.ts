/**
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"):
 * the delay before retry `attempt` (1-based) is uniform in [0, min(cap, base * 2^(attempt-1))).
 * Full jitter spreads concurrent sink invocations that were throttled together.
 */
export function fullJitterDelay(attempt: number, baseMs: number, capMs: number, random: () => number): number {
  if (attempt <= 0) return 0;
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt - 1, 30));
  return Math.floor(random() * ceiling);
}
