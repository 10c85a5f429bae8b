/**
 * The parts of dynalite (a DynamoDB implementation on LevelDB) the local DynamoDB calls
 * in-process: its store, its request validations and its actions. dynalite is CommonJS without
 * types; this file is the only one that knows its internals.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export type Data = Record<string, unknown>;
export type Item = Record<string, unknown>;

/** A dynalite error: `statusCode` and the DynamoDB error body (`__type`, `message`). */
export interface DynaliteError extends Error {
  statusCode?: number;
  body?: { __type: string; message?: string; Message?: string };
}

type Callback<T> = (error: DynaliteError | null | undefined, value?: T) => void;

export interface ItemDb {
  get(key: string, cb: Callback<Item>): void;
}

export interface Table {
  TableName: string;
  KeySchema: Array<{ AttributeName: string; KeyType: string }>;
  [field: string]: unknown;
}

export interface Store {
  options: Record<string, unknown>;
  tableDb: { awsAccountId: string; awsRegion: string };
  getItemDb(table: string): ItemDb;
  getTable(name: string, checkStatus: boolean, cb: Callback<Table>): void;
  lifecycleManager: { gracefulClose(cb: (error?: Error | null) => void): void };
}

interface DbModule {
  create(options: Record<string, unknown>): Store;
  validateKey(key: unknown, table: Table): DynaliteError | null | undefined;
  validateItem(item: unknown, table: Table): DynaliteError | null | undefined;
  createKey(item: unknown, table: Table): string;
  checkConditional(data: Data, existing: Item | undefined): DynaliteError | null | undefined;
}

interface ValidationsModule {
  checkTypes(data: Data, types: unknown): Data;
  checkValidations(data: Data, types: unknown, custom: unknown, store: Store): void;
  toLowerFirst(name: string): string;
}

type Action = (store: Store, data: Data, cb: Callback<Data>) => void;

const db = require('dynalite/db') as DbModule;
const validations = require('dynalite/validations') as ValidationsModule;

/** Operations dynalite implements (its own list). */
export const DYNALITE_OPERATIONS = [
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateItem',
  'UpdateTable',
] as const;

const actions = new Map<string, { action: Action; validation: { types: unknown; custom?: unknown } }>();
for (const operation of DYNALITE_OPERATIONS) {
  const name = validations.toLowerFirst(operation);
  actions.set(operation, {
    action: require(`dynalite/actions/${name}`) as Action,
    validation: require(`dynalite/validations/${name}`) as { types: unknown; custom?: unknown },
  });
}

export function createStore(options: {
  path?: string;
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}): Store {
  return db.create({ ...options });
}

/** dynalite's request validation (types, then constraints); throws a DynaliteError. */
export function validate(store: Store, operation: string, data: Data): Data {
  const entry = actions.get(operation);
  if (!entry) throw new Error(`dynalite has no operation ${operation}`);
  const checked = validations.checkTypes(data, entry.validation.types);
  validations.checkValidations(checked, entry.validation.types, entry.validation.custom, store);
  return checked;
}

/** Runs a validated request. */
export function run(store: Store, operation: string, data: Data): Promise<Data> {
  const entry = actions.get(operation);
  if (!entry) throw new Error(`dynalite has no operation ${operation}`);
  return new Promise((resolve, reject) => {
    entry.action(store, data, (error, result) => (error ? reject(error) : resolve(result ?? {})));
  });
}

export function getTable(store: Store, name: string): Promise<Table> {
  return new Promise((resolve, reject) =>
    store.getTable(name, false, (error, table) => (error || !table ? reject(error) : resolve(table))),
  );
}

export function getItem(store: Store, tableName: string, key: string): Promise<Item | undefined> {
  return new Promise((resolve, reject) => {
    store.getItemDb(tableName).get(key, (error, item) => {
      if (error && error.name !== 'NotFoundError') reject(error);
      else resolve(error ? undefined : item);
    });
  });
}

export const validateKey = (key: unknown, table: Table): DynaliteError | null | undefined => db.validateKey(key, table);
export const validateItem = (item: unknown, table: Table): DynaliteError | null | undefined =>
  db.validateItem(item, table);
export const createKey = (item: unknown, table: Table): string => db.createKey(item, table);
export const checkConditional = (data: Data, existing: Item | undefined): DynaliteError | null | undefined =>
  db.checkConditional(data, existing);

export function closeStore(store: Store): Promise<void> {
  return new Promise((resolve, reject) =>
    store.lifecycleManager.gracefulClose((error) => (error ? reject(error) : resolve())),
  );
}
