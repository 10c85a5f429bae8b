/**
 * The shape rules of both state machines, checked on the files serverless.yml loads: every task
 * retries the transient errors (and only those) with backoff, a delay cap and full jitter, and
 * catches everything else; every poll loop is bounded; every task resource is a function of
 * serverless.yml whose handler module exports `handler`.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { functionKeyOf, readDefinition, resourceLogicalId, type AslState } from '../helpers/state-machines.ts';

const TRANSIENT = ['TransientError', 'States.Timeout', 'Lambda.ClientExecutionTimeoutException', 'Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];
const serverless = parse(readFileSync('serverless.yml', 'utf8')) as { functions: Record<string, { handler: string; timeout?: number }>; stepFunctions: { stateMachines: Record<string, { id: string; name: string; definition: string }> } };

describe.each(['create-pipeline', 'delete-pipeline'] as const)('%s.asl.yml', (name) => {
  const definition = readDefinition(name);
  const tasks = Object.entries(definition.States).filter(([, s]) => s.Type === 'Task') as Array<[string, AslState]>;

  it.each(tasks)('%s retries only transient errors, with IntervalSeconds, BackoffRate, MaxDelaySeconds and JitterStrategy FULL', (_state, task) => {
    expect(task.Retry).toEqual([{ ErrorEquals: TRANSIENT, IntervalSeconds: 2, BackoffRate: 2, MaxAttempts: 6, MaxDelaySeconds: 60, JitterStrategy: 'FULL' }]);
  });

  it.each(tasks)('%s catches every other error and has a timeout above its function\'s', (_state, task) => {
    expect(task.Catch?.map((c) => c.ErrorEquals)).toEqual([['States.ALL']]);
    const key = functionKeyOf(resourceLogicalId(task.Resource));
    expect(task.TimeoutSeconds).toBeGreaterThan(serverless.functions[key]?.timeout ?? Infinity);
  });

  it('calls only task functions of serverless.yml, whose modules export a handler', async () => {
    for (const [, task] of tasks) {
      const key = functionKeyOf(resourceLogicalId(task.Resource));
      const fn = serverless.functions[key];
      expect(fn?.handler).toMatch(/^functions\/pipelines\/tasks\/[a-z-]+\.handler$/);
      const mod = await import(`../../${fn!.handler.replace(/\.handler$/, '.ts')}`) as { handler?: unknown };
      expect(typeof mod.handler).toBe('function');
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
    const machine = Object.values(serverless.stepFunctions.stateMachines).find((m) => m.definition === `\${file(statemachines/${name}.asl.yml)}`);
    expect(machine).toEqual({
      id: name === 'create-pipeline' ? 'CreatePipelineStateMachine' : 'DeletePipelineStateMachine',
      name: `\${self:service}-\${sls:stage}-${name}`,
      definition: `\${file(statemachines/${name}.asl.yml)}`,
    });
  });
});

describe('task functions', () => {
  it('every function under functions/pipelines/tasks is used by a state machine', () => {
    const used = new Set(['create-pipeline', 'delete-pipeline'].flatMap((n) => Object.values(readDefinition(n as 'create-pipeline').States)
      .filter((s) => s.Type === 'Task').map((s) => functionKeyOf(resourceLogicalId(s.Resource)))));
    const declared = Object.entries(serverless.functions).filter(([, f]) => f.handler.startsWith('functions/pipelines/tasks/')).map(([k]) => k);
    expect(declared.sort()).toEqual([...used].sort());
    expect(declared).toHaveLength(16);
  });
});
