import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import kafkajs from 'kafkajs';
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import { keyedMessages, quietKafka, Received, startKafkajsMember, waitFor } from './helpers.ts';
import { frame, metadataV4Body, parseProduceResponse, produceBody, RawConnection, recordBatch } from './raw-client.ts';

const { Kafka, CompressionTypes, logLevel } = kafkajs;

const TOPIC = 'persisted';
const GROUP = 'persisted-group';

describe('dev broker data dir', () => {
  let dataDir: string;
  let cluster: DevCluster | undefined;
  const clients: Array<{ disconnect(): Promise<void> }> = [];

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'kafka-dev-'));
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.disconnect()));
    await cluster?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  function client(c: DevCluster): kafkajs.Kafka {
    return quietKafka(c.brokers, 'persist', { retries: 5, initialRetryTime: 100 });
  }

  async function consume(kafka: kafkajs.Kafka, groupId: string, until: (r: Received) => boolean): Promise<Received> {
    const received = new Received();
    const consumer = await startKafkajsMember(
      kafka,
      { groupId, topic: TOPIC, member: groupId, maxWaitTimeInMs: 100 },
      received,
    );
    clients.push(consumer);
    await waitFor(() => until(received), `${groupId} to consume`);
    const admin = kafka.admin();
    await admin.connect();
    await waitFor(async () => {
      const [t] = await admin.fetchOffsets({ groupId, topics: [TOPIC] });
      return (t?.partitions ?? []).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0) >= received.positions.size;
    }, 'offsets committed');
    await admin.disconnect();
    clients.splice(clients.indexOf(consumer), 1);
    await consumer.disconnect();
    return received;
  }

  it('keeps topics, records and committed offsets across a restart', async () => {
    cluster = await startCluster({ brokers: 3, port: 0, dataDir });
    let kafka = client(cluster);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: TOPIC, numPartitions: 3, configEntries: [{ name: 'retention.ms', value: '3600000' }] },
        { topic: 'short-lived' },
      ],
    });
    await admin.deleteTopics({ topics: ['short-lived'] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: TOPIC, compression: CompressionTypes.GZIP, messages: keyedMessages(1000) });
    await producer.send({ topic: TOPIC, messages: keyedMessages(200, 1000) });
    await producer.disconnect();
    await admin.disconnect();
    const before = await consume(kafka, GROUP, (r) => r.seqs.size === 1200);
    expect(before.seqs.size).toBe(1200);
    await cluster.close();

    // an interrupted append leaves half a batch at the end of a partition file
    const topicDir = readdirSync(join(dataDir, 'logs'))[0]!;
    appendFileSync(join(dataDir, 'logs', topicDir, '0.log'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 1]));

    cluster = await startCluster({ brokers: 3, port: 0, dataDir });
    kafka = client(cluster);
    const admin2 = kafka.admin();
    await admin2.connect();
    try {
      expect((await admin2.listTopics()).sort()).toEqual([TOPIC]);
      const offsets = await admin2.fetchTopicOffsets(TOPIC);
      expect(offsets.reduce((s, p) => s + Number(p.high), 0)).toBe(1200);
      const configs = await admin2.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2, name: TOPIC, configNames: ['retention.ms'] }],
      });
      expect(configs.resources[0]!.configEntries[0]).toMatchObject({
        configName: 'retention.ms',
        configValue: '3600000',
      });

      // a fresh group reads back every record, byte for byte
      const replay = await consume(kafka, 'fresh-group', (r) => r.seqs.size === 1200);
      expect(replay.duplicates).toBe(0);
      expect(replay.keysStayOnOnePartition()).toBe(true);

      // the old group resumes after its committed offsets
      const producer2 = kafka.producer();
      await producer2.connect();
      await producer2.send({ topic: TOPIC, messages: keyedMessages(10, 1200) });
      await producer2.disconnect();
      const resumed = await consume(kafka, GROUP, (r) => r.seqs.size >= 10);
      expect(resumed.positions.size).toBe(10);
      expect(Math.min(...resumed.seqs)).toBe(1200);
    } finally {
      await admin2.disconnect();
    }
  });
});

describe('dev broker data dir: idempotent producers across a restart', () => {
  it('rebuilds producer state from the log: a batch resent after the restart is not stored twice, and new producer ids stay unique', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kafka-dev-pid-'));
    let c = await startCluster({ brokers: 1, port: 0, dataDir: dir });
    try {
      const port = () => Number(c.brokers[0]!.split(':')[1]);
      let conn = await RawConnection.open(port());
      await conn.request(frame(3, 4, 1, metadataV4Body('idem', true)));
      const producer = { id: 1000, epoch: 0, sequence: 0 };
      const first = parseProduceResponse(
        (await conn.request(
          frame(0, 3, 2, produceBody('idem', 0, recordBatch('a', 1_700_000_000_000, false, producer), -1)),
        ))!.subarray(4),
      );
      expect(first).toEqual({ errorCode: 0, baseOffset: 0n });
      conn.close();
      await c.close();

      c = await startCluster({ brokers: 1, port: 0, dataDir: dir });
      conn = await RawConnection.open(port());
      // The same batch again (a retry whose first answer was lost in the restart): answered, not appended.
      const again = parseProduceResponse(
        (await conn.request(
          frame(0, 3, 3, produceBody('idem', 0, recordBatch('a', 1_700_000_000_000, false, producer), -1)),
        ))!.subarray(4),
      );
      expect(again).toEqual({ errorCode: 0, baseOffset: 0n });
      // The producer's next batch follows on.
      const next = parseProduceResponse(
        (await conn.request(
          frame(
            0,
            3,
            4,
            produceBody('idem', 0, recordBatch('b', 1_700_000_000_001, false, { ...producer, sequence: 1 }), -1),
          ),
        ))!.subarray(4),
      );
      expect(next).toEqual({ errorCode: 0, baseOffset: 1n });
      conn.close();

      // InitProducerId after the restart does not hand out the restored producer's id again.
      const kafka = new Kafka({ clientId: 'pid', brokers: c.brokers, logLevel: logLevel.NOTHING });
      const p = kafka.producer({ idempotent: true });
      await p.connect();
      await p.send({ topic: 'idem', messages: [{ value: 'c' }] });
      await p.disconnect();
      const admin = kafka.admin();
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets('idem');
      await admin.disconnect();
      expect(offsets.find((o) => o.partition === 0)!.high).toBe('3');
    } finally {
      await c.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
