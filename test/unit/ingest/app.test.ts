import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { gzipSync } from 'node:zlib';
import { createIngestApp } from '../../../functions/ingest/app.ts';
import type { CollectDeps } from '../../../functions/ingest/collect.ts';
import { readIngestConfig } from '../../../functions/ingest/config.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { RecordingProducer, unavailableError } from '../../helpers/fake-producer.ts';
import { MemoryLog } from '../../helpers/silent-log.ts';

function setup(over: Partial<CollectDeps> = {}) {
  const producer = new RecordingProducer();
  const log = new MemoryLog();
  const deps: CollectDeps = {
    producer,
    routeFor: (appId: string) => (appId === 'demo-app' ? { topic: 'demo' } : undefined),
    isUnavailable: (err) => err instanceof Error && err.name === 'KafkaUnavailableError',
    ackTimeoutMs: 5000,
    retryAfterSeconds: 5,
    now: () => 1_700_000_000_900,
    ...over,
  };
  return { producer, log, app: createIngestApp(() => deps, log) };
}

const post = () => fixture<APIGatewayProxyEventV2>('apigw/collect-post.json');

describe('ingest handler (API Gateway HTTP API payload 2.0)', () => {
  it('answers GET /ping with 200', async () => {
    const { app } = setup();
    const res = await app(fixture<APIGatewayProxyEventV2>('apigw/ping.json'));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body!)).toEqual({ status: 'ok' });
  });

  it('writes the events of a real-shaped POST /collect and answers 200', async () => {
    const { app, producer } = setup();
    const res = await app(post());
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(JSON.parse(res.body!)).toEqual({ accepted: 2, rejected: [] });
    const [first, second] = producer.records.map((r) => ({ key: r.key, value: JSON.parse(r.value) }));
    expect(first!.key).toBe('demo-app:u-42');
    expect(second!.key).toBe('demo-app:e-2');
    expect(first!.value).toMatchObject({
      event_id: 'e-1',
      attributes: { page: '/home' },
      client_ip: '203.0.113.7',
      user_agent: expect.stringContaining('iPhone'),
      request_id: 'Q0uXIhnvoAMEVxA=',
      ingest_time: 1_700_000_000_900,
      timestamp_corrected: 1_700_000_000_000 + 400,
    });
  });

  it('accepts a Content-Encoding: gzip body that API Gateway passed base64-encoded', async () => {
    const { app, producer } = setup();
    const event = post();
    const res = await app({
      ...event,
      headers: { ...event.headers, 'content-encoding': 'gzip' },
      body: gzipSync(event.body!).toString('base64'),
      isBase64Encoded: true,
    });
    expect(res.statusCode).toBe(200);
    expect(producer.records).toHaveLength(2);
  });

  it.each([
    ['400', { body: 'nope' }, 400],
    ['403', { queryStringParameters: { appId: 'unknown-app' } }, 403],
    ['413', { body: 'x'.repeat(1024 * 1024 + 1) }, 413],
    ['415', { headers: { 'content-encoding': 'deflate' } }, 415],
  ])('maps a refused request to %s with a JSON message', async (_name, over, status) => {
    const { app, producer } = setup();
    const res = await app({ ...post(), ...over } as APIGatewayProxyEventV2);
    expect(res.statusCode).toBe(status);
    expect(typeof JSON.parse(res.body!).message).toBe('string');
    expect(producer.sent).toHaveLength(0);
  });

  it('answers 503 with Retry-After when Kafka does not acknowledge', async () => {
    const producer = new RecordingProducer();
    producer.failWith = unavailableError();
    const { app } = setup({ producer });
    const res = await app(post());
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
  });

  it('answers 405 for GET /collect', async () => {
    const { app } = setup();
    const event = post();
    const res = await app({
      ...event,
      requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'GET' } },
    });
    expect(res.statusCode).toBe(405);
  });

  it('answers a generic 500 and logs the cause when configuration is broken', async () => {
    const log = new MemoryLog();
    const app = createIngestApp(() => readIngestConfig({}) as never, log);
    const res = await app(post());
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body!)).toEqual({
      message: 'Internal server error',
      requestId: 'Q0uXIhnvoAMEVxA=',
    });
    expect(JSON.stringify(log.entries)).toContain('ALLOWED_APP_IDS');
  });
});

