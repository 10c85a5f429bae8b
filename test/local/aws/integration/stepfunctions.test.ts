/**
 * Step Functions and Lambda Invoke on the local endpoint, through the unchanged SDK v3 clients:
 * real ASL executed by aws-local-stepfunctions, Lambda tasks running in-process functions.
 */
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  InvalidDefinition,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  UpdateStateMachineCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { useLocalAws } from '../../helpers/local-aws.ts';

const ROLE = 'arn:aws:iam::000000000000:role/sfn-role';
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;

class TransientError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TransientError';
  }
}
class ClusterValidationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ClusterValidationError';
  }
}

describe('local Step Functions and Lambda Invoke', () => {
  let sfn: SFNClient;
  let lambda: LambdaClient;
  const calls: Record<string, unknown[]> = {};
  let flakyFailures = 0;

  const functions: Record<string, (event: any) => Promise<unknown>> = {
    echo: async (event) => ({ echoed: event }),
    flaky: async (event) => {
      if (flakyFailures > 0) {
        flakyFailures -= 1;
        throw new TransientError('broker not ready');
      }
      return { ok: true, attempt: event.attempt ?? null };
    },
    validate: async () => {
      throw new ClusterValidationError('cluster is SERVERLESS; cluster is not ACTIVE');
    },
    rollback: async (event) => ({ rolledBack: true, reason: event.error?.Error }),
    slow: async () => new Promise((resolve) => setTimeout(() => resolve('late'), 5_000)),
  };

  const local = useLocalAws({
    stepFunctions: { waitScale: 0.01 },
    functions: Object.fromEntries(Object.keys(functions).map((n) => [n, { timeoutSeconds: 10 }])),
    invoke: async (name, event) => {
      (calls[name] ??= []).push(event);
      const fn = functions[name];
      if (!fn) throw new Error(`no function ${name}`);
      return fn(event);
    },
  });
  beforeAll(() => {
    sfn = local.client(SFNClient);
    lambda = local.client(LambdaClient);
  });

  const createMachine = async (name: string, definition: unknown): Promise<string> => {
    const out = await sfn.send(
      new CreateStateMachineCommand({ name, roleArn: ROLE, definition: JSON.stringify(definition) }),
    );
    return out.stateMachineArn!;
  };
  const runToEnd = async (
    stateMachineArn: string,
    input: unknown,
    name?: string,
  ): Promise<DescribeExecutionCommandOutput> => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn, input: JSON.stringify(input), ...(name ? { name } : {}) }),
    );
    await local.aws.stepFunctions.settled(executionArn!);
    return sfn.send(new DescribeExecutionCommand({ executionArn }));
  };

  it('invokes a function with Lambda Invoke and reports a thrown error with its name', async () => {
    const ok = await lambda.send(
      new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from(JSON.stringify({ a: 1 })) }),
    );
    expect(ok.StatusCode).toBe(200);
    expect(ok.FunctionError).toBeUndefined();
    expect(JSON.parse(Buffer.from(ok.Payload!).toString())).toEqual({ echoed: { a: 1 } });

    const failed = await lambda.send(
      new InvokeCommand({ FunctionName: fnArn('validate'), Payload: Buffer.from('{}') }),
    );
    expect(failed.StatusCode).toBe(200);
    expect(failed.FunctionError).toBe('Unhandled');
    const doc = JSON.parse(Buffer.from(failed.Payload!).toString());
    expect(doc).toEqual({
      errorType: 'ClusterValidationError',
      errorMessage: 'cluster is SERVERLESS; cluster is not ACTIVE',
      trace: expect.any(Array),
    });
    expect(doc.trace[0]).toContain('ClusterValidationError');

    await expect(lambda.send(new InvokeCommand({ FunctionName: 'missing' }))).rejects.toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('retries a Lambda task that fails twice with a named error, then succeeds (lambda:invoke integration)', async () => {
    flakyFailures = 2;
    calls.flaky = [];
    const arn = await createMachine('retry-machine', {
      StartAt: 'CreateTopic',
      States: {
        CreateTopic: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fnArn('flaky'), 'Payload.$': '$' },
          ResultSelector: { 'result.$': '$.Payload' },
          Retry: [
            { ErrorEquals: ['ClusterValidationError'], MaxAttempts: 0 },
            {
              ErrorEquals: ['TransientError'],
              IntervalSeconds: 2,
              BackoffRate: 2,
              MaxAttempts: 3,
              MaxDelaySeconds: 10,
              JitterStrategy: 'FULL',
            },
          ],
          Next: 'Pause',
        },
        Pause: { Type: 'Wait', Seconds: 10, Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    });
    const started = Date.now();
    const execution = await runToEnd(arn, { attempt: 'x' });
    expect(execution.status).toBe('SUCCEEDED');
    expect(JSON.parse(execution.output!)).toEqual({ result: { ok: true, attempt: 'x' } });
    expect(calls.flaky).toHaveLength(3);
    // 2 s + 4 s of retries and a 10 s wait, scaled by 0.01 (jitter can only shorten).
    expect(Date.now() - started).toBeLessThan(2_000);

    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn }));
    const types = events!.map((e) => e.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'WaitStateEntered',
      'WaitStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    const failedEvent = events!.find((e) => e.type === 'TaskFailed')!;
    expect(failedEvent.taskFailedEventDetails?.error).toBe('TransientError');
    expect(JSON.parse(failedEvent.taskFailedEventDetails!.cause!)).toMatchObject({
      errorType: 'TransientError',
      errorMessage: 'broker not ready',
    });
    expect(events!.map((e) => e.id)).toEqual(events!.map((_, i) => i + 1));
    expect(events![0]!.timestamp).toBeInstanceOf(Date);
  });

  it('catches a permanent named error from a direct Lambda ARN task and runs the rollback path', async () => {
    const arn = await createMachine('catch-machine', {
      StartAt: 'ValidateCluster',
      States: {
        ValidateCluster: {
          Type: 'Task',
          Resource: fnArn('validate'),
          Retry: [{ ErrorEquals: ['TransientError'], MaxAttempts: 3 }],
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Rollback' }],
          Next: 'Done',
        },
        Rollback: { Type: 'Task', Resource: fnArn('rollback'), ResultPath: '$.rollback', Next: 'MarkFailed' },
        MarkFailed: { Type: 'Fail', Error: 'PipelineFailed', Cause: 'validation failed' },
        Done: { Type: 'Succeed' },
      },
    });
    calls.validate = [];
    const execution = await runToEnd(arn, { pipelineId: 'p1' });
    expect(execution.status).toBe('FAILED');
    expect(execution.error).toBe('PipelineFailed');
    expect(execution.cause).toBe('validation failed');
    expect(calls.validate).toHaveLength(1);
    const rollbackInput = calls.rollback!.at(-1) as {
      pipelineId: string;
      error: { Error: string; Cause: string };
    };
    expect(rollbackInput.pipelineId).toBe('p1');
    expect(rollbackInput.error.Error).toBe('ClusterValidationError');
    expect(JSON.parse(rollbackInput.error.Cause).errorMessage).toBe('cluster is SERVERLESS; cluster is not ACTIVE');

    const { events } = await sfn.send(new GetExecutionHistoryCommand({ executionArn: execution.executionArn }));
    expect(events!.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionFailed',
      'TaskStateExited',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    expect(events!.at(-1)!.executionFailedEventDetails).toEqual({
      error: 'PipelineFailed',
      cause: 'validation failed',
    });
  });

  it('starts executions idempotently by name while running, refuses other input, lists and stops them', async () => {
    const arn = await createMachine('wait-machine', {
      StartAt: 'Long',
      States: { Long: { Type: 'Wait', SecondsPath: '$.seconds', Next: 'Done' }, Done: { Type: 'Succeed' } },
    });
    const first = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: 'run-1', input: '{"seconds":600}' }),
    );
    const again = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: 'run-1', input: '{"seconds":600}' }),
    );
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate).toEqual(first.startDate);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'run-1', input: '{"seconds":1}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn, statusFilter: 'RUNNING' }));
    expect(running.executions!.map((e) => e.name)).toEqual(['run-1']);

    await sfn.send(
      new StopExecutionCommand({
        executionArn: first.executionArn,
        error: 'Cancelled',
        cause: 'by the test',
      }),
    );
    const stopped = await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
    expect(stopped).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'by the test' });
    expect(stopped.stopDate).toBeInstanceOf(Date);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'run-1', input: '{"seconds":600}' })),
    ).rejects.toBeInstanceOf(ExecutionAlreadyExists);

    // 3 s scaled to 30 ms through SecondsPath.
    const quick = await runToEnd(arn, { seconds: 3 }, 'run-2');
    expect(quick.status).toBe('SUCCEEDED');
    const all = await sfn.send(new ListExecutionsCommand({ stateMachineArn: arn }));
    expect(all.executions!.map((e) => `${e.name}:${e.status}`)).toEqual(['run-2:SUCCEEDED', 'run-1:ABORTED']);
  });

  it('validates definitions, describes, updates and lists state machines', async () => {
    await expect(
      sfn.send(
        new CreateStateMachineCommand({
          name: 'bad',
          roleArn: ROLE,
          definition: '{"StartAt":"Nope","States":{}}',
        }),
      ),
    ).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(
      sfn.send(new CreateStateMachineCommand({ name: 'bad', roleArn: ROLE, definition: 'not json' })),
    ).rejects.toBeInstanceOf(InvalidDefinition);
    const definition = { StartAt: 'P', States: { P: { Type: 'Pass', Result: 1, End: true } } };
    const arn = await createMachine('describe-machine', definition);
    expect(arn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:describe-machine');
    // Same name, same definition: idempotent.
    expect(await createMachine('describe-machine', definition)).toBe(arn);
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: arn }));
    expect(described).toMatchObject({
      name: 'describe-machine',
      status: 'ACTIVE',
      type: 'STANDARD',
      roleArn: ROLE,
    });
    expect(JSON.parse(described.definition!)).toEqual(definition);
    await sfn.send(
      new UpdateStateMachineCommand({
        stateMachineArn: arn,
        definition: JSON.stringify({ ...definition, States: { P: { Type: 'Pass', Result: 2, End: true } } }),
      }),
    );
    expect((await runToEnd(arn, {})).output).toBe('2');
    const names = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines!.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(['describe-machine', 'retry-machine', 'catch-machine']));
    await expect(
      sfn.send(
        new DescribeStateMachineCommand({
          stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:nope',
        }),
      ),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
  });

  it('keeps executions across a restart and marks the ones that were running ABORTED', async () => {
    const arn = await createMachine('restart-machine', {
      StartAt: 'Long',
      States: { Long: { Type: 'Wait', Seconds: 60000, End: true } },
    });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arn, name: 'interrupted' }));
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await local.restart();
    sfn.destroy();
    sfn = local.client(SFNClient);
    const after = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(after).toMatchObject({ status: 'ABORTED', error: 'States.Runtime' });
    const earlier = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arn.replace('restart-machine', 'retry-machine') }),
    );
    expect(earlier.executions!.map((e) => e.status)).toEqual(['SUCCEEDED']);
    const { events } = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 1 }),
    );
    expect(events!.map((e) => e.type)).toEqual(['ExecutionAborted']);
  });
});
