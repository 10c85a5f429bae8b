/**
 * Broker faults under load: rolling restarts, then every broker down, then every broker hung.
 * Whatever the answers, every acknowledged event reaches S3, and no send stores an event twice.
 */
import type { Stack } from '../../local/stack.ts';
import { control, load, report, settle, sleep } from './harness.ts';
import { useTestStack } from '../helpers/test-stack.ts';

describe('faults: Kafka brokers', () => {
  const current = useTestStack('faults-');
  let stack: Stack;
  beforeEach(() => {
    stack = current();
  });

  it('rolling broker restarts: nothing acknowledged is missing, nothing is stored twice', async () => {
    const traffic = load(stack.api, {
      tag: 'rolling',
      requests: 300,
      perRequest: 20,
      concurrency: 4,
      pauseMs: 20,
    });
    for (const id of stack.cluster.nodeIds) {
      await sleep(700);
      await control(stack, 'POST', `/_local/kafka/brokers/${id}/stop`);
      await sleep(1500);
      await control(stack, 'POST', `/_local/kafka/brokers/${id}/start`);
    }
    const result = await traffic;
    const counts = await settle(stack.s3Dir, [result]);
    report('rolling broker restarts', counts);
    expect(counts.acknowledged).toBeGreaterThan(0);
    expect(counts.missing).toBe(0);
    expect(counts.duplicated).toBe(0);
  }, 240_000);

  it('all brokers down, then all hung: 503s, and nothing acknowledged is missing', async () => {
    const traffic = load(stack.api, {
      tag: 'down',
      requests: 150,
      perRequest: 20,
      concurrency: 4,
      pauseMs: 30,
    });
    await sleep(500);
    for (const id of stack.cluster.nodeIds) await control(stack, 'POST', `/_local/kafka/brokers/${id}/stop`);
    await sleep(3000);
    for (const id of stack.cluster.nodeIds) await control(stack, 'POST', `/_local/kafka/brokers/${id}/start`);
    await sleep(1000);
    // Hung: every answer 20 s late, beyond the ingest's ack timeout.
    for (const id of stack.cluster.nodeIds)
      await control(stack, 'POST', `/_local/kafka/brokers/${id}/delay`, { ms: 20_000 });
    await sleep(4000);
    for (const id of stack.cluster.nodeIds)
      await control(stack, 'POST', `/_local/kafka/brokers/${id}/delay`, { ms: 0 });
    const result = await traffic;
    const counts = await settle(stack.s3Dir, [result]);
    report('all brokers down then hung', counts);
    expect(counts.unavailable).toBeGreaterThan(0);
    expect(counts.acknowledged).toBeGreaterThan(0);
    expect(counts.missing).toBe(0);
    expect(counts.duplicated).toBe(0);
  }, 240_000);
});
