/**
 * POST /collect under generated hostile input (fast-check), through the HTTP shape of the ingest
 * (createIngestApp) with real-shaped API Gateway events (test/fixtures/apigw/collect-post.json):
 * whatever the query, headers and body, the answer is a 200 (with per-event rejections) or a 4xx
 * whose message names the problem — never a 5xx, never a crash, never a polluted prototype, never
 * a header a client could split, never an answer too large for Lambda to return.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { gzipSync } from 'node:zlib';
import * as fc from 'fast-check';
import { createIngestApp } from '../../../functions/ingest/app.ts';
import type { CollectDeps } from '../../../functions/ingest/collect.ts';
import { limits } from '../../../functions/ingest/limits.ts';
import { enrichmentFields, identityFields } from '../../../functions/ingest/validate-event.ts';
import { RecordingProducer } from '../../helpers/fake-producer.ts';
import { fixture } from '../../helpers/fixtures.ts';
import {
  deepJson,
  hasLineBreak,
  hostileString,
  invalidUtf8,
  nestedJson,
  objectJson,
  PROTO_KEYS,
  protoJson,
  prototypeKeys,
  runs,
  spliceBytes,
  wrongJson,
} from '../../helpers/hostile.ts';
import { MemoryLog } from '../../helpers/silent-log.ts';

const APP = 'demo-app';
/** Lambda returns at most 6 MB (the body is escaped once more inside its response payload). */
const MAX_RESPONSE_BYTES = 3 * 1024 * 1024;
const MAX_MESSAGE_CHARS = 1000;
/** Words a message uses to say what is wrong (each refusal names the part of the request at fault). */
const NAMES_A_PROBLEM =
  /appId|upload_timestamp|compression|Content-Encoding|request body|JSON|base64|gzip|UTF-8|events?|bytes|batch|limit|not registered/;
const FIELDS = ['event_id', 'event_type', 'timestamp', 'app_id'] as const;

const base = fixture<APIGatewayProxyEventV2>('apigw/collect-post.json');

function setup() {
  const producer = new RecordingProducer();
  const log = new MemoryLog();
  const deps: CollectDeps = {
    producer,
    routeFor: async (appId) => (appId === APP ? { topic: 'demo' } : undefined),
    isUnavailable: (err) => err instanceof Error && err.name === 'KafkaUnavailableError',
    ackTimeoutMs: 5000,
    retryAfterSeconds: 5,
    now: () => 1_700_000_000_900,
  };
  return { producer, log, app: createIngestApp(() => deps, log) };
}

interface Request {
  query: Record<string, string>;
  headers: Record<string, string>;
  body: string | undefined;
  isBase64Encoded: boolean;
}

function eventOf(req: Request): APIGatewayProxyEventV2 {
  const rawQueryString = Object.entries(req.query)
    .map(([k, v]) => `${encodeURIComponent(k.toWellFormed())}=${encodeURIComponent(v.toWellFormed())}`)
    .join('&');
  return {
    ...base,
    rawQueryString,
    queryStringParameters: req.query,
    headers: { ...base.headers, ...req.headers },
    body: req.body as string,
    isBase64Encoded: req.isBase64Encoded,
  };
}

interface Answer {
  status: number;
  body: {
    message?: unknown;
    accepted?: unknown;
    rejected?: { index: number; event_id?: string; reason: string }[];
  };
  raw: string;
  headers: Record<string, string>;
}

/** Sends one request and checks what holds for every answer; returns it for the specific checks. */
async function send(app: ReturnType<typeof setup>['app'], req: Request): Promise<Answer> {
  const before = prototypeKeys();
  const res = await app(eventOf(req));
  expect(prototypeKeys()).toBe(before);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  const raw = res.body ?? '';
  expect(res.statusCode === 200 || (res.statusCode >= 400 && res.statusCode < 500)).toBe(true);
  expect(hasLineBreak(res.headers)).toBe(false);
  expect(Buffer.byteLength(raw)).toBeLessThanOrEqual(MAX_RESPONSE_BYTES);
  const body = JSON.parse(raw) as Answer['body'];
  if (res.statusCode !== 200) {
    expect(typeof body.message).toBe('string');
    expect((body.message as string).length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(body.message).toMatch(NAMES_A_PROBLEM);
  }
  for (const r of body.rejected ?? []) {
    expect(Number.isInteger(r.index)).toBe(true);
    expect(r.reason).toMatch(
      /^(event_id|event_type|timestamp|app_id|user_id|user_pseudo_id|unique_id|device_id|session_id|ingest_time|client_ip|user_agent|request_id|request_platform|timestamp_corrected): |^event /,
    );
    expect(r.reason.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
  }
  return { status: res.statusCode, body, raw, headers: res.headers };
}

const okEvent = (i: number) => ({
  event_id: `e-${i}`,
  event_type: 'click',
  timestamp: 1_700_000_000_000 + i,
  app_id: APP,
});
const okEntries = (i: number): [string, string][] => Object.entries(okEvent(i)).map(([k, v]) => [k, JSON.stringify(v)]);

/** One event as JSON text: a valid one with some fields replaced, dropped, or hostile keys added. */
const eventJson: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.nat(1000),
        fc.array(
          fc.tuple(
            fc.oneof(fc.constantFrom(...FIELDS, ...PROTO_KEYS, 'attributes', 'user_id'), hostileString),
            wrongJson,
          ),
          { maxLength: 3 },
        ),
        fc.subarray([...FIELDS]),
      )
      .map(([i, extra, dropped]) =>
        objectJson([...okEntries(i).filter(([k]) => !dropped.includes(k as (typeof FIELDS)[number])), ...extra]),
      ),
  },
  { weight: 1, arbitrary: wrongJson },
);

