import { connect } from 'node:net';
import kafkajs from 'kafkajs';
import { Producer, stringSerializers } from '@platformatic/kafka';
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import { coordinatorIndex } from '../../../../local/kafka/group-coordinator.ts';
import { keyedMessages, quietKafka, Received, waitFor } from './helpers.ts';

const STOPPED = 1;
const TOPIC = 'outage';
const FRAGILE = 'outage-single-replica';

function refusesConnections(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}

/** A group id coordinated by `broker`, so stopping that broker also moves the coordinator. */
function groupCoordinatedBy(broker: number, brokers: number): string {
  for (let i = 0; ; i++) if (coordinatorIndex(`outage-group-${i}`, brokers) === broker) return `outage-group-${i}`;
}

describe('dev broker outage and recovery', () => {
  let cluster: DevCluster;
  let kafka: kafkajs.Kafka;
  let admin: kafkajs.Admin;
  let producer: kafkajs.Producer;
  let consumer: kafkajs.Consumer;
  const received = new Received();
  let sent = 0;

  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3, port: 0 });
    kafka = quietKafka(cluster.brokers, 'outage', { retries: 10, initialRetryTime: 50, maxRetryTime: 400 });
    admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: TOPIC, numPartitions: 3, replicationFactor: 3 },
        { topic: FRAGILE, replicaAssignment: [{ partition: 0, replicas: [STOPPED] }] },
      ],
    });
    producer = kafka.producer();
    await producer.connect();
    consumer = kafka.consumer({
      groupId: groupCoordinatedBy(STOPPED, 3),
      sessionTimeout: 2500,
      heartbeatInterval: 200,
      maxWaitTimeInMs: 100,
      retry: { retries: 10, initialRetryTime: 50, maxRetryTime: 400 },
    });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) =>
        received.add('c', partition, message.offset, message.key!.toString(), message.value!.toString()),
    });
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await admin?.disconnect();
    await cluster?.close();
  });

  async function produce(count: number): Promise<void> {
    await producer.send({ topic: TOPIC, messages: keyedMessages(count, sent) });
    sent += count;
  }

  function leaders(topics: Array<{ partitions: Array<{ leader: number }> }>): number[] {
    return topics[0]!.partitions.map((p) => p.leader);
  }

  it('serves producers and a consumer group before the outage', async () => {
    await produce(100);
    await waitFor(() => received.seqs.size === 100, 'first 100 messages');
    expect(leaders((await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics)).toContain(STOPPED);
  });

  it('moves leadership and the coordinator off a stopped broker whose port then refuses connections', async () => {
    await cluster.stopBroker(STOPPED);
    const port = Number(cluster.brokers[STOPPED]!.split(':')[1]);
    expect(await refusesConnections(port)).toBe(true);
    const metadata = await admin.fetchTopicMetadata({ topics: [TOPIC] });
    expect(leaders(metadata.topics)).not.toContain(STOPPED);
    await produce(100);
    await waitFor(() => received.seqs.size === 200, 'messages produced during the outage');
  });

  it('makes a client report the outage for a partition with no live replica', async () => {
    const fragile = new Producer({
      clientId: 'fragile',
      bootstrapBrokers: cluster.brokers,
      serializers: stringSerializers,
      retries: 0,
    });
    try {
      await expect(fragile.send({ messages: [{ topic: FRAGILE, value: 'lost?' }] })).rejects.toThrow();
    } finally {
      await fragile.close();
    }
  });

  it('recovers after the broker restarts', async () => {
    await cluster.restartBroker(STOPPED);
    const port = Number(cluster.brokers[STOPPED]!.split(':')[1]);
    expect(await refusesConnections(port)).toBe(false);
    await waitFor(
      async () => leaders((await admin.fetchTopicMetadata({ topics: [TOPIC] })).topics).includes(STOPPED),
      'preferred leader back',
    );
    await produce(100);
    await waitFor(() => received.seqs.size === 300, 'messages produced after the restart');
    const fragile = new Producer({
      clientId: 'fragile-2',
      bootstrapBrokers: cluster.brokers,
      serializers: stringSerializers,
      retries: 5,
      retryDelay: 100,
    });
    try {
      const result = await fragile.send({ messages: [{ topic: FRAGILE, value: 'back' }] });
      expect(result.offsets?.[0]).toMatchObject({ topic: FRAGILE, partition: 0, offset: 0n });
    } finally {
      await fragile.close();
    }
    // at-least-once: a consumer that lost its fetch connection may see a batch again, but nothing is lost
    expect(received.seqs.size).toBe(sent);
  });
});
