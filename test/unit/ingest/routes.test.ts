import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createIngestApp } from '../../../functions/ingest/app.ts';
import type { CollectDeps } from '../../../functions/ingest/collect.ts';
import {
  createRouteResolver,
  type RouteResolverOptions,
  type RouteRegistry,
} from '../../../functions/ingest/routes.ts';
import { MemoryPipelineStore } from '../../helpers/memory-store.ts';
import { createDocumentClient, DynamoPipelineStore } from '../../../functions/pipelines/registry.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { RecordingProducer } from '../../helpers/fake-producer.ts';
import { newPipeline } from '../../helpers/pipelines.ts';
import { MemoryLog } from '../../helpers/silent-log.ts';

/** The topic of the resolved route (these tests are about caching and fallbacks, not the route's other fields). */
function createTopicResolver(options: RouteResolverOptions) {
  const resolve = createRouteResolver(options);
  return Object.assign(async (appId: string) => (await resolve(appId))?.topic, { forget: resolve.forget });
}

/** A registry port that counts lookups and can be switched to failing. */
class CountingRegistry implements RouteRegistry {
  calls = 0;
  failure: Error | undefined;
  readonly inner: RouteRegistry;
  constructor(inner: RouteRegistry) {
    this.inner = inner;
  }
  async activeRoute(appId: string) {
    this.calls += 1;
    if (this.failure) throw this.failure;
    return this.inner.activeRoute(appId);
  }
  async inactiveRoute(appId: string) {
    return this.inner.inactiveRoute?.(appId);
  }
}

async function activePipeline(store: MemoryPipelineStore, appIds: string[], topic: string) {
  const { pipeline } = await store.create(newPipeline({ appIds, kafka: { ...newPipeline().kafka, topic } }));
  await store.transition(pipeline.id, 'ACTIVE');
  return pipeline;
}

function setup(
  opts: {
    staticRoute?: { topic: string; appIds: ReadonlySet<string> };
    maxAgeMs?: number;
    maxEntries?: number;
  } = {},
) {
  const clock = { ms: 1_000_000 };
  const store = new MemoryPipelineStore({ now: () => clock.ms });
  const registry = new CountingRegistry(store);
  const log = new MemoryLog();
  const topicFor = createTopicResolver({ registry, log, retryAfterSeconds: 7, now: () => clock.ms, ...opts });
  return { clock, store, registry, log, topicFor };
}