const batchJson: fc.Arbitrary<string> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.array(eventJson, { minLength: 1, maxLength: 8 }).map((events) => `[${events.join(',')}]`),
  },
  { weight: 1, arbitrary: eventJson },
  { weight: 1, arbitrary: wrongJson },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', ' ', '[]', '{}', '[', 'null', '"x"', '[[]]', '\ufeff[]', '[1,]', '{"a":1}{"b":2}'),
  },
);

/** A body through the transport layers a client may use, each possibly broken. */
const transported = fc
  .record({
    json: batchJson,
    utf8: fc.option(fc.tuple(invalidUtf8, fc.double({ min: 0, max: 1, noNaN: true })), { freq: 5 }),
    contentGzip: fc.boolean(),
    sdkGzip: fc.boolean(),
    corrupt: fc.option(fc.constantFrom('truncate' as const, 'flip' as const, 'prefix' as const), { freq: 4 }),
    base64: fc.boolean(),
    badBase64: fc.option(fc.constantFrom('!!!', '====', 'a', 'ab=c', '\u00e9', ' ', '%%%%'), { freq: 8 }),
  })
  .map((t) => {
    let data = t.utf8 ? spliceBytes(t.json, t.utf8[0], t.utf8[1]) : Buffer.from(t.json, 'utf8');
    if (t.sdkGzip) data = Buffer.from(gzipSync(data).toString('base64'));
    if (t.contentGzip) data = gzipSync(data);
    if (t.corrupt === 'truncate') data = data.subarray(0, Math.max(1, data.length >> 1));
    if (t.corrupt === 'flip' && data.length > 12)
      data = Buffer.concat([data.subarray(0, 10), Buffer.from([data[10]! ^ 0xff]), data.subarray(11)]);
    if (t.corrupt === 'prefix') data = Buffer.concat([Buffer.from([0x1f, 0x8b, 0x08]), data]);
    const body = t.base64 ? data.toString('base64') + (t.badBase64 ?? '') : data.toString('utf8');
    return { t, body, isBase64Encoded: t.base64 };
  });

const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { freq: 3, nil: undefined });

