/**
 * The pipelines registry: PipelineStore on one DynamoDB table (resources/pipelines-table.yml).
 *
 * Key design (single table, partition key `pk` only):
 * - `PIPELINE#<id>`      the pipeline (spec, status, steps as a map by name, resources, times);
 *                        `listPk`/`listSk` (= 'PIPELINE' / '<createdAt>#<id>') feed the
 *                        `byCreatedAt` index, so GET /pipelines is one Query, newest first.
 * - `PROJECT#<project>`  uniqueness guard: exists while the project has a pipeline that is not
 *                        DELETED.
 * - `APP#<appId>`        the ingest route: reserved (`active: false`) at create, active with the
 *                        topic once the pipeline is ACTIVE, inactive from DELETING/FAILED, removed
 *                        on DELETED — so `activeRoute` is one GetItem.
 * - `IDEMPOTENCY#<key>`  the pipeline a key created and the request fingerprint; `expiresAt`
 *                        (epoch seconds) is the table's TTL attribute, and an expired item is
 *                        treated as absent even before DynamoDB removes it.
 *
 * Every invariant is a conditional write: create is one TransactWriteItems (pipeline + project
 * guard + app routes + idempotency key, each `attribute_not_exists`), and a status change is one
 * transaction whose pipeline update is conditioned on the current status being one that
 * `allowedTransitions` lets reach the new one, together with its route changes.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { awsClientConfig, type AwsClientOptions } from '../lib/aws.ts';
import {
  AppIdConflictError,
  IdempotencyKeyReuseError,
  IllegalTransitionError,
  PipelineNotFoundError,
  ProjectConflictError,
} from './errors.ts';
import type { ActiveRoute, Pipeline, PipelineResources, PipelineStatus, PipelineStore, StepRecord } from './model.ts';
import {
  assertTransition,
  IDEMPOTENCY_TTL_SECONDS,
  PATCH_FIELDS,
  routeEffect,
  routeFields,
  routeTopic,
  sortSteps,
  sourcesOf,
  specFingerprint,
  type TransitionPatch,
} from './store-rules.ts';

/** Name of the global secondary index listing pipelines by creation time. */
export const PIPELINES_BY_CREATED_AT = 'byCreatedAt';

export const keys = {
  pipeline: (id: string) => `PIPELINE#${id}`,
  project: (projectId: string) => `PROJECT#${projectId}`,
  app: (appId: string) => `APP#${appId}`,
  idempotency: (key: string) => `IDEMPOTENCY#${key}`,
};

const LIST_PK = 'PIPELINE';
/** Attempts of a transaction that DynamoDB cancelled for a concurrent one on the same items. */
const CONFLICT_ATTEMPTS = 3;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type Item = Record<string, unknown>;

interface CancellationReason {
  Code?: string;
  Item?: Record<string, unknown>;
}

export interface DynamoPipelineStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Clock for updatedAt and idempotency expiry (ms epoch). Default Date.now. */
  now?: () => number;
  idempotencyTtlSeconds?: number;
}

/** A string attribute of an item that may be plain (DocumentClient) or marshalled ({ S: … }). */
function attr(item: Record<string, unknown> | undefined, name: string): string | undefined {
  const v = item?.[name];
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { S?: unknown }).S === 'string') return (v as { S: string }).S;
  return undefined;
}

function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

function cancellationReasons(err: unknown): CancellationReason[] | undefined {
  if (errorName(err) !== 'TransactionCanceledException') return undefined;
  return ((err as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []).map((r) => r ?? {});
}

const failed = (r: CancellationReason | undefined) => r?.Code === 'ConditionalCheckFailed';
const conflicted = (reasons: CancellationReason[]) => reasons.some((r) => r.Code === 'TransactionConflict');

/**
 * A copy without undefined properties (optional fields of the model), so the store works with any
 * DocumentClient, not only one created with `removeUndefinedValues`.
 */
function defined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(defined) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, defined(v)]),
    ) as T;
  }
  return value;
}