describe('ingest handler CORS (credentialed, for the browser SDKs)', () => {
  const preflight = (origin: string, query: Record<string, string> = { appId: 'demo-app' }): APIGatewayProxyEventV2 => {
    const e = fixture<APIGatewayProxyEventV2>('apigw/collect-preflight.json');
    return {
      ...e,
      headers: { ...e.headers, origin, 'access-control-request-headers': 'content-type,user-agent' },
      queryStringParameters: query,
    };
  };
  const browserPost = (
    origin: string,
    headers: Record<string, string> = {},
    query: Record<string, string> = {},
  ): APIGatewayProxyEventV2 => {
    const e = post();
    return {
      ...e,
      headers: { ...e.headers, origin, ...headers },
      queryStringParameters: { ...e.queryStringParameters, ...query },
    };
  };

  it('answers a preflight from an allowed origin with that origin, credentials and every SDK header', async () => {
    const { app, producer } = setup();
    const res = await app(preflight('https://shop.example.com'));
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toBe('Origin');
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    const allowed = res.headers['access-control-allow-headers']!.split(',');
    expect(allowed).toEqual(expect.arrayContaining(['content-type', 'content-encoding', 'user-agent', 'cookie']));
    expect(producer.sent).toHaveLength(0);
  });

  it('answers the POST of an allowed origin with that origin and credentials, never *', async () => {
    const { app } = setup();
    const res = await app(browserPost('http://localhost:8080'));
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:8080');
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toBe('Origin');
  });

  it('refuses a preflight and a POST from an origin outside the stack setting with 403, without CORS grants', async () => {
    const { app, producer } = setup({ origins: ['https://*.example.com', 'http://localhost:8080'] });
    expect((await app(preflight('https://shop.example.com'))).statusCode).toBe(204);
    expect((await app(preflight('http://localhost:8080'))).statusCode).toBe(204);
    for (const res of [
      await app(preflight('https://evil.test')),
      await app(browserPost('https://evil.test')),
      await app(preflight('https://example.com.evil.test')),
    ]) {
      expect(res.statusCode).toBe(403);
      expect(JSON.parse(res.body!).message).toMatch(/origin 'https:\/\/.*' is not allowed .*corsAllowedOrigins/);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      expect(res.headers.vary).toBe('Origin');
    }
    expect(producer.sent).toHaveLength(0);
  });

  it("applies the pipeline's allowedOrigins to the preflight and the POST of its apps", async () => {
    const { app, producer } = setup({
      routeFor: (appId: string) =>
        appId === 'demo-app' ? { topic: 'demo', allowedOrigins: ['https://shop.example.com'] } : undefined,
    });
    const refused = await app(preflight('https://blog.example.com'));
    expect(refused.statusCode).toBe(403);
    expect(JSON.parse(refused.body!).message).toContain("pipeline's allowedOrigins");
    expect((await app(browserPost('https://blog.example.com'))).statusCode).toBe(403);
    expect(producer.sent).toHaveLength(0);
    const ok = await app(browserPost('https://shop.example.com'));
    expect(ok.statusCode).toBe(200);
    expect(ok.headers['access-control-allow-origin']).toBe('https://shop.example.com');
  });

  it('accepts a navigator.sendBeacon body (text/plain, no preflight) like JSON', async () => {
    const { app, producer } = setup();
    const res = await app(browserPost('https://shop.example.com', { 'content-type': 'text/plain;charset=UTF-8' }));
    expect(res.statusCode).toBe(200);
    expect(producer.records).toHaveLength(2);
  });

  it("accepts the SDK's query parameters and keeps platform with the enrichment", async () => {
    const { app, producer } = setup();
    const res = await app(
      browserPost(
        'https://shop.example.com',
        { 'content-type': 'application/json; charset=utf-8' },
        { platform: 'Web', event_bundle_sequence_id: '7', hashCode: '1a2b3c4d' },
      ),
    );
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(producer.records[0]!.value)).toMatchObject({ request_platform: 'Web' });
  });

  it('answers requests without an Origin (servers, mobile SDKs) without CORS grants', async () => {
    const { app } = setup({ origins: ['https://shop.example.com'] });
    const res = await app(post());
    expect(res.statusCode).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
