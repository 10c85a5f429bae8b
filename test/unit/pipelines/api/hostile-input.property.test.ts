/**
 * The admin API under generated hostile input (fast-check), through its HTTP shape
 * (createPipelinesApp) with real-shaped API Gateway events (test/fixtures/apigw/pipelines-*.json)
 * and the registry on DynamoDB semantics (DynamoPipelineStore over the local DynamoDB, dynalite):
 * every answer is a 2xx or a 4xx whose message (and, for a 400, each violation's JSON path) names
 * the problem — never a 5xx, never a polluted prototype, never a value echoed back unbounded.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as fc from 'fast-check';
import { createPipelinesApp, MAX_BODY_BYTES, type PipelinesAppDeps } from '../../../../functions/pipelines/api/app.ts';
import { DynamoPipelineStore } from '../../../../functions/pipelines/registry.ts';
import { validatePipelineRequest } from '../../../../functions/pipelines/schema.ts';
import { fixture } from '../../../helpers/fixtures.ts';
import {
  hasLineBreak,
  hostileString,
  invalidUtf8,
  objectJson,
  PROTO_KEYS,
  prototypeKeys,
  runs,
  spliceBytes,
  wrongJson,
} from '../../../helpers/hostile.ts';
import { CLUSTER_ARN, PLUGIN_ARN, SCRAM_SECRET_ARN, SELF_HOSTED_KAFKA } from '../../../helpers/pipelines.ts';
import { MemoryLog } from '../../../helpers/silent-log.ts';
import { startLocalPipelinesTable, type LocalPipelinesTable } from '../../../helpers/local-pipelines-table.ts';

const TABLE = 'pipelines-hostile';
const MAX_MESSAGE_CHARS = 1000;
/** What any answer but a 400's violation list may weigh: no value a client sent comes back whole. */
const MAX_ANSWER_BYTES = 4096;

let table: LocalPipelinesTable;
let app: ReturnType<typeof createPipelinesApp>;
let log: MemoryLog;
let ids = 0;

beforeAll(async () => {
  table = await startLocalPipelinesTable(TABLE);
  log = new MemoryLog();
  const deps: PipelinesAppDeps = {
    store: new DynamoPipelineStore({ client: DynamoDBDocumentClient.from(table.client), tableName: TABLE }),
    // The workflow port: not under test here (its failures have their own tests in app.test.ts).
    workflows: {
      start: async (kind, id) => ({
        executionArn: `arn:aws:states:us-east-1:123456789012:execution:${kind}:${id}`,
      }),
    },
    newId: () => `pl-${++ids}`,
    now: Date.now,
    log,
    retryAfterSeconds: 30,
  };
  app = createPipelinesApp(() => deps, log);
}, 60_000);

afterAll(async () => {
  await table?.close();
});

interface Answer {
  status: number;
  body: { message?: unknown; errors?: { path: string; message: string }[] };
  raw: string;
}