function toItem(pipeline: Pipeline): Item {
  const steps: Record<string, StepRecord> = {};
  for (const s of pipeline.steps ?? []) steps[s.name] = s;
  return defined({
    ...pipeline,
    steps,
    resources: pipeline.resources ?? {},
    pk: keys.pipeline(pipeline.id),
    kind: 'pipeline',
    listPk: LIST_PK,
    listSk: `${pipeline.createdAt}#${pipeline.id}`,
  });
}

function fromItem(item: Item): Pipeline {
  const { pk: _pk, kind: _kind, listPk: _listPk, listSk: _listSk, steps, resources, ...rest } = item;
  return {
    ...(rest as unknown as Pipeline),
    steps: sortSteps(Object.values((steps ?? {}) as Record<string, StepRecord>)),
    resources: (resources ?? {}) as PipelineResources,
  };
}

export class DynamoPipelineStore implements PipelineStore {
  readonly #db: DynamoDBDocumentClient;
  readonly #table: string;
  readonly #now: () => number;
  readonly #ttlSeconds: number;

  constructor(options: DynamoPipelineStoreOptions) {
    this.#db = options.client;
    this.#table = options.tableName;
    this.#now = options.now ?? Date.now;
    this.#ttlSeconds = options.idempotencyTtlSeconds ?? IDEMPOTENCY_TTL_SECONDS;
  }

