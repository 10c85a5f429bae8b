/**
 * Preparing a stored ASL definition for one run with aws-local-stepfunctions:
 * - every `Task` state gets a local handler (by state name), so Lambda tasks go to the local
 *   Lambda Invoke with the error name intact (the library's own SDK path rewrites the message
 *   and does not know the `arn:aws:states:::lambda:invoke` integration);
 * - `Task` states without a timeout get Step Functions' (practically unbounded) default instead
 *   of the library's 60 s;
 * - with a wait scale ≠ 1, `Wait` states become tasks whose handler waits the scaled duration
 *   (all four forms: Seconds, SecondsPath, Timestamp, TimestampPath) and `Retry` intervals and
 *   `MaxDelaySeconds` are scaled, so tests run the real loops quickly.
 */

export type Json = Record<string, unknown>;

export interface StateRef {
  name: string;
  /** The state as written in the definition (before the run's rewrites). */
  original: Json;
}

export interface PreparedDefinition {
  /** The definition handed to the library (validated separately, in its original form). */
  definition: Json;
  /** Task states (resource handlers) by name. */
  tasks: Map<string, StateRef>;
  /** Wait states turned into tasks (wait scale ≠ 1) by name. */
  waits: Map<string, StateRef>;
  /** The original type of every state by name (history events name the real type). */
  types: Map<string, string>;
}

/** Step Functions' default task timeout is 99999999 s; a timer cannot be that long, ~23 days is. */
const UNBOUNDED_TASK_SECONDS = 2_000_000;
/** Resource of the Task a scaled Wait state becomes (never called: the local handler runs). */
export const LOCAL_WAIT_RESOURCE = 'arn:aws:states:::local:wait';

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

export function prepareDefinition(definition: Json, waitScale: number): PreparedDefinition {
  const copy = structuredClone(definition);
  const prepared: PreparedDefinition = {
    definition: copy,
    tasks: new Map(),
    waits: new Map(),
    types: new Map(),
  };
  walk(copy, definition, waitScale, prepared);
  return prepared;
}

function walk(copy: Json, original: Json, waitScale: number, prepared: PreparedDefinition): void {
  const states = copy.States;
  const originals = original.States;
  if (!isObject(states) || !isObject(originals)) return;
  for (const [name, state] of Object.entries(states)) {
    const source = originals[name];
    if (!isObject(state) || !isObject(source)) continue;
    const type = String(state.Type);
    if (!prepared.types.has(name)) prepared.types.set(name, type);
    if (type === 'Task') {
      prepared.tasks.set(name, { name, original: source });
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined)
        state.TimeoutSeconds = UNBOUNDED_TASK_SECONDS;
    }
    if (type === 'Wait' && waitScale !== 1) {
      prepared.waits.set(name, { name, original: source });
      for (const field of ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath']) delete state[field];
      state.Type = 'Task';
      state.Resource = LOCAL_WAIT_RESOURCE;
      state.TimeoutSeconds = UNBOUNDED_TASK_SECONDS;
    }
    if (waitScale !== 1 && Array.isArray(state.Retry)) {
      for (const retrier of state.Retry) {
        if (!isObject(retrier)) continue;
        retrier.IntervalSeconds =
          (typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1) * waitScale;
        if (typeof retrier.MaxDelaySeconds === 'number') retrier.MaxDelaySeconds *= waitScale;
      }
    }
    if (type === 'Parallel' && Array.isArray(state.Branches) && Array.isArray(source.Branches)) {
      state.Branches.forEach((branch: unknown, i: number) => {
        const sourceBranch: unknown = (source.Branches as unknown[])[i];
        if (isObject(branch) && isObject(sourceBranch)) walk(branch, sourceBranch, waitScale, prepared);
      });
    }
    if (type === 'Map') {
      for (const field of ['Iterator', 'ItemProcessor']) {
        const inner = state[field];
        const sourceInner = source[field];
        if (isObject(inner) && isObject(sourceInner)) walk(inner, sourceInner, waitScale, prepared);
      }
    }
  }
}

/**
 * A small JSONPath reader for `SecondsPath`/`TimestampPath` of scaled waits: `$`, `.name`,
 * `['name']`, `["name"]`, `[index]`.
 */
export function readPath(path: string, input: unknown): unknown {
  if (!path.startsWith('$')) throw new Error(`invalid path '${path}'`);
  const steps = /\.([A-Za-z0-9_$-]+)|\[(\d+)\]|\['([^']*)'\]|\["([^"]*)"\]/g;
  let rest = path.slice(1);
  let value: unknown = input;
  while (rest.length > 0) {
    steps.lastIndex = 0;
    const match = steps.exec(rest);
    if (!match || match.index !== 0) throw new Error(`unsupported path '${path}'`);
    const key = match[1] ?? match[3] ?? match[4];
    if (key !== undefined) value = isObject(value) ? value[key] : undefined;
    else value = Array.isArray(value) ? value[Number(match[2])] : undefined;
    rest = rest.slice(match[0].length);
  }
  return value;
}

/** How long a Wait state waits (ms, unscaled) for its effective input. */
export function waitDurationMs(state: Json, input: unknown, now: number): number {
  if (typeof state.Seconds === 'number') return state.Seconds * 1000;
  if (typeof state.SecondsPath === 'string') {
    const seconds = readPath(state.SecondsPath, input);
    if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0) {
      throw new Error(`The SecondsPath parameter does not reference a valid integer: ${state.SecondsPath}`);
    }
    return seconds * 1000;
  }
  const timestamp =
    typeof state.Timestamp === 'string'
      ? state.Timestamp
      : typeof state.TimestampPath === 'string'
        ? readPath(state.TimestampPath, input)
        : undefined;
  if (typeof timestamp !== 'string' || Number.isNaN(Date.parse(timestamp))) {
    throw new Error(
      `The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: ${String(state.TimestampPath ?? state.Timestamp)}`,
    );
  }
  return Math.max(0, Date.parse(timestamp) - now);
}
