/**
 * The ingest app answers Lambda function URL events (--param ingestEndpoint=functionUrl): payload
 * format 2.0 like the HTTP API, but routeKey `$default`, an `anonymous` account and the URL's own
 * host. The fixtures follow the request payload of the function URL documentation
 * (https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html#urls-payloads).
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createIngestApp } from '../../../functions/ingest/app.ts';
import type { CollectDeps } from '../../../functions/ingest/collect.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { RecordingProducer } from '../../helpers/fake-producer.ts';
import { MemoryLog } from '../../helpers/silent-log.ts';

function setup() {
  const producer = new RecordingProducer();
  const deps: CollectDeps = {
    producer,
    routeFor: (appId: string) =>
      appId === 'demo-app' ? { topic: 'demo', allowedOrigins: ['https://shop.example.com'] } : undefined,
    isUnavailable: () => false,
    ackTimeoutMs: 5000,
    retryAfterSeconds: 5,
    now: () => 1_700_000_000_900,
  };
  return { producer, app: createIngestApp(() => deps, new MemoryLog()) };
}

const event = (name: string) => fixture<APIGatewayProxyEventV2>(`function-url/${name}.json`);

describe('ingest app behind a Lambda function URL', () => {
  it('writes the events of a POST /collect and answers 200 with credentialed CORS for the page origin', async () => {
    const { app, producer } = setup();
    const res = await app(event('collect-post'));
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body!)).toEqual({ accepted: 2, rejected: [] });
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': 'https://shop.example.com',
      'access-control-allow-credentials': 'true',
      vary: 'Origin',
    });
    const values = producer.records.map((r) => JSON.parse(r.value));
    expect(values[0]).toMatchObject({
      event_id: 'e-1',
      client_ip: '203.0.113.7',
      request_id: '6f1c5a2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b',
      ingest_time: 1_700_000_000_900,
    });
    expect(producer.sent[0]!.topic).toBe('demo');
  });

  it('answers the CORS preflight itself (one set of headers: the URL has no Cors block)', async () => {
    const { app } = setup();
    const res = await app(event('collect-preflight'));
    expect(res.statusCode).toBe(204);
    expect(res.headers).toMatchObject({
      'access-control-allow-origin': 'https://shop.example.com',
      'access-control-allow-methods': 'POST,OPTIONS',
      'access-control-allow-credentials': 'true',
    });
  });

  it('refuses an origin the pipeline does not allow with a 403 that names it', async () => {
    const { app, producer } = setup();
    const post = event('collect-post');
    const res = await app({ ...post, headers: { ...post.headers, origin: 'https://evil.example.net' } });
    expect(res.statusCode).toBe(403);
    expect(JSON.parse(res.body!).message).toContain('https://evil.example.net');
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(producer.records).toEqual([]);
  });

  it('answers GET /ping on the same URL', async () => {
    const { app } = setup();
    const post = event('collect-post');
    const res = await app({
      ...post,
      rawPath: '/ping',
      rawQueryString: '',
      queryStringParameters: undefined,
      body: undefined,
      requestContext: { ...post.requestContext, http: { ...post.requestContext.http, method: 'GET', path: '/ping' } },
    });
    expect([res.statusCode, JSON.parse(res.body!)]).toEqual([200, { status: 'ok' }]);
  });
});
