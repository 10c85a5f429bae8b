/**
 * AWS Lambda, REST-JSON protocol: Invoke (`lambda/invoke.ts`) and event source mappings:
 *   POST   /2015-03-31/functions/{FunctionName}/invocations  Invoke
 *   POST   /2015-03-31/event-source-mappings/         CreateEventSourceMapping (202)
 *   GET    /2015-03-31/event-source-mappings/         ListEventSourceMappings
 *   GET    /2015-03-31/event-source-mappings/{UUID}   GetEventSourceMapping
 *   PUT    /2015-03-31/event-source-mappings/{UUID}   UpdateEventSourceMapping (202)
 *   DELETE /2015-03-31/event-source-mappings/{UUID}   DeleteEventSourceMapping (202)
 * Mappings persist in `<dataDir>/lambda/event-source-mappings.json`; each enabled one runs a
 * MappingPoller. State transitions follow Lambda's: Creating → Enabled (or Disabled when created
 * disabled), Enabling/Disabling/Updating → Enabled/Disabled, Deleting → gone.
 */
import { join } from 'node:path';
import type { Clock } from '../clock.ts';
import { AwsError, constraint, validationError } from '../errors.ts';
import { readJson, writeJson } from '../json-store.ts';
import { log } from '../logger.ts';
import { writeObject } from '../s3/tree.ts';
import type { AwsRequest, AwsResponse, ServiceModule } from '../server.ts';
import { handleInvoke, invokeLocalFunction, invokePathFunction, type LocalInvokeResult } from './invoke.ts';
import type { OpenKafkaSource, SourceSecurity } from './kafka-source.ts';
import {
  consumerGroupId,
  createMapping,
  DEFAULT_WINDOW_MS,
  describeMapping,
  functionNameOf,
  identity,
  resolveFunction,
  S3_BUCKET_ARN,
  updateMapping,
  type CreateContext,
  type FunctionRef,
  type Json,
  type MappingRecord,
} from './mappings.ts';
import { MappingPoller, type InvokeFunction, type PollerStats } from './poller.ts';
import { CONTENT_TYPE, jsonResponse } from '../json-response.ts';

export interface FunctionSettings {
  /** Lambda timeout in seconds (drives `getRemainingTimeInMillis`); default 60. */
  timeoutSeconds?: number;
  memorySize?: number;
}

export interface KafkaBrokers {
  /** Bootstrap brokers of the dev cluster, used for MSK mappings. */
  brokers?: readonly string[];
  /** Per-cluster resolution for MSK ARNs; falls back to `brokers`. */
  brokersFor?(clusterArn: string): readonly string[] | undefined;
  /**
   * The listener and credentials an MSK mapping's pollers use (SCRAM when the mapping names a
   * secret, else what the cluster enables); throws when the cluster cannot serve the mapping.
   * Without it MSK mappings consume `brokersFor` over PLAINTEXT.
   */
  connectionFor?(
    clusterArn: string,
    scramSecretArn: string | undefined,
  ): (SourceSecurity & { brokers: readonly string[] }) | undefined;
}

export interface LambdaOptions {
  dataDir: string;
  clock: Clock;
  invoke: InvokeFunction | undefined;
  kafka: KafkaBrokers | undefined;
  /** When given, only these functions exist (others: ResourceNotFoundException). */
  functions: Record<string, FunctionSettings> | undefined;
  openSource: OpenKafkaSource;
}

const BASE = '/2015-03-31/event-source-mappings';
const MESSAGE_MEMBER: Record<string, 'message' | 'Message'> = {
  ResourceNotFoundException: 'Message',
  ResourceInUseException: 'Message',
  ServiceException: 'Message',
};

const restJson = (status: number, body: unknown): AwsResponse => jsonResponse(body, CONTENT_TYPE.restJson, status);

const notFound = (): AwsError =>
  new AwsError('ResourceNotFoundException', 'The resource you requested does not exist.', 404);

export class LambdaService implements ServiceModule {
  readonly service = 'lambda';
  readonly protocol = 'rest-json' as const;
  private readonly options: LambdaOptions;
  private readonly mappings = new Map<string, MappingRecord>();
  private readonly pollers = new Map<string, MappingPoller>();
  /** Serialises state changes per mapping (start/stop of pollers are asynchronous). */
  private readonly transitions = new Map<string, Promise<void>>();
  private readonly storePath: string;
  private closed = false;

