/**
 * End to end through functions/lib/kafka against the 3-broker dev cluster (local/kafka): topic
 * created with createAdmin, records produced with the EventProducer (idempotent, acks=all), read
 * back with createConsumer; plus the producer's behaviour when brokers stall and recover.
 */
import type { Admin, Consumer, MessagesStream } from '@platformatic/kafka';
import { startCluster, type DevCluster } from '../../local/kafka/index.ts';
import {
  createAdmin,
  createEventProducer,
  KafkaUnavailableError,
  parseClusterConfig,
  type ClusterConnection,
  type Compression,
  type EventRecord,
} from '../../functions/lib/kafka/index.ts';
import { createConsumer } from '../helpers/kafka-consumer.ts';
import { rejectedAs } from '../helpers/thrown.ts';

type BufferConsumer = Consumer<Buffer, Buffer, Buffer, Buffer>;

interface Read {
  partition: number;
  key: string;
  value: string;
  headers: Record<string, string>;
}

async function waitFor(check: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function records(count: number, tag: string): EventRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `app:user-${i % 7}`,
    value: JSON.stringify({ event_id: `${tag}-${i}`, event_type: 'click' }),
    headers: { app_id: 'app', event_type: 'click' },
  }));
}

describe('kafka client against the dev cluster', () => {
  let cluster: DevCluster;
  let conn: ClusterConnection;
  let admin: Admin;
  const consumers: Array<{
    consumer: BufferConsumer;
    stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
  }> = [];

  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3, port: 0, autoCreateTopics: false });
    conn = parseClusterConfig({ KAFKA_BROKERS: cluster.bootstrap });
    admin = await createAdmin(conn, { clientId: 'kafka-client-test-admin' });
  });

  afterAll(async () => {
    for (const { consumer, stream } of consumers) {
      await stream.close();
      await consumer.close(true);
    }
    await admin?.close();
    await cluster?.close();
  });

  async function readBack(topic: string, expected: number): Promise<Read[]> {
    const consumer = await createConsumer(conn, `reader-${topic}`, {
      consumer: { maxWaitTime: 200, sessionTimeout: 6000, heartbeatInterval: 300 },
    });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    consumers.push({ consumer, stream });
    const read: Read[] = [];
    stream.on('data', (message) => {
      read.push({
        partition: message.partition,
        key: message.key.toString(),
        value: message.value.toString(),
        headers: Object.fromEntries([...message.headers].map(([k, v]) => [k.toString(), v.toString()])),
      });
    });
    await waitFor(() => read.length >= expected, `${expected} records on ${topic}`);
    return read;
  }

  /** A fresh topic on the cluster (replicated to all three brokers) and a producer for it, closed after `use`. */
  async function withTopicProducer(
    topic: string,
    partitions: number,
    options: Parameters<typeof createEventProducer>[1],
    use: (producer: ReturnType<typeof createEventProducer>) => Promise<void>,
  ): Promise<void> {
    await admin.createTopics({ topics: [topic], partitions, replicas: 3 });
    const producer = createEventProducer(conn, options);
    try {
      await use(producer);
    } finally {
      await producer.close();
    }
  }

  it('produces through the EventProducer to a replicated topic and reads every record back', async () => {
    await withTopicProducer('events', 3, { clientId: 'kafka-client-test' }, async (producer) => {
      const sent = records(60, 'plain');
      await producer.send('events', sent.slice(0, 30));
      await producer.send('events', sent.slice(30));
      const read = await readBack('events', sent.length);
      expect(read).toHaveLength(sent.length);
      expect(read.map((r) => r.value).sort()).toEqual(sent.map((r) => r.value as string).sort());
      expect(read.every((r) => r.headers['app_id'] === 'app' && r.headers['event_type'] === 'click')).toBe(true);
      // One key, one partition: a user's events stay ordered.
      const partitionsByKey = new Map<string, Set<number>>();
      for (const r of read) partitionsByKey.set(r.key, (partitionsByKey.get(r.key) ?? new Set()).add(r.partition));
      expect([...partitionsByKey.values()].every((p) => p.size === 1)).toBe(true);
      expect(new Set(read.map((r) => r.partition)).size).toBeGreaterThan(1);
    });
  });

  it.each<Compression>(['gzip', 'lz4', 'snappy', 'zstd'])(
    'round-trips records compressed with %s',
    async (compression) => {
      const topic = `events-${compression}`;
      await withTopicProducer(topic, 1, { compression }, async (producer) => {
        const sent = records(20, compression);
        await producer.send(topic, sent);
        const read = await readBack(topic, sent.length);
        expect(read.map((r) => r.value)).toEqual(sent.map((r) => r.value));
      });
    },
  );

  it('rejects with KafkaUnavailableError while the brokers stall and succeeds on the next send once they answer', async () => {
    await withTopicProducer('events-stall', 1, undefined, async (producer) => {
      await producer.send('events-stall', records(1, 'warm'));
      for (const i of cluster.nodeIds) cluster.delayBroker(i, 900);
      const stalled = producer.send('events-stall', records(1, 'stalled'), { timeoutMs: 300 });
      expect((await rejectedAs(KafkaUnavailableError, stalled)).reason).toBe('timeout');
      for (const i of cluster.nodeIds) cluster.delayBroker(i, 0);
      await producer.send('events-stall', records(1, 'after'));
      const read = await readBack('events-stall', 2);
      const ids = read.map((r) => (JSON.parse(r.value) as { event_id: string }).event_id);
      expect(ids).toEqual(expect.arrayContaining(['warm-0', 'after-0']));
    });
  });

  it('rejects with KafkaUnavailableError when every broker is down and recovers when they return', async () => {
    await withTopicProducer('events-outage', 1, undefined, async (producer) => {
      await producer.send('events-outage', records(1, 'before'));
      for (const i of cluster.nodeIds) await cluster.stopBroker(i);
      const down = producer.send('events-outage', records(1, 'down'), { timeoutMs: 1_000 });
      expect(['unreachable', 'timeout']).toContain((await rejectedAs(KafkaUnavailableError, down)).reason);
      for (const i of cluster.nodeIds) await cluster.restartBroker(i);
      await producer.send('events-outage', records(1, 'back'));
    });
  });
});