  async create(input: Pipeline, idempotencyKey?: string): Promise<{ pipeline: Pipeline; created: boolean }> {
    const pipeline: Pipeline = {
      ...input,
      status: 'CREATING',
      steps: sortSteps(input.steps ?? []),
      resources: input.resources ?? {},
    };
    const fingerprint = specFingerprint(pipeline);
    const nowSeconds = Math.floor(this.#now() / 1000);
    const items: TransactItem[] = [
      {
        Put: {
          TableName: this.#table,
          Item: toItem(pipeline),
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
      {
        Put: {
          TableName: this.#table,
          Item: { pk: keys.project(pipeline.projectId), kind: 'project', pipelineId: pipeline.id },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      ...pipeline.appIds.map((appId): TransactItem => ({
        Put: {
          TableName: this.#table,
          Item: {
            pk: keys.app(appId),
            kind: 'app',
            pipelineId: pipeline.id,
            topic: routeTopic(pipeline),
            active: false,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      })),
    ];
    if (idempotencyKey !== undefined) {
      items.push({
        Put: {
          TableName: this.#table,
          Item: {
            pk: keys.idempotency(idempotencyKey),
            kind: 'idempotency',
            pipelineId: pipeline.id,
            fingerprint,
            expiresAt: nowSeconds + this.#ttlSeconds,
          },
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': nowSeconds },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      });
    }

    for (let attempt = 1; ; attempt++) {
      try {
        await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
        return { pipeline: structuredClone(pipeline), created: true };
      } catch (err) {
        const reasons = cancellationReasons(err);
        if (!reasons) throw err;
        if (idempotencyKey !== undefined && failed(reasons[items.length - 1])) {
          return this.#replay(idempotencyKey, fingerprint, reasons[items.length - 1]?.Item);
        }
        if (failed(reasons[1]))
          throw new ProjectConflictError(pipeline.projectId, attr(reasons[1]?.Item, 'pipelineId'));
        const appReasons = reasons.slice(2, 2 + pipeline.appIds.length);
        const taken = pipeline.appIds.filter((_, i) => failed(appReasons[i]));
        if (taken.length > 0) {
          throw new AppIdConflictError(taken, attr(appReasons[pipeline.appIds.indexOf(taken[0]!)]?.Item, 'pipelineId'));
        }
        if (failed(reasons[0])) throw new Error(`pipeline id '${pipeline.id}' already exists`, { cause: err });
        if (conflicted(reasons) && attempt < CONFLICT_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /** The answer to a repeated Idempotency-Key: the first pipeline, or a reuse error. */
  async #replay(
    key: string,
    fingerprint: string,
    old: Record<string, unknown> | undefined,
  ): Promise<{ pipeline: Pipeline; created: boolean }> {
    let entry = old;
    if (attr(entry, 'pipelineId') === undefined) {
      // ReturnValuesOnConditionCheckFailure is not honoured by every DynamoDB implementation.
      entry = (
        await this.#db.send(
          new GetCommand({
            TableName: this.#table,
            Key: { pk: keys.idempotency(key) },
            ConsistentRead: true,
          }),
        )
      ).Item;
    }
    const pipelineId = attr(entry, 'pipelineId');
    if (attr(entry, 'fingerprint') !== fingerprint) throw new IdempotencyKeyReuseError(key, pipelineId);
    const first = pipelineId === undefined ? undefined : await this.get(pipelineId);
    if (!first) throw new Error(`Idempotency-Key '${key}' refers to pipeline '${pipelineId}', which does not exist`);
    return { pipeline: first, created: false };
  }

  async get(id: string): Promise<Pipeline | undefined> {
    const out = await this.#db.send(
      new GetCommand({ TableName: this.#table, Key: { pk: keys.pipeline(id) }, ConsistentRead: true }),
    );
    return out.Item && out.Item.kind === 'pipeline' ? fromItem(out.Item) : undefined;
  }

  async list(): Promise<Pipeline[]> {
    const pipelines: Pipeline[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.#db.send(
        new QueryCommand({
          TableName: this.#table,
          IndexName: PIPELINES_BY_CREATED_AT,
          KeyConditionExpression: 'listPk = :p',
          ExpressionAttributeValues: { ':p': LIST_PK },
          ScanIndexForward: false,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) pipelines.push(fromItem(item));
      start = out.LastEvaluatedKey;
    } while (start);
    return pipelines;
  }

  async transition(id: string, to: PipelineStatus, patch: TransitionPatch = {}): Promise<Pipeline> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(id);
      if (!current) throw new PipelineNotFoundError(id);
      assertTransition(id, current.status, to);
      const items = this.#transitionItems(current, to, patch);
      try {
        await this.#db.send(new TransactWriteCommand({ TransactItems: items }));
        const updated = await this.get(id);
        if (!updated) throw new PipelineNotFoundError(id);
        return updated;
      } catch (err) {
        const reasons = cancellationReasons(err);
        if (!reasons) throw err;
        if (failed(reasons[0])) {
          // The status changed since it was read: report what it is now.
          const now = attr(reasons[0]?.Item, 'status') ?? (await this.get(id))?.status;
          if (now === undefined) throw new PipelineNotFoundError(id);
          throw new IllegalTransitionError(id, now as PipelineStatus, to);
        }
        const foreign = current.appIds.filter((_, i) => failed(reasons[i + 1]));
        if (foreign.length > 0)
          throw new AppIdConflictError(
            foreign,
            attr(reasons[current.appIds.indexOf(foreign[0]!) + 1]?.Item, 'pipelineId'),
          );
        if (conflicted(reasons) && attempt < CONFLICT_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  #transitionItems(current: Pipeline, to: PipelineStatus, patch: TransitionPatch): TransactItem[] {
    const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt' };
    const values: Record<string, unknown> = { ':to': to, ':updatedAt': new Date(this.#now()).toISOString() };
    const set = ['#status = :to', '#updatedAt = :updatedAt'];
    const remove: string[] = [];
    for (const field of PATCH_FIELDS) {
      if (!(field in patch)) continue;
      names[`#${field}`] = field;
      if (patch[field] === undefined) remove.push(`#${field}`);
      else {
        values[`:${field}`] = defined(patch[field]);
        set.push(`#${field} = :${field}`);
      }
    }
    const sources = sourcesOf(to);
    sources.forEach((s, i) => (values[`:from${i}`] = s));
    const update: TransactItem = {
      Update: {
        TableName: this.#table,
        Key: { pk: keys.pipeline(current.id) },
        UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: `attribute_exists(pk) AND #status IN (${sources.map((_, i) => `:from${i}`).join(', ')})`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    };
    const owned = {
      ConditionExpression: 'attribute_not_exists(pk) OR pipelineId = :id',
      ExpressionAttributeValues: { ':id': current.id },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    const effect = routeEffect(to);
    const route = routeFields(current);
    const routes = current.appIds.map((appId): TransactItem =>
      effect === 'release'
        ? { Delete: { TableName: this.#table, Key: { pk: keys.app(appId) }, ...owned } }
        : {
            Put: {
              TableName: this.#table,
              Item: {
                pk: keys.app(appId),
                kind: 'app',
                pipelineId: current.id,
                ...route,
                active: effect === 'activate',
              },
              ...owned,
            },
          },
    );
    const guard: TransactItem[] =
      effect === 'release'
        ? [{ Delete: { TableName: this.#table, Key: { pk: keys.project(current.projectId) }, ...owned } }]
        : [];
    return [update, ...routes, ...guard];
  }

  async recordStep(id: string, step: StepRecord): Promise<void> {
    await this.#update(
      id,
      'SET #steps.#name = :step, #currentStep = :name, #updatedAt = :updatedAt',
      { '#steps': 'steps', '#name': step.name, '#currentStep': 'currentStep' },
      { ':step': defined(step), ':name': step.name },
    );
  }

  async setResources(id: string, resources: Partial<PipelineResources>): Promise<void> {
    const names: Record<string, string> = { '#resources': 'resources' };
    const values: Record<string, unknown> = {};
    const set: string[] = [];
    Object.entries(resources).forEach(([k, v], i) => {
      if (v === undefined) return;
      names[`#r${i}`] = k;
      values[`:r${i}`] = v;
      set.push(`#resources.#r${i} = :r${i}`);
    });
    await this.#update(
      id,
      `SET ${[...set, '#updatedAt = :updatedAt'].join(', ')}`,
      set.length > 0 ? names : {},
      values,
    );
  }

  async setExecutionArn(id: string, executionArn: string): Promise<void> {
    await this.#update(
      id,
      'SET #executionArn = :arn, #updatedAt = :updatedAt',
      { '#executionArn': 'executionArn' },
      { ':arn': executionArn },
    );
  }

  /** An UpdateItem on an existing pipeline that also stamps updatedAt. */
  async #update(
    id: string,
    expression: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<void> {
    try {
      await this.#db.send(
        new UpdateCommand({
          TableName: this.#table,
          Key: { pk: keys.pipeline(id) },
          UpdateExpression: expression,
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { ...names, '#updatedAt': 'updatedAt' },
          ExpressionAttributeValues: { ...values, ':updatedAt': new Date(this.#now()).toISOString() },
        }),
      );
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') throw new PipelineNotFoundError(id);
      throw err;
    }
  }

  async inactiveRoute(appId: string): Promise<{ pipelineId: string; status: PipelineStatus } | undefined> {
    const route = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: keys.app(appId) },
        ProjectionExpression: '#p, #a',
        ExpressionAttributeNames: { '#p': 'pipelineId', '#a': 'active' },
      }),
    );
    const pipelineId = route.Item?.pipelineId;
    if (route.Item?.active === true || typeof pipelineId !== 'string') return undefined;
    const pipeline = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: keys.pipeline(pipelineId) },
        ProjectionExpression: '#s',
        ExpressionAttributeNames: { '#s': 'status' },
      }),
    );
    const status = pipeline.Item?.status as PipelineStatus | undefined;
    return status === undefined || status === 'ACTIVE' ? undefined : { pipelineId, status };
  }

  async activeRoute(appId: string): Promise<ActiveRoute | undefined> {
    const out = await this.#db.send(
      new GetCommand({
        TableName: this.#table,
        Key: { pk: keys.app(appId) },
        ProjectionExpression: '#p, #t, #a, #c, #o',
        ExpressionAttributeNames: {
          '#p': 'pipelineId',
          '#t': 'topic',
          '#a': 'active',
          '#c': 'cluster',
          '#o': 'allowedOrigins',
        },
      }),
    );
    const item = out.Item;
    if (!item || item.active !== true || typeof item.pipelineId !== 'string' || typeof item.topic !== 'string')
      return undefined;
    const cluster = item.cluster as ActiveRoute['cluster'] | undefined;
    const origins = item.allowedOrigins as unknown;
    return {
      pipelineId: item.pipelineId,
      topic: item.topic,
      ...(cluster && typeof cluster === 'object' && Array.isArray(cluster.brokers) ? { cluster } : {}),
      ...(Array.isArray(origins) ? { allowedOrigins: origins.filter((o): o is string => typeof o === 'string') } : {}),
    };
  }
}

/** A DocumentClient with the project's shared SDK configuration (undefined values dropped). */
export function createDocumentClient(options: AwsClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(options)), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