/** Sends one request and checks what holds for every answer. */
async function send(event: APIGatewayProxyEventV2): Promise<Answer> {
  const before = prototypeKeys();
  const errorsBefore = log.entries.filter((e) => e.level === 'error').length;
  const res = await app(event);
  expect(prototypeKeys()).toBe(before);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(res.statusCode).toBeLessThan(500);
  expect(res.statusCode).toBeGreaterThanOrEqual(200);
  expect(log.entries.filter((e) => e.level === 'error').length).toBe(errorsBefore);
  expect(hasLineBreak(res.headers)).toBe(false);
  const raw = res.body ?? '';
  const body = JSON.parse(raw) as Answer['body'];
  if (res.statusCode >= 400) {
    expect(typeof body.message).toBe('string');
    expect((body.message as string).length).toBeGreaterThan(0);
    expect((body.message as string).length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    if (body.errors === undefined) expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(MAX_ANSWER_BYTES);
    for (const e of body.errors ?? []) {
      expect(e.path).toMatch(/^\$/);
      expect(e.message.length).toBeGreaterThan(0);
      expect(e.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    }
  }
  return { status: res.statusCode, body, raw };
}

const createEvent = fixture<APIGatewayProxyEventV2>('apigw/pipelines-create.json');

function post(
  body: string | undefined,
  over: { isBase64Encoded?: boolean; key?: string } = {},
): APIGatewayProxyEventV2 {
  const headers = { ...createEvent.headers };
  delete headers['idempotency-key'];
  if (over.key !== undefined) headers['idempotency-key'] = over.key;
  return { ...createEvent, headers, body: body as string, isBase64Encoded: over.isBase64Encoded ?? false };
}

/** A request body as a tree whose leaves may be raw JSON text (deep values, `__proto__` keys). */
type Tree = { raw: string } | { obj: [string, Tree][] } | { arr: Tree[] };

function toTree(value: unknown): Tree {
  if (Array.isArray(value)) return { arr: value.map(toTree) };
  if (value !== null && typeof value === 'object')
    return { obj: Object.entries(value).map(([k, v]) => [k, toTree(v)]) };
  return { raw: JSON.stringify(value) };
}

function toJson(tree: Tree): string {
  if ('raw' in tree) return tree.raw;
  if ('arr' in tree) return `[${tree.arr.map(toJson).join(',')}]`;
  return objectJson(tree.obj.map(([k, v]) => [k, toJson(v)] as const));
}

/** Every path to a node of the tree (the places a mutation can hit). */
function paths(tree: Tree, at: (string | number)[] = []): (string | number)[][] {
  const here = [at];
  if ('obj' in tree) return [...here, ...tree.obj.flatMap(([k, v]) => paths(v, [...at, k]))];
  if ('arr' in tree) return [...here, ...tree.arr.flatMap((v, i) => paths(v, [...at, i]))];
  return here;
}

type Mutation = { op: 'set'; value: string } | { op: 'delete' } | { op: 'add'; key: string; value: string };

/** Applies a mutation at `path`; returns the path the answer must name. */
function mutate(tree: Tree, path: (string | number)[], m: Mutation): (string | number)[] {
  if (path.length === 0) {
    if (m.op === 'add' && 'obj' in tree) {
      tree.obj.push([m.key, { raw: m.value }]);
      return [m.key];
    }
    return [];
  }
  const [head, ...rest] = path;
  let child: Tree | undefined;
  if ('obj' in tree) child = tree.obj.find(([k]) => k === head)?.[1];
  if ('arr' in tree) child = tree.arr[head as number];
  if (!child) return [];
  if (rest.length === 0 && m.op !== 'add') {
    if (m.op === 'delete') {
      if ('obj' in tree) tree.obj = tree.obj.filter(([k]) => k !== head);
      else if ('arr' in tree) tree.arr.splice(head as number, 1);
    } else if ('obj' in tree) {
      tree.obj = tree.obj.map(([k, v]) => [k, k === head ? { raw: m.value } : v]);
    } else if ('arr' in tree) {
      tree.arr[head as number] = { raw: m.value };
    }
    return path;
  }
  return [head!, ...mutate(child, rest, m)];
}

/** `$.kafka.clusterArn`, `$.appIds[2]`, `$["odd key"]` (written here, not imported: the test's own idea of a path). */
function pathText(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (out, key) =>
      typeof key === 'number'
        ? `${out}[${key}]`
        : /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)
          ? `${out}.${key}`
          : `${out}[${JSON.stringify(key)}]`,
    '$',
  );
}

/** Whether a reported violation is about the mutated place: it, inside it, around it, or next to it. */
function related(reported: string, mutated: string): boolean {
  if (reported === mutated || reported.startsWith(`${mutated}.`) || reported.startsWith(`${mutated}[`)) return true;
  if (reported !== '$' && (mutated.startsWith(`${reported}.`) || mutated.startsWith(`${reported}[`))) return true;
  const parent = mutated.replace(/(\.[A-Za-z_$][A-Za-z0-9_$]*|\[[^\]]*\])$/, '');
  // A changed field can break a rule between fields (auth vs secret, mode vs connector): a sibling, or the other section.
  return parent !== '$' ? reported.startsWith(parent) : false;
}

