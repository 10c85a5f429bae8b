import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { gzipSync } from 'node:zlib';
import { Kafka, logLevel } from 'kafkajs';
import { createIngestApp } from '../../../functions/ingest/app.ts';
import type { CollectDeps } from '../../../functions/ingest/collect.ts';
import { createEventProducer, parseClusterConfig, type EventProducer } from '../../../functions/lib/kafka/index.ts';
import { startCluster, type DevCluster } from '../../../local/kafka/index.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { MemoryLog } from '../../helpers/silent-log.ts';

/** Reads every record of a topic with kafkajs, an independent client, until `count` arrived. */
async function readAll(brokers: string[], topic: string, count: number) {
  const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING, clientId: 'verifier' });
  const consumer = kafka.consumer({ groupId: `verify-${Date.now()}`, maxWaitTimeInMs: 100 });
  const seen: { key: string; value: any; headers: Record<string, string>; partition: number }[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message, partition }) => {
        seen.push({
          key: message.key!.toString(),
          value: JSON.parse(message.value!.toString()),
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
          partition,
        });
        if (seen.length >= count) resolve();
      },
    });
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([done, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`only ${seen.length}/${count} records arrived`)), 20_000); })]);
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
    const gz = { ...base, headers: { ...base.headers, 'content-encoding': 'gzip' }, body: gzipSync(JSON.stringify([{ event_id: 'e-3', event_type: 'scroll', timestamp: 1, app_id: 'demo-app', device_id: 'd-9' }])).toString('base64'), isBase64Encoded: true };
    const first = await app(base);
    const second = await app(gz);
    expect([first.statusCode, second.statusCode]).toEqual([200, 200]);

    const records = await readAll(cluster.brokers, 'ingest-it', 3);
    const byId = Object.fromEntries(records.map((r) => [r.value.event_id, r]));
    expect(Object.keys(byId).sort()).toEqual(['e-1', 'e-2', 'e-3']);
    expect(byId['e-1']!.key).toBe('demo-app:u-42');
    expect(byId['e-3']!.key).toBe('demo-app:d-9');
    expect(byId['e-2']!.headers).toEqual({ app_id: 'demo-app', event_type: 'click' });
    expect(byId['e-1']!.value).toMatchObject({ client_ip: '203.0.113.7', request_id: 'Q0uXIhnvoAMEVxA=', attributes: { page: '/home' } });
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
