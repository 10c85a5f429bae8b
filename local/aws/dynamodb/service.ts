/**
 * Amazon DynamoDB, JSON 1.0 protocol (`X-Amz-Target: DynamoDB_20120810.<Operation>`), served
 * in-process by dynalite (tables, items, conditions, update expressions, queries, indexes)
 * persisted in LevelDB under `<dataDir>/dynamodb`.
 *
 * dynalite has no transactions; TransactWriteItems and TransactGetItems are implemented here on
 * its store and condition evaluator: every write (single-item, batch or transaction) goes
 * through one queue, so a transaction's condition checks and writes are isolated from other
 * writes; all conditions are checked before anything is written, and a failed check cancels the
 * whole transaction with `TransactionCanceledException` and one `CancellationReasons` entry per
 * item, as DynamoDB does. Not crash-atomic: a process killed between a transaction's item writes
 * can leave part of it applied.
 */
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AwsRequest, AwsResponse, ServiceModule } from '../server.ts';
import {
  checkConditional,
  closeStore,
  createKey,
  createStore,
  DYNALITE_OPERATIONS,
  getItem,
  getTable,
  run,
  validate,
  validateItem,
  validateKey,
  type Data,
  type DynaliteError,
  type Item,
  type Store,
} from './dynalite.ts';

export interface DynamoDbOptions {
  dataDir: string;
  /** Keep tables in memory only (nothing under dataDir). */
  inMemory?: boolean;
  /** How long a new table stays CREATING (default 0: ACTIVE at once). */
  createTableMs?: number;
}

const TARGET_PREFIX = 'DynamoDB_20120810.';
const SERVICE = 'com.amazonaws.dynamodb.v20120810#';
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const TOKEN_TTL_MS = 10 * 60 * 1000;
const MAX_TRANSACT_ITEMS = 100;

/** A DynamoDB error answer (dynalite's bodies have the same shape). */
class DynamoError extends Error {
  readonly status: number;
  readonly body: Record<string, unknown>;
  constructor(status: number, type: string, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.body = { __type: type.includes('#') ? type : `${SERVICE}${type}`, message, ...extra };
  }
}

const validation = (message: string): DynamoError =>
  new DynamoError(400, 'com.amazon.coral.validate#ValidationException', message);