const BASES: Record<string, unknown>[] = [
  JSON.parse(createEvent.body!) as Record<string, unknown>,
  {
    projectId: 'news',
    appIds: ['news-web', 'news-ios'],
    kafka: { ...SELF_HOSTED_KAFKA, auth: 'none' },
    sink: {
      mode: 'connector',
      bucket: 'news-bucket',
      prefix: 'events/',
      maxIntervalSeconds: 60,
      batchSize: 1000,
      connector: { pluginArn: PLUGIN_ARN, mcuCount: 2, minWorkers: 1, maxWorkers: 2 },
    },
  },
  {
    projectId: 'ads',
    appIds: ['ads-web'],
    kafka: { type: 'msk', clusterArn: CLUSTER_ARN, auth: 'scram', scramSecretArn: SCRAM_SECRET_ARN },
    sink: { mode: 'lambda', maxIntervalSeconds: 30, batchSize: 500 },
  },
];

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 6, arbitrary: wrongJson.map((value) => ({ op: 'set' as const, value })) },
  { weight: 2, arbitrary: fc.constant({ op: 'delete' as const }) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(fc.constantFrom(...PROTO_KEYS), hostileString), wrongJson)
      .map(([key, value]) => ({ op: 'add' as const, key, value })),
  },
);

/** A valid body with one place broken: the broken path, the body text. */
const mutatedBody = fc
  .tuple(fc.nat(BASES.length - 1), fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 3 }))
  .map(([b, at, ms]) => {
    const tree = toTree(BASES[b]);
    const broken: string[] = [];
    for (const m of ms) {
      const all = paths(tree).filter((p) => (m.op === 'add' ? true : p.length > 0));
      broken.push(pathText(mutate(tree, all[at % all.length]!, m)));
    }
    return { broken, text: toJson(tree) };
  });