describe('POST /collect under generated hostile input', () => {
  it('answers 200 or a 4xx naming the problem, whatever the query, headers and body', async () => {
    const { app } = setup();
    await fc.assert(
      fc.asyncProperty(
        transported,
        fc.record({
          appId: fc.oneof({ weight: 6, arbitrary: fc.constant(APP) }, { weight: 1, arbitrary: hostileString }),
          upload_timestamp: maybe(fc.oneof(fc.nat().map(String), hostileString)),
          compression: maybe(fc.oneof(fc.constant('gzip'), hostileString)),
          extra: maybe(hostileString),
        }),
        fc.record({
          contentEncoding: maybe(fc.oneof(fc.constantFrom('gzip', 'identity', ' GZIP '), hostileString)),
          userAgent: maybe(hostileString),
        }),
        async (body, q, h) => {
          const query: Record<string, string> = { appId: q.appId };
          if (q.upload_timestamp !== undefined) query.upload_timestamp = q.upload_timestamp;
          if (body.t.sdkGzip) query.compression = 'gzip';
          else if (q.compression !== undefined) query.compression = q.compression;
          if (q.extra !== undefined) query[q.extra] = q.extra;
          const headers: Record<string, string> = {};
          if (body.t.contentGzip) headers['content-encoding'] = 'gzip';
          else if (h.contentEncoding !== undefined) headers['content-encoding'] = h.contentEncoding;
          if (h.userAgent !== undefined) headers['user-agent'] = h.userAgent;
          await send(app, { query, headers, body: body.body, isBase64Encoded: body.isBase64Encoded });
        },
      ),
      runs(500),
    );
  });

  it('refuses an appId that cannot be one with a 400 naming appId', async () => {
    const { app, producer } = setup();
    await fc.assert(
      fc.asyncProperty(
        hostileString.filter((s) => !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(s)),
        async (appId) => {
          const answer = await send(app, {
            query: { appId },
            headers: {},
            body: base.body,
            isBase64Encoded: false,
          });
          expect(answer.status).toBe(400);
          expect(answer.body.message).toMatch(/appId/);
        },
      ),
      runs(300),
    );
    expect(producer.sent).toHaveLength(0);
  });

  it('refuses a body that is not UTF-8 with a 400 naming UTF-8, however it was transported', async () => {
    const { app, producer } = setup();
    await fc.assert(
      fc.asyncProperty(
        invalidUtf8,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom('plain', 'base64', 'gzip', 'sdk-gzip'),
        async (bad, at, how) => {
          const data = spliceBytes(base.body!, bad, at);
          const req: Request = {
            query: { appId: APP },
            headers: {},
            body: data.toString('base64'),
            isBase64Encoded: true,
          };
          if (how === 'plain') req.body = data.toString('latin1');
          if (how === 'plain') req.isBase64Encoded = false;
          if (how === 'gzip')
            Object.assign(req, {
              headers: { 'content-encoding': 'gzip' },
              body: gzipSync(data).toString('base64'),
            });
          if (how === 'sdk-gzip')
            Object.assign(req, {
              query: { appId: APP, compression: 'gzip' },
              body: gzipSync(data).toString('base64'),
              isBase64Encoded: false,
            });
          const answer = await send(app, req);
          if (how === 'plain') {
            // A string body is already text: the bytes arrive as the Latin-1 characters they stand for.
            expect([200, 400]).toContain(answer.status);
            return;
          }
          expect(answer.status).toBe(400);
          expect(answer.body.message).toMatch(/UTF-8/);
        },
      ),
      runs(500),
    );
    expect(producer.records.every((r) => !r.value.includes('\ufffd'))).toBe(true);
  });

  it('refuses bad base64 and bad gzip with a 400 naming which', async () => {
    const { app, producer } = setup();
    const gz = gzipSync(Buffer.from(base.body!));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            how: fc.constant('base64' as const),
            text: fc
              .oneof(
                fc.string({ minLength: 1, maxLength: 60 }),
                fc.constantFrom('!!!!', 'ab=c', '====', '\u00e9\u00e9'),
              )
              .filter((s) => !/^[A-Za-z0-9+/\r\n]*={0,2}\s*$/.test(s.trim()) || s.trim() === ''),
          }),
          fc.record({ how: fc.constant('gzip' as const), cut: fc.integer({ min: 1, max: gz.length - 1 }) }),
          fc.record({
            how: fc.constant('sdk-gzip' as const),
            text: fc.oneof(
              fc.constantFrom('not base64!', '{"json":1}'),
              fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64')),
            ),
          }),
        ),
        async (c) => {
          let req: Request;
          if (c.how === 'base64') req = { query: { appId: APP }, headers: {}, body: c.text, isBase64Encoded: true };
          else if (c.how === 'gzip')
            req = {
              query: { appId: APP },
              headers: { 'content-encoding': 'gzip' },
              body: gz.subarray(0, c.cut).toString('base64'),
              isBase64Encoded: true,
            };
          else
            req = {
              query: { appId: APP, compression: 'gzip' },
              headers: {},
              body: c.text,
              isBase64Encoded: false,
            };
          const answer = await send(app, req);
          expect(answer.status).toBe(400);
          expect(answer.body.message).toMatch(c.how === 'base64' ? /base64|empty/ : /gzip|base64/);
        },
      ),
      runs(500),
    );
    expect(producer.sent).toHaveLength(0);
  });

  it('accepts exactly the valid events of a batch and names the field at fault for each rejected one', async () => {
    const { app, producer } = setup();
    await fc.assert(
      fc.asyncProperty(fc.array(eventJson, { minLength: 1, maxLength: 12 }), async (events) => {
        producer.sent.length = 0;
        const answer = await send(app, {
          query: { appId: APP },
          headers: {},
          body: `[${events.join(',')}]`,
          isBase64Encoded: false,
        });
        const expected = events.map((text) => oracle(JSON.parse(text) as unknown, text));
        const valid = expected.filter((e) => e === undefined).length;
        if (valid === 0) {
          expect(answer.status).toBe(400);
          expect(answer.body.message).toBe(`all ${events.length} events are invalid`);
        } else {
          expect(answer.status).toBe(200);
          expect(answer.body.accepted).toBe(valid);
          expect(producer.records).toHaveLength(valid);
        }
        expect((answer.body.rejected ?? []).map((r) => [r.index, r.reason.split(':')[0]!.split(' ')[0]])).toEqual(
          expected.flatMap((e, index) => (e === undefined ? [] : [[index, e]])),
        );
      }),
      runs(300),
    );
  });

  it('keeps __proto__ and constructor keys as the client sent them and pollutes nothing', async () => {
    const { app, producer } = setup();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...PROTO_KEYS),
        fc.oneof(
          protoJson,
          wrongJson.filter((v) => v.length < 10_000),
        ),
        async (key, value) => {
          producer.sent.length = 0;
          const text = objectJson([...okEntries(1), [key, value], ['attributes', objectJson([[key, value]])]]);
          const answer = await send(app, {
            query: { appId: APP },
            headers: {},
            body: `[${text}]`,
            isBase64Encoded: false,
          });
          if (oracle(JSON.parse(text), text) !== undefined) return;
          expect(answer.status).toBe(200);
          const stored = JSON.parse(producer.records[0]!.value) as Record<string, unknown>;
          expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
          expect(Object.prototype.hasOwnProperty.call(stored, key)).toBe(true);
          expect(JSON.stringify(stored[key])).toBe(JSON.stringify(JSON.parse(value)));
        },
      ),
      runs(300),
    );
  });

  it('rejects an event nested deeper than the limit, naming the nesting, and keeps the others', async () => {
    const { app, producer } = setup();
    await fc.assert(
      fc.asyncProperty(deepJson, fc.constantFrom('attributes', '__proto__', 'event_type'), async (deep, key) => {
        producer.sent.length = 0;
        const text = objectJson([...okEntries(1), [key, deep]]);
        const answer = await send(app, {
          query: { appId: APP },
          headers: {},
          body: `[${text},${JSON.stringify(okEvent(2))}]`,
          isBase64Encoded: false,
        });
        expect(answer.status).toBe(200);
        const why = oracle(JSON.parse(text), text);
        expect(answer.body.accepted).toBe(why === undefined ? 2 : 1);
        if (why === 'event')
          expect(answer.body.rejected).toEqual([
            {
              index: 0,
              reason: expect.stringMatching(
                new RegExp(`^event nests \\d+ levels deep; the limit is ${limits.maxEventDepth} \\(maxEventDepth\\)$`),
              ),
            },
          ]);
      }),
      runs(200),
    );
  });

  it('answers a batch of any size with a bounded answer: over the event limit a 413 naming it', async () => {
    const { app } = setup();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 * limits.maxEventsPerRequest }),
        fc.constantFrom('1', '{}', '{"event_id":"e"}', '"x"', '[]', nestedJson(60, 'array')),
        async (n, item) => {
          const body = `[${Array(n).fill(item).join(',')}]`;
          const answer = await send(app, {
            query: { appId: APP },
            headers: {},
            body,
            isBase64Encoded: false,
          });
          if (Buffer.byteLength(body) > limits.maxBodyBytes) {
            expect(answer.status).toBe(413);
            expect(answer.body.message).toMatch(/bytes|MiB|large/);
          } else if (n > limits.maxEventsPerRequest) {
            expect(answer.status).toBe(413);
            expect(answer.body.message).toContain(String(limits.maxEventsPerRequest));
          } else {
            expect(answer.status).toBe(400);
            expect(answer.body.rejected).toHaveLength(n);
          }
        },
      ),
      runs(30),
    );
  });
});

