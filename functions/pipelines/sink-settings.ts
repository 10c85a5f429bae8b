/**
 * A pipeline's sink settings and their bounds: the two user settings (maximum interval, batch
 * size) and the ranges Lambda's event source mapping accepts. The mapping builder, the connector
 * config builder and the POST /pipelines rules check against the same ranges, so the API cannot
 * accept what the workflow would refuse.
 */
import { ViolationsError, type Violation } from '../lib/errors.ts';
import { shown } from '../lib/shown.ts';

/** The two user settings of a pipeline's sink (seed: "Sink maximum interval", "Batch size"). */
export interface SinkSettings {
  /** Seconds records may wait before delivery: the mapping's batching window, 0–300. */
  maxIntervalSeconds: number;
  /** Maximum records per delivered batch: the mapping's batch size, 1–10,000. */
  batchSize: number;
}

/**
 * The pipeline's settings cannot make a valid event source mapping or connector. Lists every bad
 * field at once; the message names each field and its allowed range.
 */
export class InvalidSinkSettingsError extends ViolationsError {
  constructor(violations: Violation[]) {
    super('invalid sink settings', violations);
  }
}

export const sinkSettingsRanges = {
  batchSize: { min: 1, max: 10_000 },
  maxIntervalSeconds: { min: 0, max: 300 },
  maximumRetryAttempts: { min: -1, max: 10_000 },
  maximumRecordAgeInSeconds: { min: 60, max: 604_800 },
  minimumPollers: { min: 1, max: 200 },
  maximumPollers: { min: 1, max: 2_000 },
} as const;

/** Adds a problem unless `value` is an integer within `range` (or equal to `also`). */
export function intIn(
  problems: Violation[],
  path: string,
  value: unknown,
  range: { min: number; max: number },
  also?: number,
): void {
  const ok =
    typeof value === 'number' &&
    Number.isInteger(value) &&
    ((value >= range.min && value <= range.max) || value === also);
  if (!ok) {
    const allowed = also === undefined ? `${range.min} and ${range.max}` : `${range.min} and ${range.max} (or ${also})`;
    problems.push({ path, message: `must be an integer between ${allowed}; got ${shown(value)}` });
  }
}

/** Adds a problem unless `value` is a string matching `pattern` (`what` names it). */
export function matches(problems: Violation[], path: string, value: unknown, pattern: RegExp, what: string): void {
  if (typeof value !== 'string' || !pattern.test(value))
    problems.push({ path, message: `must be ${what}; got ${shown(value)}` });
}

/** Problems of the two user settings alone (also usable to validate POST /pipelines bodies). */
export function sinkSettingsViolations(sink: SinkSettings, path = 'sink'): Violation[] {
  const problems: Violation[] = [];
  intIn(problems, `${path}.batchSize`, sink?.batchSize, sinkSettingsRanges.batchSize);
  intIn(problems, `${path}.maxIntervalSeconds`, sink?.maxIntervalSeconds, sinkSettingsRanges.maxIntervalSeconds);
  return problems;
}