describe('pipelines admin API under generated hostile input', () => {
  it('POST /pipelines with a valid body broken in 1-3 places: 202, 409, or a 400 naming a broken place', async () => {
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(mutatedBody, async ({ broken, text }) => {
        const answer = await send(post(text));
        seen.add(answer.status);
        expect([202, 400, 409, 413]).toContain(answer.status);
        if (answer.status === 400) {
          expect(answer.body.errors!.length).toBeGreaterThan(0);
          const reported = answer.body.errors!.map((e) => e.path);
          expect(reported.some((r) => broken.some((b) => related(r, b)))).toBe(true);
        }
      }),
      {
        ...runs(600),
        // Found with seed 1: a 20,000-character broker list was quoted whole in its violation.
        examples: [
          [
            {
              broken: ['$.kafka.brokers'],
              text: JSON.stringify({
                ...BASES[1],
                kafka: { ...(BASES[1]!.kafka as object), brokers: 'x'.repeat(20_000) },
              }),
            },
          ],
        ],
      },
    );
    // The generator reaches both sides: bodies still valid (a mutation that keeps the rules) and broken ones.
    expect([...seen].sort()).toEqual(expect.arrayContaining([202, 400]));
  }, 120_000);

  it('POST /pipelines with any body, text or bytes: a 4xx naming the body, the field, JSON or UTF-8', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            kind: fc.constant('text' as const),
            text: fc.oneof(
              wrongJson,
              fc.string({ maxLength: 300 }),
              fc.constantFrom('', ' ', '{', '{"projectId":', '\ufeff{}', '{}{}', 'null'),
            ),
          }),
          fc.record({ kind: fc.constant('bytes' as const), bytes: fc.uint8Array({ maxLength: 300 }) }),
          fc.record({
            kind: fc.constant('utf8' as const),
            bad: invalidUtf8,
            at: fc.double({ min: 0, max: 1, noNaN: true }),
          }),
          fc.record({
            kind: fc.constant('huge' as const),
            n: fc.integer({ min: MAX_BODY_BYTES + 1, max: 3 * MAX_BODY_BYTES }),
          }),
        ),
        async (c) => {
          let event: APIGatewayProxyEventV2;
          if (c.kind === 'text') event = post(c.text);
          else if (c.kind === 'bytes') event = post(Buffer.from(c.bytes).toString('base64'), { isBase64Encoded: true });
          else if (c.kind === 'utf8')
            event = post(spliceBytes(createEvent.body!, c.bad, c.at).toString('base64'), {
              isBase64Encoded: true,
            });
          else event = post(`{"projectId":"${'x'.repeat(c.n)}"}`);
          const answer = await send(event);
          expect(answer.status).toBeGreaterThanOrEqual(400);
          if (c.kind === 'utf8') {
            expect(answer.status).toBe(400);
            expect(JSON.stringify(answer.body.errors)).toMatch(/UTF-8/);
          }
          if (c.kind === 'huge') expect(answer.status).toBe(413);
          if (answer.status === 400) expect(answer.body.errors!.length).toBeGreaterThan(0);
        },
      ),
      runs(800),
    );
  }, 120_000);

  it('POST /pipelines with a hostile Idempotency-Key: a 400 naming the header, or the key works', async () => {
    await fc.assert(
      fc.asyncProperty(hostileString, async (key) => {
        const answer = await send(
          post(JSON.stringify({ ...BASES[0], projectId: 'idem', appIds: ['idem-app'] }), { key }),
        );
        if (/^[\x21-\x7e]{1,255}$/.test(key)) expect([202, 409, 422]).toContain(answer.status);
        else {
          expect(answer.status).toBe(400);
          expect(answer.body.message).toMatch(/Idempotency-Key/);
        }
      }),
      runs(300),
    );
  }, 60_000);

  it('GET and DELETE /pipelines/{id} with any id, escaped or not, routed by API Gateway or by path: 2xx/404/400/409, never a 5xx', async () => {
    const created = await send(post(JSON.stringify({ ...BASES[0], projectId: 'target', appIds: ['target-app'] })));
    const existing = (JSON.parse(created.raw) as { id: string }).id;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          { weight: 4, arbitrary: hostileString },
          {
            weight: 1,
            arbitrary: fc.constantFrom(
              existing,
              `${existing}%`,
              '%',
              '%%',
              '%zz',
              '%E0%A4%A',
              '%C0%AF',
              '%00',
              '..',
              '.',
              'pl-1%2F..',
              'a'.repeat(8000),
            ),
          },
        ),
        fc.constantFrom('GET', 'DELETE', 'PUT', 'PATCH', 'POST', 'HEAD', 'OPTIONS'),
        fc.boolean(),
        async (id, method, viaGateway) => {
          const name = method === 'DELETE' ? 'delete' : 'get';
          const base = fixture<APIGatewayProxyEventV2>(`apigw/pipelines-${name}.json`);
          // API Gateway passes the decoded path parameter; the local gateway only the raw path.
          const rawPath = `/pipelines/${id}`;
          const event: APIGatewayProxyEventV2 = {
            ...base,
            rawPath,
            ...(viaGateway ? { pathParameters: { id } } : { pathParameters: undefined, routeKey: '$default' }),
            requestContext: {
              ...base.requestContext,
              http: { ...base.requestContext.http, method, path: rawPath },
            },
          };
          const answer = await send(event);
          if (answer.status >= 400) expect(answer.body.message).toMatch(/pipeline|path|method|%-escape|not allowed/);
        },
      ),
      runs(600),
    );
  }, 120_000);

  it('the schema alone, on any JSON in the request shape: a spec, or violations each with a path and a message, never a throw', () => {
    const field = (names: string[]) =>
      fc.dictionary(fc.constantFrom(...names, ...PROTO_KEYS), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 });
    const KAFKA = [
      'type',
      'clusterArn',
      'brokers',
      'securityGroupId',
      'topic',
      'partitions',
      'replicationFactor',
      'auth',
      'caPem',
      'scramSecretArn',
    ];
    const SINK = ['mode', 'bucket', 'prefix', 'maxIntervalSeconds', 'batchSize', 'connector'];
    fc.assert(
      fc.property(
        fc.record(
          {
            projectId: fc.oneof(fc.constant('shop'), hostileString, fc.jsonValue()),
            appIds: fc.oneof(
              fc.array(fc.oneof(fc.constant('shop-web'), hostileString), { maxLength: 60 }),
              fc.jsonValue(),
            ),
            kafka: fc.oneof(field(KAFKA), fc.jsonValue()),
            sink: fc.oneof(
              field(SINK).map((sink) =>
                typeof sink.connector === 'object'
                  ? sink
                  : { ...sink, connector: { pluginArn: PLUGIN_ARN, minWorkers: 3, maxWorkers: 1 } },
              ),
              fc.jsonValue(),
            ),
          },
          { requiredKeys: [] },
        ),
        (input) => {
          const before = prototypeKeys();
          const result = validatePipelineRequest(JSON.parse(JSON.stringify(input)) as unknown);
          expect(prototypeKeys()).toBe(before);
          if (result.ok) return;
          expect(result.errors.length).toBeGreaterThan(0);
          for (const e of result.errors) {
            expect(e.path).toMatch(/^\$/);
            expect(e.message.length).toBeGreaterThan(0);
            expect(e.message.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
          }
        },
      ),
      runs(1000),
    );
  });
});