/** The field an event is rejected for (the first rule it breaks), or undefined when it is valid. */
/** Nesting depth of JSON text as sent (a duplicate key's overwritten value counts: its bytes are stored). */
function textDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '[' || c === '{') max = Math.max(max, ++depth);
    else if (c === ']' || c === '}') depth--;
  }
  return max;
}

function oracle(e: unknown, text: string): string | undefined {
  // The nesting is measured on the event's bytes while the request is scanned, before any field is looked at.
  if (textDepth(text) > limits.maxEventDepth) return 'event';
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return 'event';
  const o = e as Record<string, unknown>;
  const own = (k: string) => (Object.prototype.hasOwnProperty.call(o, k) ? o[k] : undefined);
  const str = (v: unknown) => typeof v === 'string' && v.length > 0;
  if (!str(own('event_id'))) return 'event_id';
  if (!str(own('event_type'))) return 'event_type';
  const ts = own('timestamp');
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts < 0) return 'timestamp';
  if (!str(own('app_id')) || own('app_id') !== APP) return 'app_id';
  for (const field of ['event_id', 'event_type', ...identityFields]) {
    const v = own(field);
    if (typeof v === 'string' && v.length > limits.maxIdentityChars) return field;
  }
  return enrichmentFields.find((field) => Object.prototype.hasOwnProperty.call(o, field));
}
