import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { gzipSync } from 'node:zlib';
import { Kafka, logLevel } from 'kafkajs';
import { createIngestApp } from '../../../functions/ingest/app.ts';
import type { CollectDeps } from '../../../functions/ingest/collect.ts';
import {
  createEventProducer,
  createProducerPool,
  parseClusterConfig,
  type EventProducer,
} from '../../../functions/lib/kafka/index.ts';
import { startCluster, type DevCluster } from '../../../local/kafka/index.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { MemoryLog } from '../../helpers/silent-log.ts';

/** Reads every record of a topic with kafkajs, an independent client, until `count` arrived. */
async function readAll(brokers: string[], topic: string, count: number, raw = false) {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'verifier' });
  const consumer = kafka.consumer({ groupId: `verify-${Date.now()}`, maxWaitTimeInMs: 100 });
  const seen: {
    key: string;
    value: any;
    text: string;
    headers: Record<string, string>;
    partition: number;
  }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message, partition }) => {
        seen.push({
          key: message.key!.toString(),
          value: raw ? undefined : JSON.parse(message.value!.toString()),
          text: message.value!.toString(),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
          partition,
        });
        if (seen.length >= count) resolve();
      },
    });
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      done,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`only ${seen.length}/${count} records arrived`)), 20_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await consumer.disconnect();
  }
  return seen;
}

describe('POST /collect over the real producer and the dev Kafka cluster', () => {
  let cluster: DevCluster;
  let producer: EventProducer;
  let log: MemoryLog;
  let app: ReturnType<typeof createIngestApp>;

  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3, port: 0, numPartitions: 3 });
    const conn = parseClusterConfig({ 'bootstrap.servers': cluster.bootstrap });
    producer = createEventProducer(conn, { autocreateTopics: true });
    log = new MemoryLog();
    const deps: CollectDeps = {
      producer: { send: (route, records, opts) => producer.send(route.topic, records, opts) },
      routeFor: (appId: string) => (appId === 'demo-app' ? { topic: 'ingest-it' } : undefined),
      isUnavailable: (err) => err instanceof Error && err.name === 'KafkaUnavailableError',
      ackTimeoutMs: 2000,
      retryAfterSeconds: 3,
      now: Date.now,
    };
    app = createIngestApp(() => deps, log);
  });

  afterAll(async () => {
    await producer?.close();
    await cluster?.close();
  });

  it('answers 200 only after the events are in Kafka, keyed and with headers', async () => {
    const base = fixture<APIGatewayProxyEventV2>('apigw/collect-post.json');
    const gz = {
      ...base,
      headers: { ...base.headers, 'content-encoding': 'gzip' },
      body: gzipSync(
        JSON.stringify([{ event_id: 'e-3', event_type: 'scroll', timestamp: 1, app_id: 'demo-app', device_id: 'd-9' }]),
      ).toString('base64'),
      isBase64Encoded: true,
    };
    const first = await app(base);
    const second = await app(gz);
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);

    const records = await readAll(cluster.brokers, 'ingest-it', 3);
    const byId = Object.fromEntries(records.map((r) => [r.value.event_id, r]));
    expect(Object.keys(byId).sort()).toEqual(['e-1', 'e-2', 'e-3']);
    expect(byId['e-1']!.key).toBe('demo-app:u-42');
    expect(byId['e-3']!.key).toBe('demo-app:d-9');
    expect(byId['e-2']!.headers).toEqual({ app_id: 'demo-app', event_type: 'click' });
    expect(byId['e-1']!.value).toMatchObject({
      client_ip: '203.0.113.7',
      request_id: 'Q0uXIhnvoAMEVxA=',
      attributes: { page: '/home' },
    });
  });

  it('answers 503 with Retry-After when no broker acknowledges, and recovers when they return', async () => {
    for (const i of [0, 1, 2]) await cluster.stopBroker(i);
    try {
      const started = Date.now();
      const res = await app(fixture<APIGatewayProxyEventV2>('apigw/collect-post.json'));
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('3');
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      for (const i of [0, 1, 2]) await cluster.restartBroker(i);
    }
    const res = await app(fixture<APIGatewayProxyEventV2>('apigw/collect-post.json'));
    expect(res.statusCode).toBe(200);
  }, 30_000);
});

