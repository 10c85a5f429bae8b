/**
 * AWS Step Functions, JSON 1.0 protocol (`X-Amz-Target: AWSStepFunctions.<Operation>`):
 * CreateStateMachine, DescribeStateMachine, ListStateMachines, UpdateStateMachine,
 * DeleteStateMachine, StartExecution, DescribeExecution, ListExecutions, GetExecutionHistory,
 * StopExecution. Definitions are validated as the service does (aws-local-stepfunctions' ASL
 * validator) and executed by `execution.ts`; Lambda tasks invoke the local functions.
 *
 * State machines persist in `<dataDir>/stepfunctions/state-machines.json`, each execution (status
 * and history) in `<dataDir>/stepfunctions/executions/<hash>.json`. An execution that was
 * RUNNING when the endpoint stopped is ABORTED (error `States.Runtime`) when it starts again:
 * executions do not resume across restarts.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine } from 'aws-local-stepfunctions';
import { AwsError } from '../errors.ts';
import { readJson, writeJson } from '../json-store.ts';
import type { LocalInvokeResult } from '../lambda/invoke.ts';
import { log } from '../logger.ts';
import type { AwsRequest, AwsResponse, ServiceModule } from '../server.ts';
import { dispatchJsonTarget, type JsonOperations } from '../json-target.ts';
import type { Json } from './definition.ts';
import { RunningExecution, type ExecutionRecord, type ExecutionStatus } from './execution.ts';
import { CONTENT_TYPE } from '../json-response.ts';

export interface StepFunctionsOptions {
  dataDir: string;
  /** Runs a Lambda function as Invoke does (the local Lambda service). */
  invokeFunction(nameOrArn: string, payload: unknown, region: string, accountId: string): Promise<LocalInvokeResult>;
  /** Multiplies Wait durations and Retry intervals (default 1: real time; tests use e.g. 0.01). */
  waitScale?: number;
}

interface StoredStateMachine {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  /** epoch ms */
  creationDate: number;
  updateDate?: number;
  revisionId: string;
  loggingConfiguration: Json;
  tracingConfiguration: Json;
  status: 'ACTIVE' | 'DELETING';
}

const TARGET_PREFIX = 'AWSStepFunctions.';
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@\-/]+$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:([^:]+)$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:([^:]+):([^:]+)$/;
// Whitespace, brackets, wildcards, special characters and control characters are not allowed.
const INVALID_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

const epoch = (ms: number): number => ms / 1000;

function requireString(body: Json, member: string): string {
  const value = body[member];
  if (typeof value !== 'string' || value === '') {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`,
      400,
    );
  }
  return value;
}

function checkName(name: string): void {
  if (name.length < 1 || name.length > 80 || INVALID_NAME_CHARS.test(name))
    throw new AwsError('InvalidName', `Invalid Name: '${name}'`, 400);
}

function pageOf<T>(items: readonly T[], body: Json, defaultMax = 100): { page: T[]; nextToken?: string } {
  const max = body.maxResults === undefined || body.maxResults === 0 ? defaultMax : Number(body.maxResults);
  if (!Number.isInteger(max) || max < 0 || max > 1000) {
    throw new AwsError(
      'ValidationException',
      `1 validation error detected: Value '${String(body.maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
      400,
    );
  }
  let start = 0;
  if (typeof body.nextToken === 'string') {
    start = Number.parseInt(Buffer.from(body.nextToken, 'base64url').toString('utf8'), 10);
    if (!Number.isInteger(start) || start < 0)
      throw new AwsError('InvalidToken', `Invalid Token: '${body.nextToken}'`, 400);
  }
  const page = items.slice(start, start + max);
  return start + max < items.length
    ? { page, nextToken: Buffer.from(String(start + max)).toString('base64url') }
    : { page };
}

/** A List or GetExecutionHistory answer: one page of `items` as `key`, each through `show`, and the next token. */
function listAnswer<T>(key: string, items: readonly T[], body: Json, show: (item: T) => Json): Json {
  const { page, nextToken } = pageOf(items, body);
  return { [key]: page.map(show), ...(nextToken ? { nextToken } : {}) };
}

/** The members an execution's list item and its description share. */
function executionSummary(e: ExecutionRecord): Json {
  return {
    executionArn: e.executionArn,
    stateMachineArn: e.stateMachineArn,
    name: e.name,
    status: e.status,
    startDate: epoch(e.startDate),
    ...(e.stopDate !== undefined ? { stopDate: epoch(e.stopDate) } : {}),
  };
}