  constructor(options: LambdaOptions) {
    this.options = options;
    this.storePath = join(options.dataDir, 'lambda', 'event-source-mappings.json');
    for (const record of readJson<MappingRecord[]>(this.storePath, [])) {
      if (record.State === 'Deleting') continue;
      this.mappings.set(record.UUID, record);
    }
    this.persist();
  }

  messageMember(code: string): 'message' | 'Message' {
    return MESSAGE_MEMBER[code] ?? 'message';
  }

  /** Starts the pollers of the stored enabled mappings (after a restart). */
  resume(): void {
    for (const record of this.mappings.values()) this.transition(record.UUID, record.State);
  }

  private persist(): void {
    writeJson(this.storePath, [...this.mappings.values()]);
  }

  private createContext(request: AwsRequest): CreateContext {
    return {
      region: request.region,
      accountId: request.accountId,
      now: this.options.clock.now(),
      checkFunction: (ref: FunctionRef) => {
        if (this.options.functions && !Object.hasOwn(this.options.functions, ref.name)) {
          throw new AwsError('ResourceNotFoundException', `Function not found: ${ref.arn}`, 404);
        }
      },
    };
  }

  /** Runs a function as Lambda's Invoke would (the local Step Functions' Lambda tasks use it). */
  invokeFunction(nameOrArn: string, event: unknown, region: string, accountId: string): Promise<LocalInvokeResult> {
    return invokeLocalFunction(
      { invoke: this.options.invoke, functions: this.options.functions, region, accountId },
      nameOrArn,
      event,
    );
  }

  async handle(request: AwsRequest): Promise<AwsResponse> {
    const path = request.path.replace(/\/+$/, '');
    const invokeTarget = invokePathFunction(path);
    if (invokeTarget !== undefined && request.method === 'POST') {
      const deps = {
        invoke: this.options.invoke,
        functions: this.options.functions,
        region: request.region,
        accountId: request.accountId,
      };
      return handleInvoke(deps, { functionName: invokeTarget, headers: request.headers, body: request.body });
    }
    if (path === BASE) {
      if (request.method === 'POST') return restJson(202, this.create(this.body(request), request));
      if (request.method === 'GET') return restJson(200, this.list(request));
    } else if (path.startsWith(`${BASE}/`)) {
      const uuid = decodeURIComponent(path.slice(BASE.length + 1));
      if (request.method === 'GET') return restJson(200, describeMapping(this.get(uuid)));
      if (request.method === 'PUT') return restJson(202, this.update(uuid, this.body(request), request));
      if (request.method === 'DELETE') return restJson(202, this.delete(uuid));
    }
    throw new AwsError(
      'NotImplementedException',
      `${request.method} ${request.path} is not provided by the local endpoint (Invoke and event source mappings only)`,
      501,
    );
  }

  private body(request: AwsRequest): Json {
    try {
      const parsed: unknown = request.body.length === 0 ? {} : JSON.parse(request.body.toString('utf8'));
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
        throw new SyntaxError('not an object');
      return parsed as Json;
    } catch {
      throw new AwsError('InvalidRequestContentException', 'Could not parse request body into json', 400);
    }
  }

  private get(uuid: string): MappingRecord {
    const record = this.mappings.get(uuid);
    if (!record) throw notFound();
    return record;
  }

  private create(body: Json, request: AwsRequest): Json {
    const record = createMapping(body, this.createContext(request));
    const key = identity(record);
    for (const other of this.mappings.values()) {
      if (identity(other) === key) {
        const source =
          other.EventSourceArn ?? other.SelfManagedEventSource?.Endpoints.KAFKA_BOOTSTRAP_SERVERS.join(',');
        throw new AwsError(
          'ResourceConflictException',
          `An event source mapping with event source ("${source}"), function ("${other.FunctionArn}"), topics ("${other.Topics.join(',')}") already exists. Please update or delete the existing mapping with UUID ${other.UUID}`,
          409,
        );
      }
    }
    this.mappings.set(record.UUID, record);
    this.persist();
    this.transition(record.UUID, 'Creating');
    return describeMapping(record);
  }

