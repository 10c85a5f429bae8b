/**
 * A tiny leveled logger for the dev broker.
 *
 * Quiet by default (warnings and errors only) so tests and `npm start` stay readable; set
 * `KAFKA_DEV_LOG=debug` to see every request, `info` for lifecycle events, `silent` for nothing.
 * It writes to stderr so the CLI's stdout carries only the bootstrap string.
 */

const levels = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 } as const;
type Level = keyof typeof levels;

function configuredLevel(): number {
  const raw = (process.env.KAFKA_DEV_LOG ?? 'warn').toLowerCase();
  return raw in levels ? levels[raw as Level] : levels.warn;
}

let threshold = configuredLevel();

function emit(level: Exclude<Level, 'silent'>, message: string, fields?: Record<string, unknown>): void {
  if (levels[level] > threshold) return;
  const line = fields === undefined ? message : `${message} ${JSON.stringify(fields)}`;
  process.stderr.write(`[kafka-dev] ${level.toUpperCase()} ${line}\n`);
}

export const log = {
  error: (message: string, fields?: Record<string, unknown>): void => emit('error', message, fields),
  warn: (message: string, fields?: Record<string, unknown>): void => emit('warn', message, fields),
  info: (message: string, fields?: Record<string, unknown>): void => emit('info', message, fields),
  debug: (message: string, fields?: Record<string, unknown>): void => emit('debug', message, fields),
  /** True when debug lines would be printed: lets hot paths skip building their fields. */
  get debugEnabled(): boolean {
    return threshold >= levels.debug;
  },
  /** Re-reads KAFKA_DEV_LOG (the CLI and tests may change it after import). */
  reconfigure(): void {
    threshold = configuredLevel();
  },
};
