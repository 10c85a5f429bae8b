import { murmur2 as libraryMurmur2 } from '@platformatic/kafka';
import {
  clusterKey,
  createClusterConnection,
  createProducerPool,
  keyPartitioner,
  murmur2,
  splitByBytes,
  type ClusterConnection,
  type EventProducer,
  type EventRecord,
} from '../../../functions/lib/kafka/index.ts';

class FakeProducer implements EventProducer {
  readonly sent: { topic: string; records: readonly EventRecord[] }[] = [];
  closed = false;
  gate: Promise<void> | undefined;
  readonly conn: ClusterConnection;
  constructor(conn: ClusterConnection) {
    this.conn = conn;
  }
  async send(topic: string, records: readonly EventRecord[]): Promise<void> {
    if (this.gate) await this.gate;
    this.sent.push({ topic, records });
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

const conn = (...brokers: string[]) => createClusterConnection({ brokers, auth: 'none' });
const record: EventRecord = { key: 'k', value: 'v' };

function pool(options: { maxProducers?: number; idleMs?: number } = {}) {
  const clock = { ms: 0 };
  const created: FakeProducer[] = [];
  const p = createProducerPool({
    ...options,
    now: () => clock.ms,
    create: (c) => {
      const producer = new FakeProducer(c);
      created.push(producer);
      return producer;
    },
  });
  return { p, clock, created };
}

describe('producer pool', () => {
  it('creates one producer per cluster on first use and reuses it (broker order does not matter)', async () => {
    const { p, created } = pool();
    await p.send(conn('a:9092', 'b:9092'), 't1', [record]);
    await p.send(conn('b:9092', 'a:9092'), 't2', [record]);
    await p.send(conn('c:9092', 'd:9092'), 't3', [record]);
    expect(created.map((c) => c.conn.brokers)).toEqual([
      ['a:9092', 'b:9092'],
      ['c:9092', 'd:9092'],
    ]);
    expect(created[0]!.sent.map((s) => s.topic)).toEqual(['t1', 't2']);
    expect(created[1]!.sent.map((s) => s.topic)).toEqual(['t3']);
    expect(p.size).toBe(2);
    await p.close();
  });

  it('tells clusters apart by auth and credentials, not only by brokers', () => {
    const plain = clusterKey(createClusterConnection({ brokers: ['a:9096'], auth: 'none' }));
    const scram1 = clusterKey(
      createClusterConnection({ brokers: ['a:9096'], auth: 'scram', scramSecretArn: 'AmazonMSK_one' }),
    );
    const scram2 = clusterKey(
      createClusterConnection({ brokers: ['a:9096'], auth: 'scram', scramSecretArn: 'AmazonMSK_two' }),
    );
    expect(new Set([plain, scram1, scram2]).size).toBe(3);
  });

  it('holds at most maxProducers, closing the least recently used idle one to make room', async () => {
    const { p, created } = pool({ maxProducers: 2 });
    await p.send(conn('a:1'), 't', [record]);
    await p.send(conn('b:1'), 't', [record]);
    await p.send(conn('a:1'), 't', [record]); // a is now the most recently used
    await p.send(conn('c:1'), 't', [record]);
    expect(p.size).toBe(2);
    expect(created.map((c) => [c.conn.brokers[0], c.closed])).toEqual([
      ['a:1', false],
      ['b:1', true],
      ['c:1', false],
    ]);
    await p.close();
  });

  it('refuses, as unavailable, a new cluster when every producer is busy', async () => {
    const { p, created } = pool({ maxProducers: 1 });
    await p.send(conn('a:1'), 't', [record]);
    let open!: () => void;
    created[0]!.gate = new Promise((resolve) => {
      open = resolve;
    });
    const inFlight = p.send(conn('a:1'), 't', [record]);
    await new Promise((resolve) => setImmediate(resolve));
    await expect(p.send(conn('b:1'), 't', [record])).rejects.toMatchObject({ name: 'KafkaUnavailableError' });
    open();
    await inFlight;
    expect(created).toHaveLength(1);
    await p.close();
  });

  it('closes a producer unused for idleMs, and builds a new one when its cluster is used again', async () => {
    const { p, clock, created } = pool({ idleMs: 60_000 });
    await p.send(conn('a:1'), 't', [record]);
    clock.ms = 59_000;
    await p.sweep();
    expect(created[0]!.closed).toBe(false);
    clock.ms = 61_000;
    await p.send(conn('b:1'), 't', [record]);
    expect(created[0]!.closed).toBe(true);
    expect(p.size).toBe(1);
    await p.send(conn('a:1'), 't', [record]);
    expect(created).toHaveLength(3);
    await p.close();
    expect(created.every((c) => c.closed)).toBe(true);
    await expect(p.send(conn('a:1'), 't', [record])).rejects.toMatchObject({
      name: 'KafkaUnavailableError',
      reason: 'closed',
    });
  });
});

describe('splitByBytes', () => {
  const message = (bytes: number) => ({ topic: 't', key: Buffer.alloc(10), value: Buffer.alloc(bytes) });

  it('keeps small sends whole and splits larger ones in order under the bound', () => {
    expect(splitByBytes([message(100), message(100)], 1_000_000)).toHaveLength(1);
    const messages = Array.from({ length: 5 }, () => message(400_000));
    const chunks = splitByBytes(messages, 1_000_000);
    expect(chunks.map((c) => c.length)).toEqual([2, 2, 1]);
    expect(chunks.flat()).toEqual(messages);
  });

  it('sends a record larger than the bound alone', () => {
    expect(splitByBytes([message(10), message(2_000_000), message(10)], 1_000_000).map((c) => c.length)).toEqual([
      1, 1, 1,
    ]);
  });
});

describe('murmur2', () => {
  it("gives the Java client's values (Kafka's UtilsTest) and the library's for every length", () => {
    const java: Record<string, number> = {
      21: -973932308,
      foobar: -790332482,
      'a-little-bit-long-string': -985981536,
      'a-little-bit-longer-string': -1486304829,
      lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8: -58897971,
    };
    for (const [text, hash] of Object.entries(java)) expect(murmur2(Buffer.from(text))).toBe(hash);
    for (let n = 0; n < 200; n++) {
      const data = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + n * 11) & 0xff));
      expect(murmur2(data)).toBe(libraryMurmur2(data));
    }
    expect(keyPartitioner(undefined, Buffer.from('foobar'))).toBe(-790332482 & 0x7fffffff);
  });

  it("is linear: a 1 MB key hashes in well under a second (the library's takes over a second for 100 KB)", () => {
    const started = process.hrtime.bigint();
    murmur2(Buffer.alloc(1024 * 1024, 7));
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(1_000);
  });
});