  private list(request: AwsRequest): Json {
    const maxItems = request.query.get('MaxItems');
    const limit = maxItems === null ? 100 : Number(maxItems);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10000) {
      throw validationError([constraint(maxItems, 'maxItems', 'Member must have value between 1 and 10000')]);
    }
    const sourceArn = request.query.get('EventSourceArn');
    const functionName = request.query.get('FunctionName');
    const fn = functionName === null ? undefined : resolveFunction(functionName, request.region, request.accountId);
    const all = [...this.mappings.values()]
      .filter((m) => sourceArn === null || m.EventSourceArn === sourceArn)
      .filter((m) => fn === undefined || functionNameOf(m) === fn.name)
      .sort((a, b) => a.LastModified - b.LastModified || a.UUID.localeCompare(b.UUID));
    const marker = request.query.get('Marker');
    let start = 0;
    if (marker !== null) {
      start = all.findIndex((m) => m.UUID === marker) + 1;
      if (start === 0) throw new AwsError('InvalidParameterValueException', `Invalid Marker '${marker}'`, 400);
    }
    const page = all.slice(start, start + limit);
    const last = page[page.length - 1];
    return {
      EventSourceMappings: page.map(describeMapping),
      ...(start + limit < all.length && last ? { NextMarker: last.UUID } : {}),
    };
  }

  private update(uuid: string, body: Json, request: AwsRequest): Json {
    const current = this.get(uuid);
    if (!['Enabled', 'Disabled'].includes(current.State)) {
      throw new AwsError(
        'ResourceInUseException',
        `Cannot update the event source mapping because it is in use (state ${current.State}). Retry when it is Enabled or Disabled.`,
        400,
      );
    }
    const next = updateMapping(current, body, this.createContext(request));
    const toggled = next.enabled !== current.enabled;
    next.State = toggled ? (next.enabled ? 'Enabling' : 'Disabling') : 'Updating';
    this.mappings.set(uuid, next);
    this.persist();
    this.transition(uuid, next.State);
    return describeMapping(next);
  }

  private delete(uuid: string): Json {
    const record = this.get(uuid);
    if (record.State === 'Deleting') {
      throw new AwsError(
        'ResourceInUseException',
        'Cannot delete the event source mapping because it is already being deleted.',
        400,
      );
    }
    record.State = 'Deleting';
    record.StateTransitionReason = 'USER_INITIATED';
    this.persist();
    this.transition(uuid, 'Deleting');
    return describeMapping(record);
  }

  /** Runs the asynchronous part of a state change, one at a time per mapping. */
  private transition(uuid: string, to: MappingRecord['State']): void {
    const previous = this.transitions.get(uuid) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        if (this.closed) return;
        await this.stopPoller(uuid);
        const record = this.mappings.get(uuid);
        if (!record) return;
        if (to === 'Deleting') {
          this.mappings.delete(uuid);
          this.persist();
          log.info('event source mapping deleted', { uuid });
          return;
        }
        if (record.enabled) {
          this.startPoller(record);
          record.State = 'Enabled';
        } else {
          record.State = 'Disabled';
        }
        this.persist();
        log.info('event source mapping state', { uuid, state: record.State });
      })
      .catch((error: unknown) => {
        log.error('event source mapping transition failed', {
          uuid,
          error: error instanceof Error ? error.stack : String(error),
        });
      });
    this.transitions.set(uuid, next);
  }

  private brokersFor(record: MappingRecord): readonly string[] {
    if (record.SelfManagedEventSource) return record.SelfManagedEventSource.Endpoints.KAFKA_BOOTSTRAP_SERVERS;
    const arn = record.EventSourceArn ?? '';
    return this.options.kafka?.brokersFor?.(arn) ?? this.options.kafka?.brokers ?? [];
  }

  private startPoller(record: MappingRecord): void {
    let brokers = this.brokersFor(record);
    let security: SourceSecurity | undefined;
    const scram = record.SourceAccessConfigurations?.find((c) => c.Type === 'SASL_SCRAM_512_AUTH')?.URI;
    if (record.SelfManagedEventSource && scram !== undefined) {
      // Self-managed SCRAM is SASL_SSL with the default roots (a private CA would need a
      // SERVER_ROOT_CA_CERTIFICATE secret, which the local endpoint does not read), as on AWS.
      security = { auth: 'scram', scramSecretArn: scram };
    } else if (!record.SelfManagedEventSource && this.options.kafka?.connectionFor) {
      try {
        const connection = this.options.kafka.connectionFor(record.EventSourceArn ?? '', scram);
        if (connection) ({ brokers, ...security } = connection);
      } catch (error) {
        record.LastProcessingResult = `PROBLEM: Connection error. ${error instanceof Error ? error.message : String(error)}`;
        return;
      }
    }
    const functionName = functionNameOf(record);
    if (!this.options.invoke) {
      record.LastProcessingResult = 'PROBLEM: The local endpoint was started without an invoke function';
      return;
    }
    if (brokers.length === 0) {
      record.LastProcessingResult = `PROBLEM: Connection error. No brokers are configured for ${record.EventSourceArn ?? 'this event source'} in the local stack`;
      return;
    }
    const settings = this.options.functions?.[functionName] ?? {};
    const poller = new MappingPoller(
      {
        uuid: record.UUID,
        functionName,
        functionArn: record.FunctionArn,
        eventSourceArn: record.EventSourceArn,
        brokers,
        ...(security ? { security } : {}),
        topic: record.Topics[0] ?? '',
        groupId: consumerGroupId(record),
        startingPosition: record.StartingPosition,
        batchSize: record.BatchSize,
        windowMs:
          record.MaximumBatchingWindowInSeconds === undefined
            ? DEFAULT_WINDOW_MS
            : record.MaximumBatchingWindowInSeconds * 1000,
        reportBatchItemFailures: record.FunctionResponseTypes?.includes('ReportBatchItemFailures') ?? false,
        // Lambda caps infinite retries at 10 when an on-failure destination is configured.
        maximumRetryAttempts:
          (record.MaximumRetryAttempts ?? -1) === -1 && record.DestinationConfig?.OnFailure?.Destination
            ? 10
            : (record.MaximumRetryAttempts ?? -1),
        bisectOnError: record.BisectBatchOnFunctionError ?? false,
        onFailureDestination: record.DestinationConfig?.OnFailure?.Destination,
        timeoutMs: (settings.timeoutSeconds ?? 60) * 1000,
        memoryMb: settings.memorySize ?? 1024,
      },
      {
        invoke: this.options.invoke,
        openSource: this.options.openSource,
        clock: this.options.clock,
        writeFailure: (destination, key, body) => this.writeFailure(destination, key, body),
        onResult: (result) => {
          const current = this.mappings.get(record.UUID);
          if (current && current.LastProcessingResult !== result) {
            current.LastProcessingResult = result;
            this.persist();
          }
        },
      },
    );
    this.pollers.set(record.UUID, poller);
    poller.start();
  }

  private async stopPoller(uuid: string): Promise<void> {
    const poller = this.pollers.get(uuid);
    if (!poller) return;
    this.pollers.delete(uuid);
    await poller.stop();
  }

  private writeFailure(destination: string, key: string, body: unknown): void {
    const bucket = S3_BUCKET_ARN.exec(destination)?.[1];
    if (!bucket) return;
    writeObject(join(this.options.dataDir, 's3'), bucket, key, JSON.stringify(body));
  }

  /** For tests and the stack: the described mappings and their pollers' counters. */
  describeAll(): Json[] {
    return [...this.mappings.values()].map(describeMapping);
  }

  stats(uuid: string): PollerStats | undefined {
    const stats = this.pollers.get(uuid)?.stats;
    return stats ? { ...stats } : undefined;
  }

  /** Resolves when pending state transitions have completed. */
  async settled(): Promise<void> {
    await Promise.all([...this.transitions.values()]);
  }

  /** Stops every poller (in-flight invocations finish and commit first). */
  async close(): Promise<void> {
    await this.settled();
    this.closed = true;
    await Promise.all([...this.pollers.keys()].map((uuid) => this.stopPoller(uuid)));
  }
}