describe('POST /collect through the producer pool: each route to its own cluster', () => {
  let first: DevCluster;
  let second: DevCluster;
  let pool: ReturnType<typeof createProducerPool>;
  let app: ReturnType<typeof createIngestApp>;

  beforeAll(async () => {
    [first, second] = await Promise.all([startCluster({ brokers: 2, port: 0 }), startCluster({ brokers: 2, port: 0 })]);
    const admin = new Kafka({ brokers: second.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: 'blog', numPartitions: 1, replicationFactor: 2 }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    pool = createProducerPool({ autocreateTopics: false });
    const routes: Record<string, { topic: string; cluster: { brokers: string[]; auth: 'none' } }> = {
      'blog-web': { topic: 'blog', cluster: { brokers: second.brokers, auth: 'none' } },
    };
    const deps: CollectDeps = {
      producer: {
        send: (route, records, opts) =>
          pool.send(
            parseClusterConfig({ 'bootstrap.servers': route.cluster!.brokers.join(',') }),
            route.topic,
            records,
            opts,
          ),
      },
      routeFor: (appId: string) => routes[appId],
      isUnavailable: (err) => err instanceof Error && err.name === 'KafkaUnavailableError',
      ackTimeoutMs: 5000,
      retryAfterSeconds: 3,
      now: Date.now,
    };
    app = createIngestApp(() => deps, new MemoryLog());
  });

  afterAll(async () => {
    await pool?.close();
    await Promise.all([first?.close(), second?.close()]);
  });

  const post = (appId: string, body: string): APIGatewayProxyEventV2 => {
    const base = fixture<APIGatewayProxyEventV2>('apigw/collect-post.json');
    return {
      ...base,
      queryStringParameters: { appId },
      rawQueryString: `appId=${appId}`,
      body,
      isBase64Encoded: false,
    };
  };
  /** Large bodies travel gzipped (the 1 MB body limit applies before decompression). */
  const postGzip = (appId: string, body: string): APIGatewayProxyEventV2 => {
    const event = post(appId, gzipSync(body).toString('base64'));
    return { ...event, headers: { ...event.headers, 'content-encoding': 'gzip' }, isBase64Encoded: true };
  };

  it("writes the events to the route's cluster, byte for byte, and not to another cluster", async () => {
    const raw =
      '{"event_id":"x-1","event_type":"t","timestamp":1700000000000,"app_id":"blog-web","big":12345678901234567890,"z":-0,"e":1E+2,"s":"\\u00e9"}';
    const res = await app(post('blog-web', `[${raw}]`));
    expect(res.statusCode).toBe(200);
    const [record] = await readAll(second.brokers, 'blog', 1, true);
    expect(record!.text.startsWith(`${raw.slice(0, -1)},"ingest_time":`)).toBe(true);
    const admin = new Kafka({ brokers: first.brokers, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    expect(await admin.listTopics()).not.toContain('blog');
    await admin.disconnect();
    expect(pool.size).toBe(1);
  });

  it("splits a request whose events exceed the broker's message.max.bytes into several record batches", async () => {
    // Three ~600 KB events for one key (one partition): one batch would be ~1.8 MB, which the
    // broker refuses with MESSAGE_TOO_LARGE like Kafka.
    const events = [1, 2, 3].map((i) => ({
      event_id: `big-${i}`,
      event_type: 't',
      timestamp: 1,
      app_id: 'blog-web',
      user_id: 'same',
      pad: 'p'.repeat(600_000),
    }));
    const res = await app(postGzip('blog-web', JSON.stringify(events)));
    expect(JSON.parse(res.body!)).toEqual({ accepted: 3, rejected: [] });
    const records = await readAll(second.brokers, 'blog', 4, true);
    expect(records.filter((r) => r.key === 'blog-web:same')).toHaveLength(3);
  });

  it('answers a request with a very long key field in normal time while other requests proceed', async () => {
    const hostile = JSON.stringify([
      { event_id: 'long', event_type: 't', timestamp: 1, app_id: 'blog-web', user_id: 'u'.repeat(900_000) },
    ]);
    const normal = () =>
      app(
        post(
          'blog-web',
          JSON.stringify([
            {
              event_id: `n-${Math.random()}`,
              event_type: 't',
              timestamp: 1,
              app_id: 'blog-web',
              user_id: 'n',
            },
          ]),
        ),
      );
    const timed = async <T>(work: Promise<T>): Promise<[T, number]> => {
      const started = Date.now();
      const result = await work;
      return [result, Date.now() - started];
    };
    const [[long, longMs], ...others] = await Promise.all([
      timed(app(postGzip('blog-web', hostile))),
      ...Array.from({ length: 10 }, () => timed(normal())),
    ]);
    expect(long.statusCode).toBe(400);
    expect(JSON.parse(long.body!).rejected[0].reason).toContain('user_id: 900000 characters; the limit is 256');
    expect(longMs).toBeLessThan(2_000);
    for (const [res, ms] of others) {
      expect(res.statusCode).toBe(200);
      expect(ms).toBeLessThan(2_000);
    }
  });
});
