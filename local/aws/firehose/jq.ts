/**
 * Firehose `MetadataExtraction` queries, run by real jq: jq-web, jq compiled to WebAssembly and
 * shipped inside the npm package (no binary download at install or run time). See
 * docs/decisions.md, "jq library for the local Firehose".
 *
 * A query is checked once (CreateDeliveryStream refuses what jq cannot compile, with jq's own
 * message) and then run once per Put call over all its records: jq's start-up costs about 1 ms,
 * so one run per record would cap the local Firehose near a thousand records a second.
 */
import jqWeb from 'jq-web';

export type JqValue = null | boolean | number | string | JqValue[] | { [key: string]: JqValue };

/** The outputs of the query for one record, or jq's error for it. */
export type JqResult = { outputs: JqValue[] } | { error: string };

export class JqSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JqSyntaxError';
  }
}

export interface CompiledJq {
  readonly source: string;
  /** Runs the query on each input; one result per input, in order. */
  evaluateAll(inputs: readonly JqValue[]): JqResult[];
}

const jqModule = await jqWeb;

/**
 * `jq.raw`, leaving `process.exitCode` as it was. jq-web's emscripten runtime sets
 * `process.exitCode` to jq's exit status (5 for a runtime error, 3 for a compile error) and only
 * restores it when it was set before: without this, one failing record made the whole local stack
 * (or the test runner) exit with status 5 at the end.
 */
function raw(input: string, filter: string, flags: string[]): string {
  const before = process.exitCode;
  try {
    return jqModule.raw(input, filter, flags);
  } finally {
    process.exitCode = before;
  }
}

/** jq's exit status for a program that does not compile (runtime errors exit with 5). */
const COMPILE_ERROR_STATUS = 3;

interface JqWebError {
  exitCode?: number;
  stderr?: string;
  message?: string;
}

/** jq's diagnostic without the command-line decorations ("jq: error:", shell-quoting hints). */
function diagnostic(error: unknown): string {
  const e = (error ?? {}) as JqWebError;
  const text = e.stderr ?? e.message ?? String(error);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '' && !/^jq: \d+ compile errors?$/.test(line.trim()))
    .map((line) => line.replace(/^jq: error( \(at [^)]*\))?: /, '').replace(' (Unix shell quoting issues?)', ''))
    .join(' ')
    .trim();
}

function errorValue(value: unknown): string {
  return typeof value === 'string' ? value : `${JSON.stringify(value)} (not a string)`;
}

/** One record alone: the fallback when the batch run stopped early (`halt`, `input`, ...). */
function evaluateOne(source: string, input: JqValue): JqResult {
  try {
    return { outputs: JSON.parse(raw(JSON.stringify(input), `[${source}]`, ['-c'])) as JqValue[] };
  } catch (error) {
    return { error: diagnostic(error) };
  }
}

/** Compiles `source` with jq; throws JqSyntaxError with jq's message when it does not compile. */
export function compileJq(source: string): CompiledJq {
  try {
    raw('null', source, ['-c']);
  } catch (error) {
    if ((error as JqWebError).exitCode === COMPILE_ERROR_STATUS) throw new JqSyntaxError(diagnostic(error));
    // A runtime error on `null` says nothing about records: the query compiles.
  }
  // Each input yields exactly one line, so results line up with inputs.
  const batch = `inputs | try {outputs: [${source}]} catch {error: .}`;
  return {
    source,
    evaluateAll(inputs) {
      if (inputs.length === 0) return [];
      let lines: string[] = [];
      try {
        const text = raw(inputs.map((input) => JSON.stringify(input)).join('\n'), batch, ['-n', '-c']);
        lines = text === '' ? [] : text.split('\n');
      } catch {
        lines = [];
      }
      if (lines.length !== inputs.length) return inputs.map((input) => evaluateOne(source, input));
      return lines.map((line) => {
        const result = JSON.parse(line) as { outputs: JqValue[] } | { error: unknown };
        return 'outputs' in result ? result : { error: errorValue(result.error) };
      });
    },
  };
}
