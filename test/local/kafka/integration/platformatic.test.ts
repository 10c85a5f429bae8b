import {
  Admin,
  Consumer,
  Producer,
  stringDeserializers,
  stringSerializers,
  type MessagesStream,
} from '@platformatic/kafka';
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import {
  expectGroupConsumesAll,
  expectResumeFromCommitted,
  KEY_COUNT,
  keyedMessages,
  latestOffsetsOf,
  MESSAGE_COUNT,
  Received,
} from './helpers.ts';

const TOPIC = 'clicks-platformatic';
const GROUP = 'sink-platformatic';

type StringConsumer = Consumer<string, string, string, string>;

describe('dev broker with @platformatic/kafka', () => {
  let cluster: DevCluster;
  let admin: Admin;
  let producer: Producer<string, string, string, string>;
  const members: Array<{ consumer: StringConsumer; stream: MessagesStream<string, string, string, string> }> = [];

  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3, port: 0, groupInitialRebalanceDelayMs: 300 });
    admin = new Admin({ clientId: 'platformatic-admin', bootstrapBrokers: cluster.brokers });
    producer = new Producer({
      clientId: 'platformatic-producer',
      bootstrapBrokers: cluster.brokers,
      serializers: stringSerializers,
      compression: 'gzip',
      idempotent: true,
    });
  });

  afterAll(async () => {
    await stopMembers();
    await producer?.close();
    await admin?.close();
    await cluster?.close();
  });

  async function startMember(received: Received, name: string): Promise<void> {
    const consumer: StringConsumer = new Consumer({
      groupId: GROUP,
      clientId: `platformatic-${name}`,
      bootstrapBrokers: cluster.brokers,
      deserializers: stringDeserializers,
      sessionTimeout: 6000,
      heartbeatInterval: 300,
      maxWaitTime: 200,
    });
    const stream = await consumer.consume({
      topics: [TOPIC],
      mode: 'committed',
      fallbackMode: 'earliest',
      autocommit: true,
    });
    stream.on('data', (m) => received.add(name, m.partition, m.offset, m.key, m.value));
    members.push({ consumer, stream });
  }

  async function stopMembers(): Promise<void> {
    for (const { consumer, stream } of members.splice(0)) {
      await stream.close();
      await consumer.close(true);
    }
  }

  async function committedTotal(): Promise<number> {
    const [group] = await admin.listConsumerGroupOffsets({ groups: [GROUP] });
    const partitions = group?.topics.find((t) => t.name === TOPIC)?.partitions ?? [];
    return partitions.reduce((sum, p) => sum + Math.max(0, Number(p.committedOffset)), 0);
  }

  it('creates a topic with 3 partitions spread over the brokers', async () => {
    await admin.createTopics({ topics: [TOPIC], partitions: 3, replicas: 3 });
    const metadata = await admin.metadata({ topics: [TOPIC] });
    const partitions = metadata.topics.get(TOPIC)!.partitions;
    expect(partitions).toHaveLength(3);
    expect(new Set(partitions.map((p) => p.leader))).toEqual(new Set([0, 1, 2]));
    expect(metadata.brokers.size).toBe(3);
  });

  it('produces 10,000 keyed gzip messages', async () => {
    const all = keyedMessages(MESSAGE_COUNT);
    for (let i = 0; i < all.length; i += 2000) {
      await producer.send({
        messages: all.slice(i, i + 2000).map((m) => ({ topic: TOPIC, key: m.key, value: m.value })),
      });
    }
    const offsets = await admin.listOffsets(latestOffsetsOf(TOPIC, 3));
    const total = offsets[0]!.partitions.reduce((sum, p) => sum + Number(p.offset), 0);
    expect(total).toBe(MESSAGE_COUNT);
  });

  it('consumes every message once in a group of 2 members and commits', async () => {
    await expectGroupConsumesAll(startMember, committedTotal, MESSAGE_COUNT, KEY_COUNT);
    const groups = await admin.describeGroups({ groups: [GROUP] });
    expect(groups.get(GROUP)).toMatchObject({ state: 'Stable', protocolType: 'consumer' });
    expect(groups.get(GROUP)!.members.size).toBe(2);
  });

  it('resumes from the committed offsets after the consumers restart', async () => {
    await stopMembers();
    await producer.send({
      messages: keyedMessages(500, MESSAGE_COUNT).map((m) => ({ topic: TOPIC, key: m.key, value: m.value })),
    });
    await expectResumeFromCommitted(startMember, committedTotal, MESSAGE_COUNT, 500);
    await stopMembers();
  });

  it('describes the broker configs', async () => {
    const [broker] = await admin.describeConfigs({
      resources: [
        {
          resourceType: 4,
          resourceName: '2',
          configurationKeys: ['auto.create.topics.enable', 'default.replication.factor', 'num.partitions'],
        },
      ],
    });
    const entries = Object.fromEntries(broker!.configs.map((c) => [c.name, c.value]));
    expect(entries).toEqual({
      'auto.create.topics.enable': 'true',
      'default.replication.factor': '3',
      'num.partitions': '1',
    });
  });

  it('deletes the topic', async () => {
    await admin.deleteTopics({ topics: [TOPIC] });
    expect(await admin.listTopics()).not.toContain(TOPIC);
  });
});
