/**
 * A tiny leveled logger for the local stack's servers (dev broker, local AWS endpoint).
 *
 * Quiet by default (warnings and errors only) so tests and `npm start` stay readable; each
 * component has its own variable (`KAFKA_DEV_LOG`, `LOCAL_AWS_LOG`): `debug` shows every request,
 * `info` lifecycle events, `silent` nothing. It writes to stderr, so CLIs keep stdout for data.
 */

const levels = { silent: 0, error: 1, warn: 2, info: 3, debug: 4 } as const;
type Level = keyof typeof levels;

export interface LocalLogger {
  error(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  debug(message: string, fields?: Record<string, unknown>): void;
  /** True when debug lines would be printed: lets hot paths skip building their fields. */
  readonly debugEnabled: boolean;
  /** Re-reads the level variable (starters and tests may change it after import). */
  reconfigure(): void;
}

export function createLocalLogger(tag: string, levelVariable: string): LocalLogger {
  const configuredLevel = (): number => {
    const raw = (process.env[levelVariable] ?? 'warn').toLowerCase();
    return raw in levels ? levels[raw as Level] : levels.warn;
  };
  let threshold = configuredLevel();
  const emit = (level: Exclude<Level, 'silent'>, message: string, fields?: Record<string, unknown>): void => {
    if (levels[level] > threshold) return;
    const line =
      fields === undefined
        ? message
        : `${message} ${JSON.stringify(fields, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value))}`;
    process.stderr.write(`[${tag}] ${level.toUpperCase()} ${line}\n`);
  };
  return {
    error: (message, fields) => emit('error', message, fields),
    warn: (message, fields) => emit('warn', message, fields),
    info: (message, fields) => emit('info', message, fields),
    debug: (message, fields) => emit('debug', message, fields),
    get debugEnabled() {
      return threshold >= levels.debug;
    },
    reconfigure() {
      threshold = configuredLevel();
    },
  };
}
