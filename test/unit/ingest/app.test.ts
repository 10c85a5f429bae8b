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
    topicFor: (appId) => (appId === 'demo-app' ? 'demo' : undefined),
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

  it('answers the CORS preflight with 204 and the allowed methods and headers', async () => {
    const { app, producer } = setup();
    const res = await app(fixture<APIGatewayProxyEventV2>('apigw/collect-preflight.json'));
    expect(res.statusCode).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe('*');
    expect(res.headers['access-control-allow-methods']).toContain('POST');
    expect(res.headers['access-control-allow-headers']).toContain('content-encoding');
    expect(producer.sent).toHaveLength(0);
  });

  it('writes the events of a real-shaped POST /collect and answers 200 with CORS headers', async () => {
    const { app, producer } = setup();
    const res = await app(post());
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['access-control-allow-origin']).toBe('*');
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
    const res = await app({ ...event, headers: { ...event.headers, 'content-encoding': 'gzip' }, body: gzipSync(event.body!).toString('base64'), isBase64Encoded: true });
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
    const res = await app({ ...event, requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'GET' } } });
    expect(res.statusCode).toBe(405);
  });

  it('answers a generic 500 and logs the cause when configuration is broken', async () => {
    const log = new MemoryLog();
    const app = createIngestApp(() => readIngestConfig({}) as never, log);
    const res = await app(post());
    expect(res.statusCode).toBe(500);
    expect(JSON.parse(res.body!)).toEqual({ message: 'Internal server error', requestId: 'Q0uXIhnvoAMEVxA=' });
    expect(JSON.stringify(log.entries)).toContain('ALLOWED_APP_IDS');
  });
});

describe('readIngestConfig', () => {
  it('reads the topic, the allowed apps and the timeouts', () => {
    const config = readIngestConfig({ INGEST_TOPIC: 't', ALLOWED_APP_IDS: 'a, b', KAFKA_ACK_TIMEOUT_MS: '2000' });
    expect(config).toEqual({ topic: 't', allowedAppIds: new Set(['a', 'b']), ackTimeoutMs: 2000, retryAfterSeconds: 5, routeMaxAgeMs: 30_000 });
  });
  it('lets ROUTE_MAX_AGE_MS lower the route cache age but never raise it past the teardown fence', () => {
    expect(readIngestConfig({ PIPELINES_TABLE: 'p', ROUTE_MAX_AGE_MS: '5600' }).routeMaxAgeMs).toBe(5600);
    expect(() => readIngestConfig({ PIPELINES_TABLE: 'p', ROUTE_MAX_AGE_MS: '31000' })).toThrow(/ROUTE_MAX_AGE_MS='31000' must be an integer between 1 and 30000/);
  });
  it.each([
    [{ ALLOWED_APP_IDS: 'a' }, /INGEST_TOPIC is required/],
    [{ INGEST_TOPIC: 't' }, /ALLOWED_APP_IDS is required/],
    [{ INGEST_TOPIC: 't', ALLOWED_APP_IDS: 'a', KAFKA_ACK_TIMEOUT_MS: 'soon' }, /KAFKA_ACK_TIMEOUT_MS='soon'/],
  ])('fails naming the variable for %j', (env, message) => {
    expect(() => readIngestConfig(env)).toThrow(message);
  });
});
