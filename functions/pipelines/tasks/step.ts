/**
 * What every task shares: loading its pipeline and recording its step in the registry, so
 * GET /pipelines/{id} shows where the workflow is and what each step did.
 */
import type { Log } from '../../lib/logger.ts';
import type { Pipeline, PipelineStatus, PipelineStore, StepRecord } from '../model.ts';
import { isTransientAwsError } from '../../lib/aws-errors.ts';
import { InvalidPipelineError, TransientError } from './errors.ts';

/** Ports every task core takes. */
export interface TaskDeps {
  store: PipelineStore;
  /** Clock for step times (tests pin it). */
  now?: () => Date;
  log?: Log;
}

/** The input every task gets from the state machine. */
export interface PipelineInput {
  pipelineId: string;
}

export function nowIso(deps: TaskDeps): string {
  return (deps.now?.() ?? new Date()).toISOString();
}

/** The pipeline, or InvalidPipelineError (permanent) when the registry does not have it. */
export async function loadPipeline(
  deps: TaskDeps,
  pipelineId: string,
  expected?: readonly PipelineStatus[],
): Promise<Pipeline> {
  if (typeof pipelineId !== 'string' || pipelineId === '')
    throw new InvalidPipelineError('the task input has no pipelineId');
  const pipeline = await deps.store.get(pipelineId);
  if (!pipeline) throw new InvalidPipelineError(`pipeline ${pipelineId} is not in the registry`);
  if (expected && !expected.includes(pipeline.status)) {
    throw new InvalidPipelineError(
      `pipeline ${pipelineId} is ${pipeline.status}; this step runs only while it is ${expected.join(' or ')}`,
    );
  }
  return pipeline;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * The step's place in the history. The workflows run their steps one at a time, so a step that
 * starts now comes after every step recorded so far; a poll round that continues a step keeps the
 * place the step got when it started. `pipeline` is the task's own read of the registry: nothing
 * else writes steps while the task runs, so its history is current.
 */
function stepSeq(pipeline: Pipeline, name: string, starting: boolean): number {
  const own = pipeline.steps.find((s) => s.name === name)?.seq;
  if (!starting && own !== undefined) return own;
  return pipeline.steps.reduce((max, s) => Math.max(max, s.seq ?? 0), 0) + 1;
}

/** How a step is recorded. */
export interface StepOptions<T> {
  /** When the step started (a poll passes the time of its first round); now by default. */
  startedAt?: string;
  /** True for a poll round after the first: the step is already recorded RUNNING. */
  continues?: boolean;
  detail?: (result: T) => string | undefined;
  /** True while the result means "still in progress" (a poll): the entry stays RUNNING. */
  running?: (result: T) => boolean;
}

/**
 * Runs one step of the loaded `pipeline`: records it RUNNING, then SUCCEEDED with
 * `detail(result)` or FAILED with the error, and rethrows. A failure to write the history never
 * hides the step's own error.
 */
export async function runStep<T>(
  deps: TaskDeps,
  pipeline: Pipeline,
  name: string,
  work: () => Promise<T>,
  options: StepOptions<T> = {},
): Promise<T> {
  const pipelineId = pipeline.id;
  const startedAt = options.startedAt ?? nowIso(deps);
  const seq = stepSeq(pipeline, name, options.continues !== true);
  if (options.continues !== true) {
    await deps.store.recordStep(pipelineId, { name, status: 'RUNNING', startedAt, seq });
  }
  let result: T;
  try {
    result = await work();
  } catch (error) {
    const failed: StepRecord = {
      name,
      status: 'FAILED',
      startedAt,
      endedAt: nowIso(deps),
      detail: errorMessage(error),
      seq,
    };
    try {
      await deps.store.recordStep(pipelineId, failed);
    } catch (recordError) {
      deps.log?.warn('could not record the failed step', {
        pipelineId,
        step: name,
        error: errorMessage(recordError),
      });
    }
    throw error;
  }
  const detail = options.detail?.(result);
  const running = options.running?.(result) === true;
  // Still in progress (a poll): the entry stays RUNNING, with the latest detail.
  await deps.store.recordStep(pipelineId, {
    name,
    status: running ? 'RUNNING' : 'SUCCEEDED',
    startedAt,
    ...(running ? {} : { endedAt: nowIso(deps) }),
    seq,
    ...(detail !== undefined ? { detail } : {}),
  });
  return result;
}

/** Which step a task runs: its name in the history (the ASL state's name) and the statuses it runs in. */
export interface StepSpec<T> extends StepOptions<T> {
  name: string;
  statuses?: readonly PipelineStatus[];
}

/** A task's whole step: loads its pipeline once and runs `work` on it as the step `spec.name`. */
export async function pipelineStep<T>(
  deps: TaskDeps,
  input: PipelineInput,
  spec: StepSpec<T>,
  work: (pipeline: Pipeline) => Promise<T>,
): Promise<T> {
  const pipeline = await loadPipeline(deps, input.pipelineId, spec.statuses);
  return runStep(deps, pipeline, spec.name, () => work(pipeline), spec);
}

/**
 * The registry as the tasks use it: a throttled or failing DynamoDB call becomes a TransientError
 * (retried by the state machine); the registry's own named errors pass through unchanged.
 */
export function guardStore(store: PipelineStore): PipelineStore {
  const guard = async <T>(what: string, call: () => Promise<T>): Promise<T> => {
    try {
      return await call();
    } catch (error) {
      if (isTransientAwsError(error)) {
        throw new TransientError(`could not ${what} in the pipeline registry (${(error as Error).name}); will retry`, {
          cause: error,
        });
      }
      throw error;
    }
  };
  return {
    create: (pipeline, key) => guard('create the pipeline', () => store.create(pipeline, key)),
    get: (id) => guard('read the pipeline', () => store.get(id)),
    list: () => guard('list pipelines', () => store.list()),
    transition: (id, to, patch) => guard(`move the pipeline to ${to}`, () => store.transition(id, to, patch)),
    recordStep: (id, step) => guard('record a step', () => store.recordStep(id, step)),
    setResources: (id, resources) => guard('record resources', () => store.setResources(id, resources)),
    setExecutionArn: (id, arn) => guard('record the execution', () => store.setExecutionArn(id, arn)),
    activeRoute: (appId) => guard('read a route', () => store.activeRoute(appId)),
    inactiveRoute: (appId) => guard('read a route', () => store.inactiveRoute(appId)),
  };
}
