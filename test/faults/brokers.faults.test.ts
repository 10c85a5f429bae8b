/**
 * Broker faults under load: rolling restarts, then every broker down, then every broker hung.
 * Whatever the answers, every acknowledged event reaches S3, and no send stores an event twice.
 */
import {
  control,
  during,
  everyBroker,
  expectAcknowledgedStoredOnce,
  load,
  outcome,
  sleep,
  useFaultStack,
} from './harness.ts';

describe('faults: Kafka brokers', () => {
  const stack = useFaultStack();

  it('rolling broker restarts: nothing acknowledged is missing, nothing is stored twice', async () => {
    const { api, s3Dir } = stack();
    const traffic = load(api, { tag: 'rolling', requests: 300, pauseMs: 20 });
    const result = await during(traffic, async () => {
      for (const id of stack().cluster.nodeIds) {
        await sleep(700);
        await control(stack(), 'POST', `/_local/kafka/brokers/${id}/stop`);
        await sleep(1500);
        await control(stack(), 'POST', `/_local/kafka/brokers/${id}/start`);
      }
    });
    const counts = await outcome('rolling broker restarts', s3Dir, [result]);
    expect(counts.acknowledged).toBeGreaterThan(0);
    expectAcknowledgedStoredOnce(counts);
  }, 240_000);

  it('all brokers down, then all hung: 503s, and nothing acknowledged is missing', async () => {
    const { api, s3Dir } = stack();
    const traffic = load(api, { tag: 'down', requests: 150, pauseMs: 30 });
    const result = await during(traffic, async () => {
      await sleep(500);
      await everyBroker(stack(), 'stop');
      await sleep(3000);
      await everyBroker(stack(), 'start');
      await sleep(1000);
      // Hung: every answer 20 s late, beyond the ingest's ack timeout.
      await everyBroker(stack(), 'delay', { ms: 20_000 });
      await sleep(4000);
      await everyBroker(stack(), 'delay', { ms: 0 });
    });
    const counts = await outcome('all brokers down then hung', s3Dir, [result]);
    expect(counts.unavailable).toBeGreaterThan(0);
    expect(counts.acknowledged).toBeGreaterThan(0);
    expectAcknowledgedStoredOnce(counts);
  }, 240_000);
});
