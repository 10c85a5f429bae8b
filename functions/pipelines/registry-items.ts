/**
 * How the pipelines registry (registry.ts) lays out its DynamoDB table
 * (resources/pipelines-table.yml), and the transactions that keep its invariants.
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
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ActiveRoute, Pipeline, PipelineResources, PipelineStatus, StepRecord } from './model.ts';
import {
  PATCH_FIELDS,
  routeEffect,
  routeFields,
  routeTopic,
  sortSteps,
  sourcesOf,
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

export const LIST_PK = 'PIPELINE';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
export type Item = Record<string, unknown>;

export interface CancellationReason {
  Code?: string;
  Item?: Record<string, unknown>;
}

/** A string attribute of an item that may be plain (DocumentClient) or marshalled ({ S: … }). */
export function attr(item: Record<string, unknown> | undefined, name: string): string | undefined {
  const v = item?.[name];
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && typeof (v as { S?: unknown }).S === 'string') return (v as { S: string }).S;
  return undefined;
}

export function errorName(err: unknown): string | undefined {
  return err instanceof Error ? err.name : undefined;
}

export function cancellationReasons(err: unknown): CancellationReason[] | undefined {
  if (errorName(err) !== 'TransactionCanceledException') return undefined;
  return ((err as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? []).map((r) => r ?? {});
}

export const failed = (r: CancellationReason | undefined) => r?.Code === 'ConditionalCheckFailed';
export const conflicted = (reasons: CancellationReason[]) => reasons.some((r) => r.Code === 'TransactionConflict');

/**
 * A copy without undefined properties (optional fields of the model), so the store works with any
 * DocumentClient, not only one created with `removeUndefinedValues`.
 */
export function defined<T>(value: T): T {
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

export function toItem(pipeline: Pipeline): Item {
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

export function fromItem(item: Item): Pipeline {
  const { pk: _pk, kind: _kind, listPk: _listPk, listSk: _listSk, steps, resources, ...rest } = item;
  return {
    ...(rest as unknown as Pipeline),
    steps: sortSteps(Object.values((steps ?? {}) as Record<string, StepRecord>)),
    resources: (resources ?? {}) as PipelineResources,
  };
}

/** The ingest route an `APP#` item holds, when it is active and well-formed. */
export function activeRouteOf(item: Item | undefined): ActiveRoute | undefined {
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

/** The SET clauses (and their names and values) that merge `resources` into the pipeline's map. */
export function resourcesUpdate(resources: Partial<PipelineResources>): {
  set: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  const names: Record<string, string> = { '#resources': 'resources' };
  const values: Record<string, unknown> = {};
  const set: string[] = [];
  Object.entries(resources).forEach(([k, v], i) => {
    if (v === undefined) return;
    names[`#r${i}`] = k;
    values[`:r${i}`] = v;
    set.push(`#resources.#r${i} = :r${i}`);
  });
  return { set, names: set.length > 0 ? names : {}, values };
}

/** An Idempotency-Key to record with a new pipeline. */
export interface IdempotencyRecord {
  key: string;
  fingerprint: string;
  /** Epoch seconds: the item's TTL. */
  expiresAt: number;
  /** Epoch seconds now: an expired key may be taken again. */
  nowSeconds: number;
}

/**
 * The create transaction: the pipeline, its project guard, its app routes (reserved, inactive)
 * and the idempotency key, each only if absent. The guards' order is what `create` reads the
 * cancellation reasons by: [pipeline, project, ...apps, idempotency].
 */
export function createItems(
  table: string,
  pipeline: Pipeline,
  idempotency: IdempotencyRecord | undefined,
): TransactItem[] {
  const items: TransactItem[] = [
    {
      Put: {
        TableName: table,
        Item: toItem(pipeline),
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        TableName: table,
        Item: { pk: keys.project(pipeline.projectId), kind: 'project', pipelineId: pipeline.id },
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    },
    ...pipeline.appIds.map((appId): TransactItem => ({
      Put: {
        TableName: table,
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
  if (idempotency !== undefined) {
    items.push({
      Put: {
        TableName: table,
        Item: {
          pk: keys.idempotency(idempotency.key),
          kind: 'idempotency',
          pipelineId: pipeline.id,
          fingerprint: idempotency.fingerprint,
          expiresAt: idempotency.expiresAt,
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': idempotency.nowSeconds },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      },
    });
  }
  return items;
}

/**
 * A status change as one transaction: the pipeline update, conditioned on a status that may reach
 * `to`, and the route changes of its apps (and the project guard's release) that `to` implies.
 * Reasons are read in this order: [pipeline, ...apps, project].
 */
export function transitionItems(
  table: string,
  current: Pipeline,
  to: PipelineStatus,
  patch: TransitionPatch,
  nowIso: string,
): TransactItem[] {
  const names: Record<string, string> = { '#status': 'status', '#updatedAt': 'updatedAt' };
  const values: Record<string, unknown> = { ':to': to, ':updatedAt': nowIso };
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
      TableName: table,
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
      ? { Delete: { TableName: table, Key: { pk: keys.app(appId) }, ...owned } }
      : {
          Put: {
            TableName: table,
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
      ? [{ Delete: { TableName: table, Key: { pk: keys.project(current.projectId) }, ...owned } }]
      : [];
  return [update, ...routes, ...guard];
}
