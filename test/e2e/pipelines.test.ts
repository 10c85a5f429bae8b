import { gzipSync } from 'node:zlib';
import { KafkaConnectClient, ListConnectorsCommand, ListCustomPluginsCommand } from '@aws-sdk/client-kafkaconnect';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { Kafka, logLevel } from 'kafkajs';
import type { Stack } from '../../local/stack.ts';
import { useTestStack } from '../helpers/test-stack.ts';
import { connectorPipeline, createPipeline, deletePipeline, lambdaPipeline } from '../helpers/stack-api.ts';
import { readLocalObjects, waitFor } from '../helpers/local-s3.ts';

const EVENTS = 600;

async function postEvents(stack: Stack, appId: string, prefix: string): Promise<Set<string>> {
  const ids = new Set<string>();
  for (let b = 0; b < EVENTS / 100; b++) {
    const events = Array.from({ length: 100 }, (_, i) => ({
      event_id: `${prefix}-${b}-${i}`,
      event_type: 'click',
      timestamp: Date.now(),
      app_id: appId,
      device_id: `d${i % 5}`,
    }));
    const res = await fetch(`${stack.api}/collect?appId=${appId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(events),
    });
    expect(res.status).toBe(200);
    events.forEach((e) => ids.add(e.event_id));
  }
  return ids;
}

/** Occurrences of each of `ids` in the local S3 tree, once every one of them is there. */
function waitForEvents(stack: Stack, ids: Set<string>, timeoutMs: number): Promise<Map<string, number>> {
  return waitFor(
    async () => {
      const counts = new Map<string, number>();
      for (const { event } of await readLocalObjects(stack.s3Dir, stack.bucket)) {
        if (ids.has(event.event_id)) counts.set(event.event_id, (counts.get(event.event_id) ?? 0) + 1);
      }
      return counts.size === ids.size ? counts : undefined;
    },
    timeoutMs,
    `${ids.size} events in S3`,
  );
}

async function topics(stack: Stack, brokers: string[] = stack.kafka.brokers): Promise<string[]> {
  const admin = new Kafka({ brokers, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await admin.listTopics();
  } finally {
    await admin.disconnect();
  }
}

/**
 * Events whose bytes a re-serialising ingest would change: integers beyond 2^53, -0, exponents,
 * long fractions, unicode escapes (with a surrogate pair), raw UTF-8, escaped slashes, spacing
 * and key order. Each must reach S3 exactly as written, the enrichment added inside its braces.
 */
function exactEvents(appId: string, prefix: string): string[] {
  return [
    `{"event_id":"${prefix}-int","event_type":"num","timestamp":1700000000000,"app_id":"${appId}","big":12345678901234567890123,"neg":-9007199254740993,"zero":-0}`,
    `{ "event_id" : "${prefix}-exp", "event_type":"num","timestamp":1.7e12,"app_id":"${appId}","e":1E+400,"e2":-2.50e-7,"frac":0.1000000000000000055511151231257827021181583404541015625}`,
    `{"z":"last key first","event_id":"${prefix}-uni","event_type":"text","timestamp":1700000000001,"app_id":"${appId}","s":"caf\\u00e9 \\ud83d\\ude00 \\"q\\" \\/ \\t","raw":"ÿ€😀","nested":{"b":[3,2,1],"a":{"y":null,"x":true}}}`,
  ];
}

async function postExact(stack: Stack, appId: string, events: string[]): Promise<void> {
  const res = await fetch(`${stack.api}/collect?appId=${appId}&platform=Web`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `[ ${events.join(' ,\n  ')} ]`,
  });
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ accepted: events.length, rejected: [] });
}

/** The stored line of each exact event is its own bytes plus the spliced enrichment. */
async function expectExactInS3(stack: Stack, events: string[]): Promise<void> {
  const ids = new Set(events.map((e) => (JSON.parse(e) as { event_id: string }).event_id));
  const lines = await waitFor(
    async () => {
      const found = (await readLocalObjects(stack.s3Dir, stack.bucket)).filter(({ event }) => ids.has(event.event_id));
      return found.length >= ids.size ? found : undefined;
    },
    20_000,
    'the exact events in S3',
  );
  for (const raw of events) {
    const id = (JSON.parse(raw) as { event_id: string }).event_id;
    const line = lines.find(({ event }) => event.event_id === id)!.line;
    expect(line.startsWith(`${raw.slice(0, -1)},"ingest_time":`)).toBe(true);
    expect(line).toMatch(
      /,"client_ip":"127\.0\.0\.1","user_agent":[^,]*,"request_id":"[^"]+","request_platform":"Web"\}$/,
    );
  }
}

describe('end to end: pipelines created, used and deleted through the admin API', () => {
  const current = useTestStack('e2e-pipelines-', { demo: false, kafkaConnectDelayMs: 50 });
  let stack: Stack;
  beforeAll(() => {
    stack = current();
  });

  it('lambda mode: ACTIVE, every accepted event exactly once in S3 even when DELETE follows at once; DELETE removes topic and mapping', async () => {
    // A 5 s window holds the events when DELETE arrives: only the drain gets them to S3.
    const pipeline = await createPipeline(
      stack,
      lambdaPipeline('alpha', { type: 'msk', clusterArn: stack.clusterArn }, { maxIntervalSeconds: 5 }),
    );
    expect(pipeline.status).toBe('ACTIVE');
    expect(pipeline.resources).toMatchObject({
      topic: 'alpha',
      topicCreated: true,
      mappingUuid: expect.any(String),
    });

    const exact = exactEvents('alpha-web', 'alpha-exact');
    await postExact(stack, 'alpha-web', exact);
    await expectExactInS3(stack, exact);

    // DELETE right after the events were acknowledged: the teardown drains the sink first.
    const ids = await postEvents(stack, 'alpha-web', 'alpha');
    const deleted = await deletePipeline(stack, pipeline.id);
    expect(deleted.status).toBe('DELETED');
    const counts = await waitForEvents(stack, ids, 10_000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(await topics(stack)).not.toContain('alpha');
    const lambda = new LambdaClient({});
    const mappings = await lambda.send(new ListEventSourceMappingsCommand({}));
    lambda.destroy();
    expect(mappings.EventSourceMappings?.map((m) => m.UUID)).not.toContain(pipeline.resources?.mappingUuid);
    // The ingest may still hold the route for one request (its cache): that one is refused with
    // 503 (never acknowledged, the topic is gone); from then on the app is unknown: 403.
    const late = () =>
      fetch(`${stack.api}/collect?appId=alpha-web`, {
        method: 'POST',
        body: JSON.stringify({ event_id: 'late', event_type: 'x', timestamp: 1, app_id: 'alpha-web' }),
      });
    const first = await late();
    expect([403, 503]).toContain(first.status);
    expect((await late()).status).toBe(403);
  }, 120_000);

  it('connector mode: ACTIVE, every accepted event at least once in S3 even when DELETE follows at once; DELETE removes connector, plugin and topic', async () => {
    const pipeline = await createPipeline(
      stack,
      connectorPipeline('beta', stack, { maxIntervalSeconds: 4, batchSize: 1000 }),
    );
    expect(pipeline.status).toBe('ACTIVE');
    expect(pipeline.resources).toMatchObject({
      topic: 'beta',
      connectorArn: expect.any(String),
      pluginArn: expect.any(String),
      pluginCreated: true,
    });

    const exact = exactEvents('beta-web', 'beta-exact');
    await postExact(stack, 'beta-web', exact);
    const ids = await postEvents(stack, 'beta-web', 'beta');
    const deleted = await deletePipeline(stack, pipeline.id);
    expect(deleted.status).toBe('DELETED');
    const counts = await waitForEvents(stack, ids, 10_000);
    expect(counts.size).toBe(ids.size);
    await expectExactInS3(stack, exact);
    const connect = new KafkaConnectClient({});
    const connectors = await connect.send(new ListConnectorsCommand({}));
    const plugins = await connect.send(new ListCustomPluginsCommand({}));
    connect.destroy();
    expect(connectors.connectors?.map((c) => c.connectorArn)).not.toContain(pipeline.resources?.connectorArn);
    expect(plugins.customPlugins?.map((p) => p.customPluginArn)).not.toContain(pipeline.resources?.pluginArn);
    expect(await topics(stack)).not.toContain('beta');
  }, 120_000);

  it('a self-hosted pipeline on the second cluster is ACTIVE, its topic is there and not on the first, its events reach S3', async () => {
    expect(stack.kafka2).toBeDefined();
    const brokers = stack.kafka2!.brokers;
    const pipeline = await createPipeline(stack, {
      ...lambdaPipeline('delta', {
        type: 'self-hosted',
        brokers: brokers.join(','),
        securityGroupId: 'sg-00000000000000001',
      }),
      allowedOrigins: ['https://*.example.com'],
    });
    expect(pipeline.status).toBe('ACTIVE');
    expect(pipeline.resources).toMatchObject({ topic: 'delta', cluster: { brokers, auth: 'none' } });
    expect(await topics(stack, brokers)).toContain('delta');
    expect(await topics(stack)).not.toContain('delta');

    // The pipeline's allowedOrigins: its origins get credentialed CORS, others a 403.
    const preflight = (origin: string) =>
      fetch(`${stack.api}/collect?appId=delta-web`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    const allowed = await preflight('https://blog.example.com');
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://blog.example.com');
    expect(allowed.headers.get('access-control-allow-credentials')).toBe('true');
    const refused = await preflight('https://evil.test');
    expect(refused.status).toBe(403);
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
    const post = await fetch(`${stack.api}/collect?appId=delta-web`, {
      method: 'POST',
      headers: { origin: 'https://evil.test', 'content-type': 'text/plain' },
      body: exactEvents('delta-web', 'evil')[0],
    });
    expect(post.status).toBe(403);
    expect(((await post.json()) as { message: string }).message).toContain("pipeline's allowedOrigins");

    const ids = await postEvents(stack, 'delta-web', 'delta');
    const exact = exactEvents('delta-web', 'delta-exact');
    await postExact(stack, 'delta-web', exact);
    const counts = await waitForEvents(stack, ids, 30_000);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    await expectExactInS3(stack, exact);
    // Hostile shapes through the gateway: each a clear 4xx (or per-event rejections), never a 5xx.
    const url = `${stack.api}/collect?appId=delta-web`;
    const deep = '['.repeat(500_000) + ']'.repeat(500_000);
    const manyRejected = JSON.stringify(
      Array.from({ length: 10_000 }, (_, i) => ({
        event_id: `${'r'.repeat(200)}-${i}`,
        event_type: 't',
        timestamp: 1,
        app_id: 'other-app',
      })),
    );
    const bodies: [string, string | Buffer, Record<string, string>][] = [
      ['deep arrays', deep, {}],
      ['a deep event', `[{"event_id":"d","event_type":"t","timestamp":1,"app_id":"delta-web","n":${deep}}]`, {}],
      [
        'too many events',
        gzipSync(`[${Array.from({ length: 10_001 }, () => '{}').join(',')}]`),
        { 'content-encoding': 'gzip' },
      ],
      ['10,000 rejections', gzipSync(manyRejected), { 'content-encoding': 'gzip' }],
      [
        'long keys',
        gzipSync(
          JSON.stringify([
            {
              event_id: 'k',
              event_type: 't',
              timestamp: 1,
              app_id: 'delta-web',
              session_id: 's'.repeat(900_000),
            },
          ]),
        ),
        { 'content-encoding': 'gzip' },
      ],
      [
        'a huge event',
        gzipSync(
          JSON.stringify([
            { event_id: 'h', event_type: 't', timestamp: 1, app_id: 'delta-web', pad: 'p'.repeat(3_000_000) },
          ]),
        ),
        { 'content-encoding': 'gzip' },
      ],
      ['invalid UTF-8', Buffer.from([0x5b, 0xc3, 0x28, 0x5d]), {}],
      ['not JSON', '{"event_id":', {}],
    ];
    for (const [what, body, headers] of bodies) {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
      const answer = (await res.json()) as { message?: string; rejected?: { reason: string }[] };
      expect([what, res.status >= 400 && res.status < 500]).toEqual([what, true]);
      expect(answer.message ?? answer.rejected?.[0]?.reason).toEqual(expect.any(String));
    }

    // Still only on the second cluster: the ingest wrote there, not to the stack's brokers.
    expect(await topics(stack)).not.toContain('delta');
    expect((await deletePipeline(stack, pipeline.id)).status).toBe('DELETED');
    expect(await topics(stack, brokers)).not.toContain('delta');
  }, 120_000);

  it('the second cluster is also described by the local MSK API as another provisioned cluster', async () => {
    expect(stack.secondClusterArn).toMatch(/^arn:aws:kafka:.*:cluster\/clickstream-local-2\//);
    const pipeline = await createPipeline(
      stack,
      lambdaPipeline('epsilon', { type: 'msk', clusterArn: stack.secondClusterArn }),
    );
    expect(pipeline.status).toBe('ACTIVE');
    // The bootstrap brokers GetBootstrapBrokers gave for the pipeline's auth, stored for ingest.
    expect(pipeline.resources?.cluster).toEqual({ brokers: stack.kafka2!.brokers, auth: 'none' });
    expect(await topics(stack, stack.kafka2!.brokers)).toContain('epsilon');
    expect(await topics(stack)).not.toContain('epsilon');
    const ids = await postEvents(stack, 'epsilon-web', 'epsilon');
    await waitForEvents(stack, ids, 30_000);
    expect((await deletePipeline(stack, pipeline.id)).status).toBe('DELETED');
  }, 120_000);

  it('a cluster that breaks several rules ends FAILED naming every violated rule, leaving nothing behind', async () => {
    const bad = stack.localAws.msk.register({
      name: 'broken',
      vpcId: 'vpc-0ther0000000000001',
      subnetIds: ['subnet-0ther000000000001', 'subnet-0ther000000000002'],
      clientAuthentication: { unauthenticated: false, iam: true },
      clientBroker: 'TLS',
      serverProperties: { 'auto.create.topics.enable': false, 'default.replication.factor': 5 },
    });
    const arn =
      (bad as { clusterArn?: string; ClusterArn?: string }).clusterArn ?? (bad as { ClusterArn?: string }).ClusterArn;
    const pipeline = await createPipeline(stack, {
      projectId: 'gamma',
      appIds: ['gamma-web'],
      kafka: { type: 'msk', clusterArn: arn, replicationFactor: 4 },
      sink: { mode: 'lambda' },
    });
    expect(pipeline.status).toBe('FAILED');
    const reason = `${pipeline.failureReason} ${(pipeline.violations ?? []).join(' ')}`.toLowerCase();
    for (const rule of ['vpc', 'unauthenticated', 'plaintext', 'default.replication.factor', 'replicationfactor 4'])
      expect(reason).toContain(rule);
    expect((pipeline.violations ?? []).length).toBeGreaterThanOrEqual(4);
    expect(await topics(stack)).not.toContain('gamma');
  }, 60_000);
});
