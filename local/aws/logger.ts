/**
 * A tiny leveled logger for the local AWS endpoint.
 *
 * Quiet by default (warnings and errors only) so tests and `npm start` stay readable; set
 * `LOCAL_AWS_LOG=debug` to see every request, `info` for lifecycle events (flushes, pollers),
 * `silent` for nothing. It writes to stderr.
 */

const levels = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 } as const;
type Level = keyof typeof levels;

function configuredLevel(): number {
  const raw = (process.env.LOCAL_AWS_LOG ?? 'warn').toLowerCase();
  return raw in levels ? levels[raw as Level] : levels.warn;
}

let threshold = configuredLevel();

function emit(level: Exclude<Level, 'silent'>, message: string, fields?: Record<string, unknown>): void {
  if (levels[level] > threshold) return;
  const line = fields === undefined ? message : `${message} ${JSON.stringify(fields, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}`;
  process.stderr.write(`[local-aws] ${level.toUpperCase()} ${line}\n`);
}

export const log = {
  error: (message: string, fields?: Record<string, unknown>): void => emit('error', message, fields),
  warn: (message: string, fields?: Record<string, unknown>): void => emit('warn', message, fields),
  info: (message: string, fields?: Record<string, unknown>): void => emit('info', message, fields),
  debug: (message: string, fields?: Record<string, unknown>): void => emit('debug', message, fields),
  /** Re-reads LOCAL_AWS_LOG (the stack starter and tests may change it after import). */
  reconfigure(): void {
    threshold = configuredLevel();
  },
};