describe('createTopicResolver (ingest routing by appId)', () => {
  it('routes an app of an ACTIVE pipeline to its topic and an unknown app nowhere', async () => {
    const { store, topicFor } = setup();
    await activePipeline(store, ['web'], 'shop-events');
    expect(await topicFor('web')).toBe('shop-events');
    expect(await topicFor('stranger')).toBeUndefined();
  });

  it('refuses the apps of a pipeline that is still CREATING with a 403 that says so (also when cached)', async () => {
    const { store, topicFor } = setup();
    const { pipeline } = await store.create(newPipeline({ appIds: ['early'] }));
    for (let i = 0; i < 2; i++) {
      await expect(topicFor('early')).rejects.toMatchObject({
        statusCode: 403,
        message: `appId 'early' belongs to pipeline ${pipeline.id}, which is still CREATING: its events are accepted once it is ACTIVE (GET /pipelines/${pipeline.id})`,
      });
    }
  });

  it('refuses the apps of a FAILED pipeline with a 403 naming the status', async () => {
    const { store, topicFor } = setup();
    const { pipeline } = await store.create(newPipeline({ appIds: ['late'] }));
    await store.transition(pipeline.id, 'FAILED', { failureReason: 'x' });
    await expect(topicFor('late')).rejects.toMatchObject({
      statusCode: 403,
      message: expect.stringContaining('is FAILED: it accepts no events'),
    });
  });

  it('reuses a route for 15 s, then asks the registry again', async () => {
    const { store, registry, clock, topicFor } = setup();
    const p = await activePipeline(store, ['web'], 'shop-events');
    await topicFor('web');
    clock.ms += 14_000;
    expect(await topicFor('web')).toBe('shop-events');
    expect(registry.calls).toBe(1);
    await store.transition(p.id, 'DELETING');
    clock.ms += 2_000;
    await expect(topicFor('web')).rejects.toMatchObject({ statusCode: 403 });
    expect(registry.calls).toBe(2);
  });

  it('remembers a miss for 5 s only, so a pipeline turning ACTIVE is routed soon', async () => {
    const { store, registry, clock, topicFor } = setup();
    const { pipeline } = await store.create(newPipeline({ appIds: ['soon'] }));
    await expect(topicFor('soon')).rejects.toMatchObject({ statusCode: 403 });
    await store.transition(pipeline.id, 'ACTIVE');
    clock.ms += 4_000;
    await expect(topicFor('soon')).rejects.toMatchObject({ statusCode: 403 });
    clock.ms += 1_500;
    expect(await topicFor('soon')).toBe('shop');
    expect(registry.calls).toBe(2);
  });

  it('shares one registry call between concurrent lookups of an app', async () => {
    const { store, registry, topicFor } = setup();
    await activePipeline(store, ['web'], 't');
    const topics = await Promise.all(Array.from({ length: 20 }, () => topicFor('web')));
    expect(new Set(topics)).toEqual(new Set(['t']));
    expect(registry.calls).toBe(1);
  });

  it('keeps at most maxEntries apps cached, evicting the oldest', async () => {
    const { store, registry, topicFor } = setup({ maxEntries: 2 });
    await activePipeline(store, ['a', 'b', 'c'], 't');
    await topicFor('a');
    await topicFor('b');
    await topicFor('c');
    expect(registry.calls).toBe(3);
    await topicFor('c');
    await topicFor('b');
    expect(registry.calls).toBe(3);
    await topicFor('a');
    expect(registry.calls).toBe(4);
  });

  it('falls back to the configured allowlist when the registry has no route for the app', async () => {
    const { topicFor } = setup({ staticRoute: { topic: 'clickstream', appIds: new Set(['demo-app']) } });
    expect(await topicFor('demo-app')).toBe('clickstream');
    expect(await topicFor('other')).toBeUndefined();
  });

  it('prefers the registry over the allowlist', async () => {
    const { store, topicFor } = setup({ staticRoute: { topic: 'clickstream', appIds: new Set(['web']) } });
    await activePipeline(store, ['web'], 'shop-events');
    expect(await topicFor('web')).toBe('shop-events');
  });

  it('routes from the allowlist alone without a registry', async () => {
    const topicFor = createTopicResolver({
      staticRoute: { topic: 'clickstream', appIds: new Set(['demo-app']) },
      log: new MemoryLog(),
      retryAfterSeconds: 5,
    });
    expect(await topicFor('demo-app')).toBe('clickstream');
    expect(await topicFor('x')).toBeUndefined();
  });

  describe('when the registry cannot be read', () => {
    it('serves the last known route until it is 30 s old (stale-if-error within the teardown fence), then refuses with 503', async () => {
      const { store, registry, clock, log, topicFor } = setup();
      await activePipeline(store, ['web'], 'shop-events');
      await topicFor('web');
      registry.failure = new Error('connect ETIMEDOUT');
      clock.ms += 16_000;
      expect(await topicFor('web')).toBe('shop-events');
      expect(log.entries.some((e) => e.level === 'warn' && e.message.includes('last known route'))).toBe(true);
      clock.ms += 13_900;
      expect(await topicFor('web')).toBe('shop-events');
      clock.ms += 100;
      await expect(topicFor('web')).rejects.toMatchObject({
        name: 'ServiceUnavailableError',
        statusCode: 503,
        headers: { 'retry-after': '7' },
      });
    });

    it('a lowered max age (the local stack scales it with its Waits) bounds both the reuse and stale-if-error', async () => {
      const { store, registry, clock, topicFor } = setup({ maxAgeMs: 4_000 });
      await activePipeline(store, ['web'], 'shop-events');
      await topicFor('web');
      clock.ms += 2_100;
      registry.failure = new Error('boom');
      expect(await topicFor('web')).toBe('shop-events');
      expect(registry.calls).toBe(2);
      clock.ms += 1_900;
      await expect(topicFor('web')).rejects.toMatchObject({ statusCode: 503 });
    });

    it('uses the configured allowlist for the apps it names', async () => {
      const { registry, topicFor } = setup({
        staticRoute: { topic: 'clickstream', appIds: new Set(['demo-app']) },
      });
      registry.failure = new Error('boom');
      expect(await topicFor('demo-app')).toBe('clickstream');
      await expect(topicFor('other')).rejects.toMatchObject({ statusCode: 503 });
    });

    it('does not cache the failure: the next request asks again', async () => {
      const { store, registry, topicFor } = setup();
      await activePipeline(store, ['web'], 't');
      registry.failure = new Error('boom');
      await expect(topicFor('web')).rejects.toMatchObject({ statusCode: 503 });
      registry.failure = undefined;
      expect(await topicFor('web')).toBe('t');
    });
  });
});

