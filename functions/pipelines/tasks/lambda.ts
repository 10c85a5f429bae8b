/**
 * The Lambda side of the workflow tasks: one function per task (serverless.yml), each a thin
 * handler around its core. The state machine passes the task input as the event; the core's
 * return value becomes the task result; a thrown error's `name` is the errorType the ASL's
 * Retry/Catch match.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { requiredString } from '../../lib/config.ts';
import { logger } from '../../lib/logger.ts';
import { MetricName, PowertoolsMetrics, type MetricsPort } from '../../lib/metrics.ts';
import type { PipelineStore } from '../model.ts';
import { createDocumentClient, DynamoPipelineStore } from '../registry.ts';
import { guardStore, type TaskDeps } from './step.ts';

let store: PipelineStore | undefined;

/** The registry (DynamoDB table PIPELINES_TABLE), created once per container. */
export function registryStore(env: Record<string, string | undefined> = process.env): PipelineStore {
  store ??= guardStore(
    new DynamoPipelineStore({
      client: createDocumentClient(),
      tableName: requiredString(env, 'PIPELINES_TABLE'),
    }),
  );
  return store;
}

/**
 * Wraps a task core: logs its failure with the pipeline id (the error itself goes to Step
 * Functions) and records the invocation's duration and failure as EMF metrics with dimension
 * `task` (a fixed set of names).
 */
export function taskHandler<I extends { pipelineId?: string }, O>(
  task: string,
  run: (input: I) => Promise<O>,
  metrics: MetricsPort = new PowertoolsMetrics(),
) {
  return middy(async (event: I): Promise<O> => {
    const started = Date.now();
    try {
      return await run(event);
    } catch (error) {
      const e = error as Error;
      logger.warn(`${task} failed`, {
        pipelineId: event?.pipelineId,
        errorName: e?.name,
        errorMessage: e?.message,
      });
      metrics.count(MetricName.TaskFailed, 1, { task });
      throw error;
    } finally {
      metrics.milliseconds(MetricName.TaskDuration, Date.now() - started, { task });
      metrics.flush();
    }
  }).use(injectLambdaContext(logger));
}

/**
 * The Lambda handler of a task core: its ports — the registry, the logger and the task's own
 * clients from `ports()` — are built on the first invocation and reused by the container.
 */
export function taskLambda<I extends { pipelineId?: string }, D extends TaskDeps, O>(
  task: string,
  core: (input: I, deps: D) => Promise<O>,
  ports: () => Omit<D, keyof TaskDeps>,
) {
  let deps: D | undefined;
  return taskHandler<I, O>(task, (input) => {
    if (deps === undefined) {
      const shared: TaskDeps = { store: registryStore(), log: logger };
      deps = { ...shared, ...ports() } as D;
    }
    return core(input, deps);
  });
}
