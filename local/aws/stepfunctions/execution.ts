/**
 * One Step Functions execution, run by aws-local-stepfunctions: the library walks the states
 * (Choice, Pass, Wait, Parallel, Map, Retry, Catch, paths and parameters); every Task state runs
 * the local handler built here, which invokes the local Lambda and records Step Functions'
 * history events. The execution keeps its status and history as Step Functions reports them
 * (`ExecutionStarted`, `<Type>StateEntered/Exited`, `TaskScheduled/Started/Succeeded/Failed`
 * or `LambdaFunction*` for direct Lambda ARNs, `ExecutionSucceeded/Failed/Aborted/TimedOut`).
 */
import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ExecutionAbortedError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { AwsError } from '../errors.ts';
import { log } from '../logger.ts';
import type { LocalInvokeResult } from '../lambda/invoke.ts';
import {
  LOCAL_WAIT_RESOURCE,
  prepareDefinition,
  waitDurationMs,
  type Json,
  type PreparedDefinition,
  type StateRef,
} from './definition.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface HistoryEvent {
  /** epoch seconds */
  timestamp: number;
  type: string;
  id: number;
  previousEventId: number;
  [details: string]: unknown;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  stateMachineName: string;
  name: string;
  status: ExecutionStatus;
  /** epoch ms */
  startDate: number;
  stopDate?: number;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  roleArn: string;
  events: HistoryEvent[];
}

export interface ExecutionDeps {
  /** Runs a Lambda function as Invoke does; throws AwsError for Lambda service errors. */
  invokeFunction(nameOrArn: string, payload: unknown): Promise<LocalInvokeResult>;
  region: string;
  waitScale: number;
  /** Called when the record changed (persistence). */
  changed(record: ExecutionRecord, final: boolean): void;
}

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[a-zA-Z0-9-_]+(:[a-zA-Z0-9-_$]+)?$/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;

/** An error a task reports: Step Functions matches `name` in ErrorEquals; the message is the Cause. */
class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

