import { gzipSync } from 'node:zlib';
import { FunctionHost } from '../../../local/function-host.ts';
import { startGateway, type Gateway } from '../../../local/gateway/server.ts';
import { loadServiceConfig, type LocalFunction } from '../../../local/serverless-config.ts';

const echo: LocalFunction = {
  name: 'echo',
  functionName: 'svc-local-echo',
  modulePath: 'test/fixtures/local/echo-handler.ts',
  exportName: 'handler',
  timeoutSeconds: 3,
  environment: {},
  httpRoutes: [
    { method: 'POST', path: '/collect' },
    { method: 'GET', path: '/pipelines/{id}' },
  ],
};
const slow: LocalFunction = {
  ...echo,
  name: 'slow',
  functionName: 'svc-local-slow',
  exportName: 'slow',
  timeoutSeconds: 1,
  httpRoutes: [{ method: 'GET', path: '/slow' }],
};

describe('local gateway', () => {
  let gw: Gateway;
  beforeAll(async () => {
    const functions = [echo, slow];
    gw = await startGateway({ port: 0, functions, host: new FunctionHost(process.cwd(), functions) });
  });
  afterAll(() => gw.close());

  it('delivers a payload 2.0 event with lower-cased headers, query and text body', async () => {
    const res = await fetch(`${gw.url}/collect?appId=a&x=1&x=2`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'ua/1' },
      body: '[1]',
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-fn')).toBe('svc-local-echo');
    const { event, remaining } = (await res.json()) as any;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'POST /collect',
      rawPath: '/collect',
      queryStringParameters: { appId: 'a', x: '1,2' },
      headers: { 'content-type': 'application/json', 'user-agent': 'ua/1' },
      body: '[1]',
      isBase64Encoded: false,
      requestContext: { http: { method: 'POST', path: '/collect', sourceIp: '127.0.0.1' } },
    });
    expect(remaining).toBeGreaterThan(2000);
    expect(remaining).toBeLessThanOrEqual(3000);
  });

  it('passes compressed bodies base64-encoded, as API Gateway does', async () => {
    const gz = gzipSync('[{"a":1}]');
    const res = await fetch(`${gw.url}/collect`, {
      method: 'POST',
      headers: { 'content-encoding': 'gzip', 'content-type': 'application/json' },
      body: gz,
    });
    const { event } = (await res.json()) as any;
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body, 'base64').equals(gz)).toBe(true);
  });

  it('extracts path parameters', async () => {
    const res = await fetch(`${gw.url}/pipelines/p-123`);
    expect(((await res.json()) as any).event.pathParameters).toEqual({ id: 'p-123' });
  });

  it('answers 400 for a path parameter with a malformed %-escape, without invoking the function', async () => {
    const res = await fetch(`${gw.url}/pipelines/%E0%A4%A`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { message: string }).message).toMatch(/malformed %-escape/);
  });

  it('answers 404 for routes serverless.yml does not declare', async () => {
    expect((await fetch(`${gw.url}/nope`)).status).toBe(404);
    expect((await fetch(`${gw.url}/collect`, { method: 'DELETE' })).status).toBe(404);
  });

  it("answers 413 to a payload over API Gateway's 10 MB, and the client receives it", async () => {
    const res = await fetch(`${gw.url}/collect`, {
      method: 'POST',
      body: Buffer.alloc(10 * 1024 * 1024 + 1, 0x61),
    });
    expect(res.status).toBe(413);
  });

  it('answers 500 when the function exceeds its timeout', async () => {
    expect((await fetch(`${gw.url}/slow`)).status).toBe(500);
  });
});

describe('loadServiceConfig', () => {
  it('takes the ingest routes, handler and environment from serverless.yml', async () => {
    const config = await loadServiceConfig(process.cwd(), { topic: 'demo', appIds: 'demo-app' });
    const ingest = config.functions.find((f) => f.name === 'ingest')!;
    expect(ingest.modulePath).toBe('functions/ingest/handler.ts');
    expect(ingest.exportName).toBe('handler');
    expect(ingest.httpRoutes).toEqual(
      expect.arrayContaining([
        { method: 'POST', path: '/collect' },
        { method: 'GET', path: '/ping' },
        { method: 'OPTIONS', path: '/collect' },
      ]),
    );
    expect(ingest.environment).toMatchObject({
      INGEST_TOPIC: 'demo',
      ALLOWED_APP_IDS: 'demo-app',
      POWERTOOLS_SERVICE_NAME: 'ingest',
    });
    expect(ingest.functionName).toBe('clickstream-pipeline-local-ingest');
  });
});