function respond(status: number, body: unknown): AwsResponse {
  const text = JSON.stringify(body);
  return {
    status,
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-crc32': String(crc32(Buffer.from(text))),
    },
    body: text,
  };
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 of the body, sent as `x-amz-crc32` like DynamoDB (the SDK may check it). */
function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (CRC_TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const isObject = (value: unknown): value is Data =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

interface PlannedWrite {
  kind: 'ConditionCheck' | 'Put' | 'Delete' | 'Update';
  tableName: string;
  /** The validated single-item request (PutItem/UpdateItem/DeleteItem shape). */
  data: Data;
  key: string;
  returnOldOnFailure: boolean;
}

export class DynamoDbService implements ServiceModule {
  readonly service = 'dynamodb';
  readonly protocol = 'json' as const;
  private readonly store: Store;
  /** Every write runs after the previous one (see the file comment). */
  private writeQueue: Promise<unknown> = Promise.resolve();
  private readonly tokens = new Map<string, { hash: string; at: number }>();

  constructor(options: DynamoDbOptions) {
    const createTableMs = options.createTableMs ?? 0;
    let path: string | undefined;
    if (!options.inMemory) {
      path = join(options.dataDir, 'dynamodb');
      mkdirSync(path, { recursive: true });
    }
    this.store = createStore({
      ...(path ? { path } : {}),
      createTableMs,
      deleteTableMs: createTableMs,
      updateTableMs: createTableMs,
    });
  }

  async handle(request: AwsRequest): Promise<AwsResponse> {
    const target = request.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : undefined;
    if (request.method !== 'POST' || operation === undefined) {
      return respond(400, { __type: 'com.amazon.coral.service#UnknownOperationException' });
    }
    this.store.tableDb.awsRegion = request.region;
    this.store.tableDb.awsAccountId = request.accountId;
    let data: Data;
    try {
      const parsed: unknown = JSON.parse(request.body.toString('utf8') || 'null');
      if (!isObject(parsed)) throw new SyntaxError('not an object');
      data = parsed;
    } catch {
      return respond(400, { __type: 'com.amazon.coral.service#SerializationException' });
    }
    try {
      return respond(200, await this.dispatch(operation, data));
    } catch (error) {
      if (error instanceof DynamoError) return respond(error.status, error.body);
      const e = error as DynaliteError;
      if (e.statusCode && e.body) return respond(e.statusCode, e.body);
      throw error;
    }
  }

  private dispatch(operation: string, data: Data): Promise<Data> {
    if (operation === 'TransactWriteItems') return this.serialised(() => this.transactWrite(data));
    if (operation === 'TransactGetItems') return this.transactGet(data);
    if (!(DYNALITE_OPERATIONS as readonly string[]).includes(operation)) {
      return Promise.reject(
        new DynamoError(
          400,
          'com.amazon.coral.service#UnknownOperationException',
          `The local DynamoDB does not provide ${operation}`,
        ),
      );
    }
    const validated = validate(this.store, operation, data);
    if (WRITES.has(operation)) return this.serialised(() => run(this.store, operation, validated));
    return run(this.store, operation, validated);
  }

  private serialised<T>(work: () => Promise<T>): Promise<T> {
    const next = this.writeQueue.then(work, work);
    this.writeQueue = next.catch(() => undefined);
    return next;
  }

  private checkToken(data: Data): boolean {
    const token = data.ClientRequestToken;
    if (token === undefined) return false;
    if (typeof token !== 'string' || token.length < 1 || token.length > 36) {
      throw validation(
        `1 validation error detected: Value '${String(token)}' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36`,
      );
    }
    const now = Date.now();
    for (const [t, entry] of this.tokens) if (now - entry.at > TOKEN_TTL_MS) this.tokens.delete(t);
    const { ClientRequestToken: _token, ReturnConsumedCapacity: _c, ReturnItemCollectionMetrics: _m, ...rest } = data;
    const hash = createHash('sha256').update(JSON.stringify(rest)).digest('hex');
    const seen = this.tokens.get(token);
    if (seen) {
      if (seen.hash !== hash) {
        throw new DynamoError(
          400,
          'IdempotentParameterMismatchException',
          'Request with the same client request token but different parameters was received',
        );
      }
      return true;
    }
    this.tokens.set(token, { hash, at: now });
    return false;
  }

  private async plan(data: Data): Promise<PlannedWrite[]> {
    const items = data.TransactItems;
    if (!Array.isArray(items) || items.length < 1 || items.length > MAX_TRANSACT_ITEMS) {
      const rule =
        Array.isArray(items) && items.length > MAX_TRANSACT_ITEMS
          ? `Member must have length less than or equal to ${MAX_TRANSACT_ITEMS}`
          : 'Member must have length greater than or equal to 1';
      throw validation(
        `1 validation error detected: Value '${JSON.stringify(items ?? null)}' at 'transactItems' failed to satisfy constraint: ${rule}`,
      );
    }
    const planned: PlannedWrite[] = [];
    const seen = new Set<string>();
    for (const entry of items) {
      const kinds = isObject(entry)
        ? (['ConditionCheck', 'Put', 'Delete', 'Update'] as const).filter((k) => entry[k] !== undefined)
        : [];
      const kind = kinds[0];
      if (kinds.length !== 1 || kind === undefined || !isObject(entry) || !isObject(entry[kind])) {
        throw validation('TransactItems can only contain one of Check, Put, Update or Delete');
      }
      const request = { ...(entry[kind] as Data) };
      const returnOldOnFailure = request.ReturnValuesOnConditionCheckFailure === 'ALL_OLD';
      delete request.ReturnValuesOnConditionCheckFailure;
      if (kind === 'ConditionCheck' && typeof request.ConditionExpression !== 'string') {
        throw validation(
          "1 validation error detected: Value null at 'transactItems.1.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null",
        );
      }
      const operation = kind === 'Put' ? 'PutItem' : kind === 'Update' ? 'UpdateItem' : 'DeleteItem';
      const validated = validate(this.store, operation, request);
      const tableName = String(validated.TableName);
      const table = await getTable(this.store, tableName);
      const invalid = kind === 'Put' ? validateItem(validated.Item, table) : validateKey(validated.Key, table);
      if (invalid) throw invalid;
      const key = createKey(kind === 'Put' ? validated.Item : validated.Key, table);
      const identity = `${tableName}\u0000${key}`;
      if (seen.has(identity)) throw validation('Transaction request cannot include multiple operations on one item');
      seen.add(identity);
      planned.push({ kind, tableName, data: validated, key, returnOldOnFailure });
    }
    return planned;
  }

  private async transactWrite(data: Data): Promise<Data> {
    const planned = await this.plan(data);
    if (this.checkToken(data)) return {};
    const reasons: Array<Record<string, unknown>> = [];
    let cancelled = false;
    for (const write of planned) {
      const existing: Item | undefined = await getItem(this.store, write.tableName, write.key);
      if (checkConditional(write.data, existing)) {
        cancelled = true;
        reasons.push({
          Code: 'ConditionalCheckFailed',
          Message: 'The conditional request failed',
          ...(write.returnOldOnFailure && existing ? { Item: existing } : {}),
        });
      } else {
        reasons.push({ Code: 'None' });
      }
    }
    if (cancelled) {
      if (typeof data.ClientRequestToken === 'string') this.tokens.delete(data.ClientRequestToken);
      const codes = reasons.map((r) => String(r.Code)).join(', ');
      throw new DynamoError(
        400,
        'TransactionCanceledException',
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes}]`,
        { CancellationReasons: reasons },
      );
    }
    for (const write of planned) {
      if (write.kind === 'ConditionCheck') continue;
      const unconditional: Data = { ...write.data };
      for (const field of ['_condition', 'ConditionExpression', 'Expected', 'ConditionalOperator'])
        delete unconditional[field];
      unconditional.ReturnValues = 'NONE';
      await run(
        this.store,
        write.kind === 'Put' ? 'PutItem' : write.kind === 'Update' ? 'UpdateItem' : 'DeleteItem',
        unconditional,
      );
    }
    return {};
  }

  private async transactGet(data: Data): Promise<Data> {
    const items = data.TransactItems;
    if (!Array.isArray(items) || items.length < 1 || items.length > MAX_TRANSACT_ITEMS) {
      throw validation(
        `1 validation error detected: Value '${JSON.stringify(items ?? null)}' at 'transactItems' failed to satisfy constraint: Member must have length between 1 and ${MAX_TRANSACT_ITEMS}`,
      );
    }
    const requests = items.map((entry) => {
      if (!isObject(entry) || !isObject(entry.Get)) throw validation('TransactItems can only contain Get');
      return validate(this.store, 'GetItem', { ...(entry.Get as Data), ConsistentRead: true });
    });
    const responses: Data[] = [];
    for (const request of requests) {
      const result = await run(this.store, 'GetItem', request);
      responses.push(result.Item ? { Item: result.Item } : {});
    }
    return { Responses: responses };
  }

  /** Waits for queued writes and closes the LevelDB store. */
  async close(): Promise<void> {
    await this.writeQueue;
    await closeStore(this.store);
  }
}