const seconds = (ms: number): number => ms / 1000;
const text = (value: unknown): string => JSON.stringify(value ?? null);

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new Error('aborted'));
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new Error('aborted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export class RunningExecution {
  readonly record: ExecutionRecord;
  private readonly deps: ExecutionDeps;
  private readonly controller = new AbortController();
  private abortLibrary: (() => void) | undefined;
  private stopRequest: { error?: string; cause?: string; reason: 'stop' | 'shutdown' } | undefined;
  /** Resolves when the execution has closed (any status). */
  readonly done: Promise<void>;

  constructor(record: ExecutionRecord, definition: Json, deps: ExecutionDeps) {
    this.record = record;
    this.deps = deps;
    this.done = this.run(definition).catch((error: unknown) => {
      log.error('execution runner failed', {
        executionArn: record.executionArn,
        error: error instanceof Error ? error.stack : String(error),
      });
      this.close('FAILED', {
        error: 'States.Runtime',
        cause: error instanceof Error ? error.message : String(error),
      });
    });
  }

  private append(type: string, details: Record<string, unknown> = {}, at = Date.now()): void {
    if (this.record.status !== 'RUNNING') return;
    const events = this.record.events;
    const previous = events[events.length - 1];
    events.push({
      timestamp: seconds(at),
      type,
      id: events.length + 1,
      previousEventId: previous?.id ?? 0,
      ...details,
    });
    this.deps.changed(this.record, false);
  }

  private close(
    status: ExecutionStatus,
    fields: { output?: string; error?: string; cause?: string },
    eventType?: string,
    details?: Record<string, unknown>,
  ): void {
    if (this.record.status !== 'RUNNING') return;
    if (eventType) this.append(eventType, details);
    Object.assign(this.record, { status, stopDate: Date.now() }, fields);
    this.deps.changed(this.record, true);
  }

  /** StopExecution: ends the execution ABORTED (a running Lambda invocation finishes in the background). */
  stop(error: string | undefined, cause: string | undefined, reason: 'stop' | 'shutdown' = 'stop'): void {
    if (this.record.status !== 'RUNNING') return;
    this.stopRequest = {
      ...(error !== undefined ? { error } : {}),
      ...(cause !== undefined ? { cause } : {}),
      reason,
    };
    this.controller.abort();
    this.abortLibrary?.();
    const fields = { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) };
    this.close('ABORTED', fields, 'ExecutionAborted', { executionAbortedEventDetails: fields });
  }

  private async run(definition: Json): Promise<void> {
    const prepared = prepareDefinition(definition, this.deps.waitScale);
    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const ref of prepared.tasks.values()) handlers[ref.name] = (input) => this.runTask(ref, input);
    for (const ref of prepared.waits.values()) handlers[ref.name] = (input) => this.runScaledWait(ref, input);

    const machine = new StateMachine(prepared.definition as never, {
      validationOptions: { noValidate: true },
    });
    const input: unknown = JSON.parse(this.record.input);
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never },
      noThrowOnAbort: true,
      context: {
        Execution: { Id: this.record.executionArn, Name: this.record.name, RoleArn: this.record.roleArn },
        StateMachine: { Id: this.record.stateMachineArn, Name: this.record.stateMachineName },
      },
    });
    this.abortLibrary = execution.abort;
    const consuming = this.consume(execution.eventLogs, prepared);
    let output: unknown;
    let failure: unknown;
    try {
      output = await execution.result;
    } catch (error) {
      failure = error;
    }
    await consuming;
    if (this.record.status !== 'RUNNING') return;
    if (failure === undefined) {
      this.close('SUCCEEDED', { output: text(output) });
    } else if (failure instanceof ExecutionAbortedError) {
      this.close('ABORTED', {});
    } else if (failure instanceof ExecutionTimeoutError) {
      this.close(
        'TIMED_OUT',
        { error: 'States.Timeout', cause: 'The execution timed out (TimeoutSeconds)' },
        'ExecutionTimedOut',
        {
          executionTimedOutEventDetails: {
            error: 'States.Timeout',
            cause: 'The execution timed out (TimeoutSeconds)',
          },
        },
      );
    } else {
      // The ExecutionFailed event normally closed it already; this covers a library error.
      const message = failure instanceof Error ? failure.message : String(failure);
      this.close('FAILED', { error: 'States.Runtime', cause: message }, 'ExecutionFailed', {
        executionFailedEventDetails: { error: 'States.Runtime', cause: message },
      });
    }
  }

  /**
   * A state's `<Type>StateEntered` event (with its input) or `<Type>StateExited` event (with its
   * output), shaped as Step Functions writes them.
   */
  private appendStateEvent(
    phase: 'StateEntered' | 'StateExited',
    stateType: string,
    state: { name: string; input?: unknown; output?: unknown },
    at: number,
  ): void {
    const member = phase === 'StateEntered' ? 'input' : 'output';
    const details = { name: state.name, [member]: text(state[member]), [`${member}Details`]: { truncated: false } };
    this.append(`${stateType}${phase}`, { [`${phase[0]!.toLowerCase()}${phase.slice(1)}EventDetails`]: details }, at);
  }

  /** Turns the library's event log into Step Functions history events. */
  private async consume(events: AsyncGenerator<object>, prepared: PreparedDefinition): Promise<void> {
    for await (const logged of events) {
      const event = logged as Record<string, unknown>;
      const at = typeof event.timestamp === 'number' ? event.timestamp : Date.now();
      const state = event.state as { name: string; type: string; input?: unknown; output?: unknown } | undefined;
      const typeOf = (s: { name: string; type: string }) => prepared.types.get(s.name) ?? s.type;
      switch (event.type) {
        case 'ExecutionStarted':
          this.append(
            'ExecutionStarted',
            {
              executionStartedEventDetails: {
                input: this.record.input,
                inputDetails: { truncated: false },
                roleArn: this.record.roleArn,
              },
            },
            at,
          );
          break;
        case 'StateEntered':
        case 'StateExited':
          if (state) this.appendStateEvent(event.type, typeOf(state), state, at);
          break;
        case 'ParallelBranchStarted':
          break;
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
        case 'MapIterationFailed': {
          const parent = event.parentState as { name: string } | undefined;
          const key = `mapIteration${String(event.type).slice('MapIteration'.length)}EventDetails`;
          this.append(String(event.type), { [key]: { name: parent?.name ?? '', index: event.index } }, at);
          break;
        }
        case 'ExecutionSucceeded':
          // Closed with the result's output after the run (same value).
          this.append(
            'ExecutionSucceeded',
            {
              executionSucceededEventDetails: {
                output: text(event.output),
                outputDetails: { truncated: false },
              },
            },
            at,
          );
          break;
        case 'ExecutionFailed': {
          const error = String(event.Error ?? 'States.Runtime');
          const cause = typeof event.Cause === 'string' ? event.Cause : text(event.Cause);
          this.close('FAILED', { error, cause }, 'ExecutionFailed', {
            executionFailedEventDetails: { error, cause },
          });
          break;
        }
        default:
          break; // StateFailed/StateRetried/StateCaught have no history event of their own
      }
    }
  }

  private async runScaledWait(ref: StateRef, input: unknown): Promise<unknown> {
    const ms = waitDurationMs(ref.original, input, Date.now()) * this.deps.waitScale;
    try {
      await sleep(ms, this.controller.signal);
    } catch {
      // aborted: the library is settling the execution as aborted
    }
    return input;
  }

  private async runTask(ref: StateRef, input: unknown): Promise<unknown> {
    // Let the library's StateEntered event reach the history first (it is delivered through an
    // async generator; a full turn of the event loop drains it).
    await nextTurn();
    if (this.controller.signal.aborted) throw new TaskError('States.Runtime', 'The execution was stopped');
    const resource = String(ref.original.Resource ?? '');
    if (resource === LOCAL_WAIT_RESOURCE) return input;
    const direct = LAMBDA_ARN.test(resource);
    const integrated = LAMBDA_INVOKE.test(resource);
    if (!direct && !integrated) {
      const cause = `The local Step Functions runs Lambda tasks only (a Lambda function ARN or arn:aws:states:::lambda:invoke); state '${ref.name}' uses '${resource}'`;
      this.append('TaskStartFailed', {
        taskStartFailedEventDetails: { resourceType: 'unknown', resource, error: 'States.Runtime', cause },
      });
      throw new TaskError('States.Runtime', cause);
    }
    const parameters = (input ?? {}) as Json;
    const functionName = direct ? resource : parameters.FunctionName;
    const payload = direct ? input : (parameters.Payload ?? {});
    const timeout =
      typeof ref.original.TimeoutSeconds === 'number' ? { timeoutInSeconds: ref.original.TimeoutSeconds } : {};
    if (direct) {
      this.append('LambdaFunctionScheduled', {
        lambdaFunctionScheduledEventDetails: {
          resource,
          input: text(input),
          inputDetails: { truncated: false },
          ...timeout,
        },
      });
      this.append('LambdaFunctionStarted');
    } else {
      this.append('TaskScheduled', {
        taskScheduledEventDetails: {
          resourceType: 'lambda',
          resource: 'invoke',
          region: this.deps.region,
          parameters: text(input),
          ...timeout,
        },
      });
      this.append('TaskStarted', { taskStartedEventDetails: { resourceType: 'lambda', resource: 'invoke' } });
    }
    const failed = (error: string, cause: string): TaskError => {
      if (direct) this.append('LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: { error, cause } });
      else
        this.append('TaskFailed', {
          taskFailedEventDetails: { resourceType: 'lambda', resource: 'invoke', error, cause },
        });
      return new TaskError(error, cause);
    };
    if (typeof functionName !== 'string') {
      throw failed('States.Runtime', `The Parameters of state '${ref.name}' have no FunctionName`);
    }
    let result: LocalInvokeResult;
    try {
      result = await this.deps.invokeFunction(functionName, payload);
    } catch (error) {
      if (error instanceof AwsError) {
        throw failed(
          `Lambda.${error.code}`,
          `${error.message} (Service: Lambda, Status Code: ${error.status}, Error Code: ${error.code})`,
        );
      }
      throw failed('Lambda.Unknown', error instanceof Error ? error.message : String(error));
    }
    if (result.functionError) {
      let errorType = 'Lambda.Unknown';
      try {
        const doc = JSON.parse(result.payload) as { errorType?: unknown };
        if (typeof doc.errorType === 'string' && doc.errorType !== '') errorType = doc.errorType;
      } catch {
        // not a runtime error document
      }
      throw failed(errorType, result.payload);
    }
    const value: unknown = JSON.parse(result.payload);
    if (direct) {
      this.append('LambdaFunctionSucceeded', {
        lambdaFunctionSucceededEventDetails: { output: result.payload, outputDetails: { truncated: false } },
      });
      return value;
    }
    const output = {
      ExecutedVersion: '$LATEST',
      Payload: value,
      SdkHttpMetadata: {
        HttpHeaders: { 'Content-Type': 'application/json', 'X-Amz-Executed-Version': '$LATEST' },
        HttpStatusCode: 200,
      },
      SdkResponseMetadata: { RequestId: randomUUID() },
      StatusCode: 200,
    };
    this.append('TaskSucceeded', {
      taskSucceededEventDetails: {
        resourceType: 'lambda',
        resource: 'invoke',
        output: text(output),
        outputDetails: { truncated: false },
      },
    });
    return output;
  }
}
