import { gzipSync } from 'node:zlib';
import { useTestStack } from '../helpers/test-stack.ts';
import { expectedPartition, readLocalObjects, waitFor } from '../helpers/local-s3.ts';

const BATCHES = 50;
const PER_BATCH = 100;

describe('end to end: POST /collect -> Kafka -> event source mapping -> Firehose -> local S3', () => {
  const stack = useTestStack('e2e-stack-');

  it('stores every accepted event exactly once, enriched, under its partition, and no rejected one', async () => {
    const accepted = new Set<string>();
    const rejected = new Set<string>();
    const posts: Promise<void>[] = [];
    for (let b = 0; b < BATCHES; b++) {
      const events: Record<string, unknown>[] = [];
      for (let i = 0; i < PER_BATCH; i++) {
        events.push({
          event_id: `b${b}-e${i}`,
          event_type: i % 2 ? 'click' : 'page_view',
          timestamp: Date.now(),
          app_id: 'demo-app',
          unique_id: `u-${i % 7}`,
        });
      }
      // Invalid ones ride along: wrong app, no timestamp.
      events.push({
        event_id: `b${b}-bad-app`,
        event_type: 'click',
        timestamp: Date.now(),
        app_id: 'other-app',
      });
      events.push({ event_id: `b${b}-bad-ts`, event_type: 'click', app_id: 'demo-app' });
      const json = JSON.stringify(events);
      const gzip = b % 2 === 1;
      const url = `${stack().api}/collect?appId=demo-app&upload_timestamp=${Date.now()}${gzip ? '&compression=gzip' : ''}`;
      posts.push(
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': gzip ? 'text/plain' : 'application/json' },
          body: gzip ? gzipSync(json).toString('base64') : json,
        }).then(async (res) => {
          expect(res.status).toBe(200);
          const body = (await res.json()) as { accepted: number; rejected: { event_id: string }[] };
          expect(body.accepted).toBe(PER_BATCH);
          for (const e of events) {
            const id = String(e.event_id);
            if (body.rejected.some((r) => r.event_id === id)) rejected.add(id);
            else accepted.add(id);
          }
        }),
      );
      if (posts.length >= 5) await Promise.all(posts.splice(0));
    }
    await Promise.all(posts);
    expect(accepted.size).toBe(BATCHES * PER_BATCH);
    expect(rejected.size).toBe(BATCHES * 2);

    // A plain invalid request is refused and stores nothing.
    const bad = await fetch(`${stack().api}/collect?appId=demo-app`, {
      method: 'POST',
      body: '{"not":"an event"',
    });
    expect(bad.status).toBe(400);

    await waitFor(
      async () => {
        const stored = await readLocalObjects(stack().s3Dir, 'clickstream-local', 'events/');
        return stored.length >= accepted.size ? stored : undefined;
      },
      90_000,
      `${accepted.size} events in local S3`,
    );
    // Stop everything (flushes buffers) before the final count, so late duplicates would show.
    await stack().close();

    const stored = await readLocalObjects(stack().s3Dir, 'clickstream-local', 'events/');
    const counts = new Map<string, number>();
    for (const { event } of stored) counts.set(event.event_id, (counts.get(event.event_id) ?? 0) + 1);
    const duplicates = [...counts].filter(([, n]) => n > 1);
    expect(duplicates).toEqual([]);
    expect(new Set(counts.keys())).toEqual(accepted);
    for (const id of rejected) expect(counts.has(id)).toBe(false);
    for (const { key, event } of stored) {
      expect(key.startsWith(expectedPartition('demo-app', event.ingest_time))).toBe(true);
      expect(key.endsWith('.gz')).toBe(true);
      expect(event).toMatchObject({
        app_id: 'demo-app',
        client_ip: '127.0.0.1',
        request_id: expect.any(String),
        timestamp_corrected: expect.any(Number),
      });
    }
  }, 180_000);
});
