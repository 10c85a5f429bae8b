import kafkajs from 'kafkajs';
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import {
  expectGroupConsumesAll,
  expectResumeFromCommitted,
  KEY_COUNT,
  keyedMessages,
  MESSAGE_COUNT,
  quietKafka,
  Received,
  startKafkajsMember,
} from './helpers.ts';

const { CompressionTypes, ConfigResourceTypes } = kafkajs;
type Consumer = kafkajs.Consumer;

const TOPIC = 'clicks-kafkajs';
const GROUP = 'sink-kafkajs';

describe('dev broker with kafkajs', () => {
  let cluster: DevCluster;
  let kafka: kafkajs.Kafka;
  let admin: kafkajs.Admin;
  let producer: kafkajs.Producer;
  const consumers: Consumer[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3, port: 0, groupInitialRebalanceDelayMs: 300 });
    kafka = quietKafka(cluster.brokers, 'kafkajs-test', { retries: 5, initialRetryTime: 100 });
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
  });

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.disconnect()));
    await producer?.disconnect();
    await admin?.disconnect();
    await cluster?.close();
  });

  async function startMember(received: Received, name: string): Promise<Consumer> {
    const consumer = await startKafkajsMember(
      kafka,
      { groupId: GROUP, topic: TOPIC, member: name, maxWaitTimeInMs: 200 },
      received,
    );
    consumers.push(consumer);
    return consumer;
  }

  async function stopMembers(): Promise<void> {
    await Promise.all(consumers.splice(0).map((c) => c.disconnect()));
  }

  async function committedTotal(): Promise<number> {
    const [topic] = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    return (topic?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  }

  it('creates a topic with 3 partitions spread over the brokers', async () => {
    await expect(
      admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3, replicationFactor: 3 }] }),
    ).resolves.toBe(true);
    const { topics } = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    const partitions = topics[0]!.partitions;
    expect(partitions).toHaveLength(3);
    expect(new Set(partitions.map((p) => p.leader))).toEqual(new Set([0, 1, 2]));
    expect(partitions.every((p) => p.replicas.length === 3)).toBe(true);
  });

  it('produces 10,000 keyed gzip messages', async () => {
    const all = keyedMessages(MESSAGE_COUNT);
    for (let i = 0; i < all.length; i += 2000) {
      await producer.send({
        topic: TOPIC,
        compression: CompressionTypes.GZIP,
        acks: -1,
        messages: all.slice(i, i + 2000),
      });
    }
    const offsets = await admin.fetchTopicOffsets(TOPIC);
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(MESSAGE_COUNT);
  });

  it('consumes every message once in a group of 2 members and commits', async () => {
    await expectGroupConsumesAll(startMember, committedTotal, MESSAGE_COUNT, KEY_COUNT);
    const description = await admin.describeGroups([GROUP]);
    expect(description.groups[0]).toMatchObject({
      groupId: GROUP,
      state: 'Stable',
      protocolType: 'consumer',
    });
    expect(description.groups[0]!.members).toHaveLength(2);
    const { groups } = await admin.listGroups();
    expect(groups).toContainEqual({ groupId: GROUP, protocolType: 'consumer' });
  });

  it('resumes from the committed offsets after the consumers restart', async () => {
    await stopMembers();
    await producer.send({
      topic: TOPIC,
      compression: CompressionTypes.GZIP,
      messages: keyedMessages(500, MESSAGE_COUNT),
    });
    await expectResumeFromCommitted(startMember, committedTotal, MESSAGE_COUNT, 500);
    await stopMembers();
  });

  it('describes the broker configs', async () => {
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        {
          type: ConfigResourceTypes.BROKER,
          name: '1',
          configNames: ['auto.create.topics.enable', 'default.replication.factor', 'num.partitions'],
        },
      ],
    });
    const entries = Object.fromEntries(resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    expect(entries).toEqual({
      'auto.create.topics.enable': 'true',
      'default.replication.factor': '3',
      'num.partitions': '1',
    });
  });

  it('lists offsets by timestamp, down to the record inside a batch', async () => {
    await admin.createTopics({ topics: [{ topic: 'by-time', numPartitions: 1 }] });
    await producer.send({
      topic: 'by-time',
      messages: ['1000', '2000', '3000'].map((timestamp) => ({ value: timestamp, timestamp })),
    });
    const at = async (ts: number) => (await admin.fetchTopicOffsetsByTimestamp('by-time', ts))[0]!.offset;
    expect(await at(0)).toBe('0');
    expect(await at(1500)).toBe('1');
    expect(await at(3000)).toBe('2');
    const [earliest] = await admin.fetchTopicOffsets('by-time');
    expect(earliest).toMatchObject({ low: '0', high: '3' });
  });

  it('deletes the topic', async () => {
    await admin.deleteTopics({ topics: [TOPIC] });
    expect(await admin.listTopics()).not.toContain(TOPIC);
  });
});
