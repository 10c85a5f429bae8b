/**
 * The pipelines registry: PipelineStore on one DynamoDB table. Its item layout and the
 * transactions that keep every invariant (one conditional write each) are in registry-items.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
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
  attr,
  cancellationReasons,
  conflicted,
  createItems,
  defined,
  errorName,
  failed,
  fromItem,
  keys,
  LIST_PK,
  PIPELINES_BY_CREATED_AT,
  resourcesUpdate,
  activeRouteOf,
  transitionItems,
} from './registry-items.ts';
import {
  assertTransition,
  IDEMPOTENCY_TTL_SECONDS,
  sortSteps,
  specFingerprint,
  type TransitionPatch,
} from './store-rules.ts';

/** Attempts of a transaction that DynamoDB cancelled for a concurrent one on the same items. */
const CONFLICT_ATTEMPTS = 3;

export interface DynamoPipelineStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** Clock for updatedAt and idempotency expiry (ms epoch). Default Date.now. */
  now?: () => number;
  idempotencyTtlSeconds?: number;
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
    const items = createItems(
      this.#table,
      pipeline,
      idempotencyKey === undefined
        ? undefined
        : { key: idempotencyKey, fingerprint, expiresAt: nowSeconds + this.#ttlSeconds, nowSeconds },
    );

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
      const items = transitionItems(this.#table, current, to, patch, new Date(this.#now()).toISOString());
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

  async recordStep(id: string, step: StepRecord): Promise<void> {
    await this.#update(
      id,
      'SET #steps.#name = :step, #currentStep = :name, #updatedAt = :updatedAt',
      { '#steps': 'steps', '#name': step.name, '#currentStep': 'currentStep' },
      { ':step': defined(step), ':name': step.name },
    );
  }

  async setResources(id: string, resources: Partial<PipelineResources>): Promise<void> {
    const { set, names, values } = resourcesUpdate(resources);
    await this.#update(id, `SET ${[...set, '#updatedAt = :updatedAt'].join(', ')}`, names, values);
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
    return activeRouteOf(out.Item);
  }
}

/** A DocumentClient with the project's shared SDK configuration (undefined values dropped). */
export function createDocumentClient(options: AwsClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(awsClientConfig(options)), {
    marshallOptions: { removeUndefinedValues: true },
  });
}