describe('ingest handler with registry routing (API Gateway HTTP API payload 2.0)', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  beforeEach(() => ddb.reset());

  function app(registry: RouteRegistry) {
    const producer = new RecordingProducer();
    const log = new MemoryLog();
    const deps: CollectDeps = {
      producer,
      routeFor: createRouteResolver({ registry, log, retryAfterSeconds: 5 }),
      isUnavailable: () => false,
      ackTimeoutMs: 5000,
      retryAfterSeconds: 5,
      now: () => 1_700_000_000_900,
    };
    return { producer, log, handle: createIngestApp(() => deps, log) };
  }

  const post = () => fixture<APIGatewayProxyEventV2>('apigw/collect-post.json');

  it('writes the events of an app whose pipeline is ACTIVE to the pipeline topic', async () => {
    const store = new MemoryPipelineStore();
    await activePipeline(store, ['demo-app'], 'demo-topic');
    const { handle, producer } = app(store);
    const res = await handle(post());
    expect(res.statusCode).toBe(200);
    expect(producer.sent.map((s) => s.topic)).toEqual(['demo-topic']);
  });

  it.each(['CREATING', 'FAILED', 'DELETING'] as const)(
    'answers 403 for an app whose pipeline is %s',
    async (status) => {
      const store = new MemoryPipelineStore();
      const { pipeline } = await store.create(newPipeline({ appIds: ['demo-app'] }));
      if (status === 'FAILED') await store.transition(pipeline.id, 'FAILED');
      if (status === 'DELETING') {
        await store.transition(pipeline.id, 'ACTIVE');
        await store.transition(pipeline.id, 'DELETING');
      }
      const { handle, producer } = app(store);
      const res = await handle(post());
      expect(res.statusCode).toBe(403);
      expect(JSON.parse(res.body!).message).toContain(`appId 'demo-app' belongs to pipeline ${pipeline.id}, which `);
      expect(JSON.parse(res.body!).message).toContain(status === 'CREATING' ? 'is still CREATING' : `is ${status}`);
      expect(producer.sent).toHaveLength(0);
    },
  );

  it('reads the route with one GetItem on the registry table', async () => {
    ddb.on(GetCommand).resolves({ Item: { pipelineId: 'p1', topic: 'from-dynamodb', active: true } });
    const { handle, producer } = app(
      new DynamoPipelineStore({ client: createDocumentClient(), tableName: 'registry' }),
    );
    expect((await handle(post())).statusCode).toBe(200);
    expect(producer.sent[0]!.topic).toBe('from-dynamodb');
    expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input.Key)).toEqual([{ pk: 'APP#demo-app' }]);
  });

  it('answers 503 with Retry-After (not 500) when DynamoDB throttles the route lookup, and logs why', async () => {
    ddb.on(GetCommand).rejects(
      new ProvisionedThroughputExceededException({
        message: 'Rate exceeded',
        $metadata: { httpStatusCode: 400 },
      }),
    );
    const { handle, producer, log } = app(
      new DynamoPipelineStore({ client: createDocumentClient(), tableName: 'registry' }),
    );
    const res = await handle(post());
    expect(res.statusCode).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(JSON.parse(res.body!).message).toBe('the pipelines registry is unavailable; retry later');
    expect(producer.sent).toHaveLength(0);
    expect(JSON.stringify(log.entries)).toContain('ProvisionedThroughputExceededException');
  });
});
