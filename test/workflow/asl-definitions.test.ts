/**
 * The shape rules of both state machines, checked on the files serverless.yml loads: every task
 * retries the transient errors (and only those) with backoff, a delay cap and full jitter, and
 * catches everything else; every poll loop is bounded; every task resource is a function of
 * serverless.yml whose handler module exports `handler`.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { functionKeyOf, readDefinition, resourceLogicalId, type AslState } from '../helpers/state-machines.ts';

const TRANSIENT = [
  'TransientError',
  'States.Timeout',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];
/** What Lambda reports when the function itself times out (or crashes): retried, but fewer times. */
const FUNCTION_TIMEOUT = ['Lambda.Unknown', 'Sandbox.Timedout'];

/**
 * The error a task surfaces when its function hangs: the state's TimeoutSeconds fires first only
 * when it is not above the function's timeout (States.Timeout); otherwise the function times out
 * and Lambda reports Lambda.Unknown / Sandbox.Timedout.
 */
function hangErrors(stateTimeout: number | undefined, functionTimeout: number): string[] {
  return stateTimeout !== undefined && stateTimeout <= functionTimeout ? ['States.Timeout'] : FUNCTION_TIMEOUT;
}

/** The first retrier Step Functions would use for an error (in order; States.ALL matches all). */
function retrierFor(task: AslState, error: string) {
  return task.Retry?.find((r) => r.ErrorEquals.includes(error) || r.ErrorEquals.includes('States.ALL'));
}
const serverless = parse(readFileSync('serverless.yml', 'utf8')) as {
  functions: Record<string, { handler: string; timeout?: number }>;
  stepFunctions: { stateMachines: Record<string, { id: string; name: string; definition: string }> };
};

describe.each(['create-pipeline', 'delete-pipeline'] as const)('%s.asl.yml', (name) => {
  const definition = readDefinition(name);
  const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task') as Array<[string, AslState]>;

  it.each(tasks)(
    "%s retries only transient errors and its function's timeout, with IntervalSeconds, BackoffRate, MaxDelaySeconds and JitterStrategy FULL",
    (_state, task) => {
      expect(task.Retry).toEqual([
        {
          ErrorEquals: TRANSIENT,
          IntervalSeconds: 2,
          BackoffRate: 2,
          MaxAttempts: 6,
          MaxDelaySeconds: 60,
          JitterStrategy: 'FULL',
        },
        {
          ErrorEquals: FUNCTION_TIMEOUT,
          IntervalSeconds: 5,
          BackoffRate: 2,
          MaxAttempts: 2,
          MaxDelaySeconds: 60,
          JitterStrategy: 'FULL',
        },
      ]);
    },
  );

  it.each(tasks)(
    '%s retries a hung function, whichever timeout fires first (the tasks are idempotent)',
    (_state, task) => {
      const key = functionKeyOf(resourceLogicalId(task.Resource));
      const functionTimeout = serverless.functions[key]?.timeout;
      expect(functionTimeout).toEqual(expect.any(Number));
      for (const error of hangErrors(task.TimeoutSeconds, functionTimeout!)) {
        expect([error, retrierFor(task, error)?.MaxAttempts]).toEqual([error, expect.any(Number)]);
        expect(retrierFor(task, error)!.MaxAttempts).toBeGreaterThan(0);
      }
    },
  );

  it.each(tasks)("%s catches every other error and has a timeout above its function's", (_state, task) => {
    expect(task.Catch?.map((c) => c.ErrorEquals)).toEqual([['States.ALL']]);
    const key = functionKeyOf(resourceLogicalId(task.Resource));
    expect(task.TimeoutSeconds).toBeGreaterThan(serverless.functions[key]?.timeout ?? Infinity);
  });

  it('calls only task functions of serverless.yml, whose modules export a handler', async () => {
    for (const [, task] of tasks) {
      const key = functionKeyOf(resourceLogicalId(task.Resource));
      const fn = serverless.functions[key];
      expect(fn?.handler).toMatch(/^functions\/pipelines\/tasks\/[a-z-]+\.handler$/);
      const mod = (await import(`../../${fn!.handler.replace(/\.handler$/, '.ts')}`)) as {
        handler?: unknown;
      };
      expect(typeof mod.handler).toBe('function');
    }
  });

  it("records every Task in the pipeline's history under the state's own name", async () => {
    for (const [state, task] of tasks) {
      const fn = serverless.functions[functionKeyOf(resourceLogicalId(task.Resource))];
      const mod = (await import(`../../${fn!.handler.replace(/\.handler$/, '.ts')}`)) as Record<string, unknown>;
      const defaultStep = Object.entries(mod).find(([exported]) => exported.endsWith('_STEP'))?.[1];
      expect([state, task.Parameters?.step ?? defaultStep]).toEqual([state, state]);
    }
  });

  it('bounds every Wait loop: the poll task after it carries maxAttempts', () => {
    for (const [state, wait] of Object.entries(definition.States).filter(([, s]) => s.Type === 'Wait')) {
      const poll = definition.States[wait.Next!]!;
      expect([state, poll.Type]).toEqual([state, 'Task']);
      expect(poll.Parameters?.maxAttempts).toEqual(expect.any(Number));
      expect(wait.Seconds).toBeGreaterThan(0);
    }
  });

  it('is wired into serverless.yml with the id and name the admin API expects', () => {
    const machine = Object.values(serverless.stepFunctions.stateMachines).find(
      (m) => m.definition === `\${file(statemachines/${name}.asl.yml)}`,
    );
    expect(machine).toEqual({
      id: name === 'create-pipeline' ? 'CreatePipelineStateMachine' : 'DeletePipelineStateMachine',
      name: `\${self:service}-\${sls:stage}-${name}`,
      definition: `\${file(statemachines/${name}.asl.yml)}`,
    });
  });
});

describe('task functions', () => {
  it('every function under functions/pipelines/tasks is used by a state machine', () => {
    const used = new Set(
      ['create-pipeline', 'delete-pipeline'].flatMap((n) =>
        Object.values(readDefinition(n as 'create-pipeline').States)
          .filter((s) => s.Type === 'Task')
          .map((s) => functionKeyOf(resourceLogicalId(s.Resource))),
      ),
    );
    const declared = Object.entries(serverless.functions)
      .filter(([, f]) => f.handler.startsWith('functions/pipelines/tasks/'))
      .map(([k]) => k);
    expect(declared.sort()).toEqual([...used].sort());
    expect(declared).toHaveLength(16);
  });
});
