import kafkajs from 'kafkajs';
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import { quietKafka } from './helpers.ts';

/** Kafka's default message.max.bytes, which the dev broker enforces per record batch. */
const MESSAGE_MAX_BYTES = 1048588;

describe('dev broker message.max.bytes', () => {
  let cluster: DevCluster;
  let producer: kafkajs.Producer;
  let consumer: kafkajs.Consumer | undefined;
  let kafka: kafkajs.Kafka;

  beforeAll(async () => {
    cluster = await startCluster({ brokers: 1, port: 0 });
    kafka = quietKafka(cluster.brokers, 'too-large-test', { retries: 1, initialRetryTime: 50 });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'big', numPartitions: 1 }], waitForLeaders: true });
    await admin.disconnect();
    producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
  });

  afterAll(async () => {
    await consumer?.disconnect();
    await producer?.disconnect();
    await cluster?.close();
  });

  it('refuses a record batch larger than message.max.bytes with MESSAGE_TOO_LARGE, as Kafka does', async () => {
    const value = Buffer.alloc(MESSAGE_MAX_BYTES, 0x61);
    const error = await producer.send({ topic: 'big', messages: [{ value }] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeDefined();
    expect(String((error as Error).message)).toMatch(/larger than the max message size/i);
    expect(
      (error as { type?: string; cause?: { type?: string } }).cause?.type ?? (error as { type?: string }).type,
    ).toBe('MESSAGE_TOO_LARGE');
  });

  it('accepts a batch just under the limit and keeps every byte', async () => {
    // Batch overhead: 61-byte header + ~20 bytes of record framing for one keyless record.
    const value = Buffer.alloc(MESSAGE_MAX_BYTES - 200, 0x62);
    await producer.send({ topic: 'big', messages: [{ value }] });
    consumer = kafka.consumer({
      groupId: 'big-reader',
      maxBytes: 4 * 1024 * 1024,
      maxBytesPerPartition: 4 * 1024 * 1024,
    });
    await consumer.connect();
    await consumer.subscribe({ topic: 'big', fromBeginning: true });
    const got = await new Promise<Buffer>((resolve) => {
      void consumer!.run({ eachMessage: async ({ message }) => resolve(message.value!) });
    });
    expect(got.equals(value)).toBe(true);
  });
});