/** Parses and validates a definition as CreateStateMachine does. */
export function validateDefinition(definition: string): Json {
  let parsed: unknown;
  try {
    parsed = JSON.parse(definition);
  } catch (error) {
    throw new AwsError(
      'InvalidDefinition',
      `Invalid State Machine Definition: 'INVALID_JSON_DESCRIPTION: ${error instanceof Error ? error.message : String(error)}'`,
      400,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new AwsError(
      'InvalidDefinition',
      "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: the definition is not a JSON object'",
      400,
    );
  }
  try {
    new StateMachine(parsed as never, { validationOptions: { checkArn: true, checkPaths: true } });
  } catch (error) {
    const detail = (error instanceof Error ? error.message : String(error))
      .replace(/^State machine definition is invalid, see error\(s\) below:\s*/, '')
      .trim();
    throw new AwsError(
      'InvalidDefinition',
      `Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: ${detail}'`,
      400,
    );
  }
  return parsed as Json;
}

export class StepFunctionsService implements ServiceModule {
  readonly service = 'states';
  readonly protocol = 'json' as const;
  private readonly options: StepFunctionsOptions;
  private readonly machines = new Map<string, StoredStateMachine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, RunningExecution>();
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly machinesPath: string;
  private readonly executionsDir: string;
  private waitScale: number;

  constructor(options: StepFunctionsOptions) {
    this.options = options;
    this.waitScale = options.waitScale ?? 1;
    if (!(this.waitScale > 0))
      throw new RangeError(`stepFunctions.waitScale must be a positive number, got ${this.waitScale}`);
    const root = join(options.dataDir, 'stepfunctions');
    this.machinesPath = join(root, 'state-machines.json');
    this.executionsDir = join(root, 'executions');
    mkdirSync(this.executionsDir, { recursive: true });
    for (const machine of readJson<StoredStateMachine[]>(this.machinesPath, []))
      this.machines.set(machine.stateMachineArn, machine);
    for (const file of readdirSync(this.executionsDir).filter((f) => f.endsWith('.json'))) {
      try {
        const record = JSON.parse(readFileSync(join(this.executionsDir, file), 'utf8')) as ExecutionRecord;
        if (record.status === 'RUNNING') this.abortStale(record);
        this.executions.set(record.executionArn, record);
      } catch (error) {
        log.warn('unreadable execution file skipped', {
          file,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  /** A RUNNING execution found at start: its runner is gone with the previous process. */
  private abortStale(record: ExecutionRecord): void {
    const cause =
      'The local endpoint stopped while the execution was running; executions do not resume after a restart';
    const last = record.events[record.events.length - 1];
    const now = Date.now();
    record.events.push({
      timestamp: epoch(now),
      type: 'ExecutionAborted',
      id: record.events.length + 1,
      previousEventId: last?.id ?? 0,
      executionAbortedEventDetails: { error: 'States.Runtime', cause },
    });
    Object.assign(record, { status: 'ABORTED', stopDate: now, error: 'States.Runtime', cause });
    this.writeExecution(record);
  }

  setWaitScale(scale: number): void {
    if (!(scale > 0)) throw new RangeError(`waitScale must be a positive number, got ${scale}`);
    this.waitScale = scale;
  }

  private persistMachines(): void {
    writeJson(this.machinesPath, [...this.machines.values()]);
  }

  private executionFile(arn: string): string {
    return join(this.executionsDir, `${createHash('sha1').update(arn).digest('hex')}.json`);
  }

  private writeExecution(record: ExecutionRecord): void {
    writeJson(this.executionFile(record.executionArn), record);
  }

  /** History changes are written at most every 200 ms; status changes at once. */
  private changed(record: ExecutionRecord, final: boolean): void {
    if (final) {
      this.dirty.delete(record.executionArn);
      this.writeExecution(record);
      return;
    }
    this.dirty.add(record.executionArn);
    this.flushTimer ??= setTimeout(() => this.flushDirty(), 200);
  }

  private flushDirty(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const arn of this.dirty) {
      const record = this.executions.get(arn);
      if (record) this.writeExecution(record);
    }
    this.dirty.clear();
  }

  /** The operations this service provides, by X-Amz-Target operation name. */
  private readonly operations: JsonOperations = {
    CreateStateMachine: (body, request) => this.createStateMachine(body, request),
    DescribeStateMachine: (body) => this.describeStateMachine(this.machine(requireString(body, 'stateMachineArn'))),
    ListStateMachines: (body) => this.listStateMachines(body),
    UpdateStateMachine: (body) => this.updateStateMachine(body),
    DeleteStateMachine: (body) => this.deleteStateMachine(body),
    StartExecution: (body, request) => this.startExecution(body, request),
    DescribeExecution: (body) => this.describeExecution(this.execution(requireString(body, 'executionArn'))),
    ListExecutions: (body) => this.listExecutions(body),
    GetExecutionHistory: (body) => this.history(body),
    StopExecution: (body) => this.stopExecution(body),
  };

  handle(request: AwsRequest): Promise<AwsResponse> {
    return dispatchJsonTarget(request, {
      targetPrefix: TARGET_PREFIX,
      label: 'Step Functions',
      contentType: CONTENT_TYPE.json10,
      operations: this.operations,
    });
  }

  private machine(arn: string): StoredStateMachine {
    if (!STATE_MACHINE_ARN.test(arn))
      throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`, 400);
    const machine = this.machines.get(arn);
    if (!machine) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`, 400);
    return machine;
  }

  private execution(arn: string): ExecutionRecord {
    if (!EXECUTION_ARN.test(arn))
      throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`, 400);
    const record = this.executions.get(arn);
    if (!record) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`, 400);
    return record;
  }

  private checkRole(roleArn: string): void {
    if (!ROLE_ARN.test(roleArn))
      throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${roleArn}'`, 400);
  }

  private createStateMachine(body: Json, request: AwsRequest): Json {
    const name = requireString(body, 'name');
    const definition = requireString(body, 'definition');
    const roleArn = requireString(body, 'roleArn');
    checkName(name);
    this.checkRole(roleArn);
    const type = body.type === undefined ? 'STANDARD' : body.type;
    if (type !== 'STANDARD' && type !== 'EXPRESS') {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${String(type)}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]`,
        400,
      );
    }
    validateDefinition(definition);
    const arn = `arn:aws:states:${request.region}:${request.accountId}:stateMachine:${name}`;
    const existing = this.machines.get(arn);
    if (existing) {
      // Same name and same settings: CreateStateMachine is idempotent and answers the original.
      if (existing.definition === definition && existing.roleArn === roleArn && existing.type === type) {
        return { stateMachineArn: arn, creationDate: epoch(existing.creationDate) };
      }
      throw new AwsError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`, 400);
    }
    const machine: StoredStateMachine = {
      stateMachineArn: arn,
      name,
      definition,
      roleArn,
      type,
      creationDate: Date.now(),
      revisionId: randomUUID(),
      loggingConfiguration: (body.loggingConfiguration as Json | undefined) ?? {
        level: 'OFF',
        includeExecutionData: false,
      },
      tracingConfiguration: (body.tracingConfiguration as Json | undefined) ?? { enabled: false },
      status: 'ACTIVE',
    };
    this.machines.set(arn, machine);
    this.persistMachines();
    log.info('state machine created', { arn });
    return { stateMachineArn: arn, creationDate: epoch(machine.creationDate) };
  }

  /** DescribeStateMachine answers the stored machine as it is, with AWS's epoch seconds and no updateDate. */
  private describeStateMachine(machine: StoredStateMachine): Json {
    const { creationDate, updateDate: _updated, ...described } = machine;
    return { ...described, creationDate: epoch(creationDate) };
  }

  private listStateMachines(body: Json): Json {
    const all = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
    return listAnswer('stateMachines', all, body, (m) => ({
      stateMachineArn: m.stateMachineArn,
      name: m.name,
      type: m.type,
      creationDate: epoch(m.creationDate),
    }));
  }

  private updateStateMachine(body: Json): Json {
    const machine = this.machine(requireString(body, 'stateMachineArn'));
    const definition = body.definition;
    const roleArn = body.roleArn;
    if (
      definition === undefined &&
      roleArn === undefined &&
      body.loggingConfiguration === undefined &&
      body.tracingConfiguration === undefined
    ) {
      throw new AwsError(
        'MissingRequiredParameter',
        'Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified',
        400,
      );
    }
    if (definition !== undefined) validateDefinition(String(definition));
    if (roleArn !== undefined) this.checkRole(String(roleArn));
    if (definition !== undefined) machine.definition = String(definition);
    if (roleArn !== undefined) machine.roleArn = String(roleArn);
    if (body.loggingConfiguration !== undefined) machine.loggingConfiguration = body.loggingConfiguration as Json;
    if (body.tracingConfiguration !== undefined) machine.tracingConfiguration = body.tracingConfiguration as Json;
    machine.updateDate = Date.now();
    machine.revisionId = randomUUID();
    this.persistMachines();
    return { updateDate: epoch(machine.updateDate), revisionId: machine.revisionId };
  }

  private deleteStateMachine(body: Json): Json {
    const arn = requireString(body, 'stateMachineArn');
    if (!STATE_MACHINE_ARN.test(arn))
      throw new AwsError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn}'`, 400);
    // Deleting a state machine that does not exist succeeds, as in the service.
    if (!this.machines.has(arn)) return {};
    for (const running of this.running.values()) {
      if (running.record.stateMachineArn === arn) running.stop('States.Runtime', 'The state machine was deleted');
    }
    this.machines.delete(arn);
    this.persistMachines();
    return {};
  }

  private startExecution(body: Json, request: AwsRequest): Json {
    const machine = this.machine(requireString(body, 'stateMachineArn'));
    const name = body.name === undefined ? randomUUID() : String(body.name);
    checkName(name);
    const input = body.input === undefined ? '{}' : String(body.input);
    try {
      JSON.parse(input);
    } catch (error) {
      throw new AwsError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: '${error instanceof Error ? error.message : String(error)}'`,
        400,
      );
    }
    const arn = `arn:aws:states:${request.region}:${request.accountId}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(arn);
    if (existing) {
      // STANDARD: the same name and input as a RUNNING execution answers that execution;
      // a closed execution or another input is ExecutionAlreadyExists.
      if (existing.status === 'RUNNING' && existing.input === input && machine.type === 'STANDARD') {
        return { executionArn: arn, startDate: epoch(existing.startDate) };
      }
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`, 400);
    }
    const definition = JSON.parse(machine.definition) as Json;
    const record: ExecutionRecord = {
      executionArn: arn,
      stateMachineArn: machine.stateMachineArn,
      stateMachineName: machine.name,
      name,
      status: 'RUNNING',
      startDate: Date.now(),
      input,
      roleArn: machine.roleArn,
      events: [],
    };
    this.executions.set(arn, record);
    this.writeExecution(record);
    const region = request.region;
    const accountId = request.accountId;
    const runner = new RunningExecution(record, definition, {
      invokeFunction: (fn, payload) => this.options.invokeFunction(fn, payload, region, accountId),
      region,
      waitScale: this.waitScale,
      changed: (r, final) => this.changed(r, final),
    });
    this.running.set(arn, runner);
    void runner.done.finally(() => this.running.delete(arn));
    log.info('execution started', { arn });
    return { executionArn: arn, startDate: epoch(record.startDate) };
  }

  private describeExecution(record: ExecutionRecord): Json {
    return {
      ...executionSummary(record),
      input: record.input,
      inputDetails: { included: true },
      ...(record.output !== undefined ? { output: record.output, outputDetails: { included: true } } : {}),
      ...(record.error !== undefined ? { error: record.error } : {}),
      ...(record.cause !== undefined ? { cause: record.cause } : {}),
      redriveCount: 0,
      redriveStatus: 'NOT_REDRIVABLE',
    };
  }

  private listExecutions(body: Json): Json {
    const arn = requireString(body, 'stateMachineArn');
    this.machine(arn);
    const filter = body.statusFilter;
    if (filter !== undefined && !STATUSES.includes(filter as ExecutionStatus)) {
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value '${String(filter)}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${STATUSES.join(', ')}]`,
        400,
      );
    }
    const all = [...this.executions.values()]
      .filter((e) => e.stateMachineArn === arn && (filter === undefined || e.status === filter))
      .sort((a, b) => b.startDate - a.startDate || b.name.localeCompare(a.name));
    return listAnswer('executions', all, body, executionSummary);
  }

  private history(body: Json): Json {
    const record = this.execution(requireString(body, 'executionArn'));
    const includeData = body.includeExecutionData !== false;
    const events = body.reverseOrder === true ? [...record.events].reverse() : record.events;
    const strip = (event: Json): Json => {
      if (includeData) return event;
      const copy = structuredClone(event);
      for (const value of Object.values(copy)) {
        if (value && typeof value === 'object') {
          for (const field of ['input', 'output', 'parameters']) delete (value as Json)[field];
        }
      }
      return copy;
    };
    return listAnswer('events', events, body, (e) => strip(e as Json));
  }

  private stopExecution(body: Json): Json {
    const record = this.execution(requireString(body, 'executionArn'));
    const running = this.running.get(record.executionArn);
    if (record.status === 'RUNNING' && running) {
      running.stop(
        body.error === undefined ? undefined : String(body.error),
        body.cause === undefined ? undefined : String(body.cause),
      );
    }
    return { stopDate: epoch(record.stopDate ?? Date.now()) };
  }

  /** For the stack and tests: executions of a state machine (or all), newest first. */
  listAll(stateMachineArn?: string): ExecutionRecord[] {
    return [...this.executions.values()]
      .filter((e) => stateMachineArn === undefined || e.stateMachineArn === stateMachineArn)
      .sort((a, b) => b.startDate - a.startDate);
  }

  /** Resolves when the execution is no longer RUNNING. */
  async settled(executionArn: string): Promise<ExecutionRecord | undefined> {
    await this.running.get(executionArn)?.done;
    return this.executions.get(executionArn);
  }

  /** Aborts running executions (they are not resumed by a restart) and writes everything. */
  close(): void {
    for (const running of this.running.values())
      running.stop('States.Runtime', 'The local endpoint stopped', 'shutdown');
    this.flushDirty();
  }
}
