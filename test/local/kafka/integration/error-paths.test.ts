import kafkajs from 'kafkajs';
import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import { quietKafka } from './helpers.ts';
import {
  RawConnection,
  frame,
  metadataV4Body,
  metadataV4TopicError,
  parseProduceResponse,
  produceBody,
  recordBatch,
} from './raw-client.ts';

const UNKNOWN_TOPIC_OR_PARTITION = 3;
const CORRUPT_MESSAGE = 2;
const UNSUPPORTED_VERSION = 35;
const INVALID_REQUIRED_ACKS = 21;

/** Flattens kafkajs/platformatic error chains into the Kafka error names they carry. */
function errorNames(err: unknown): string[] {
  const names: string[] = [];
  const visit = (e: unknown): void => {
    if (e === null || typeof e !== 'object') return;
    const rec = e as Record<string, unknown>;
    for (const key of ['type', 'apiId']) if (typeof rec[key] === 'string') names.push(rec[key] as string);
    for (const key of ['errors', 'cause']) {
      const nested = rec[key];
      if (Array.isArray(nested)) nested.forEach(visit);
      else visit(nested);
    }
    if (rec.errors !== null && typeof rec.errors === 'object' && !Array.isArray(rec.errors))
      Object.values(rec.errors).forEach(visit);
  };
  visit(err);
  return names;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected the operation to fail');
}

describe('dev broker error paths', () => {
  describe('with auto.create.topics.enable=false', () => {
    let cluster: DevCluster;

    beforeAll(async () => {
      cluster = await startCluster({ brokers: 2, port: 0, autoCreateTopics: false });
    });

    afterAll(async () => {
      await cluster?.close();
    });

    it('answers UNKNOWN_TOPIC_OR_PARTITION to kafkajs for an unknown topic', async () => {
      const kafka = quietKafka(cluster.brokers, undefined, { retries: 1, initialRetryTime: 50 });
      const producer = kafka.producer();
      await producer.connect();
      try {
        const err = await rejection(producer.send({ topic: 'missing', messages: [{ value: 'x' }] }));
        expect(errorNames(err)).toContain('UNKNOWN_TOPIC_OR_PARTITION');
      } finally {
        await producer.disconnect();
      }
    });

    it('answers UNKNOWN_TOPIC_OR_PARTITION to a Metadata request that allows auto-creation', async () => {
      await RawConnection.using(cluster.brokers[0]!, async (conn) => {
        const response = await conn.request(frame(3, 4, 11, metadataV4Body('missing', true)));
        expect(metadataV4TopicError(response!.subarray(4))).toEqual({
          name: 'missing',
          errorCode: UNKNOWN_TOPIC_OR_PARTITION,
        });
      });
    });

    it('makes @platformatic/kafka report the unknown topic instead of creating it', async () => {
      const producer = new Producer({
        clientId: 'p',
        bootstrapBrokers: cluster.brokers,
        serializers: stringSerializers,
        autocreateTopics: true,
        retries: 0,
      });
      try {
        const err = await rejection(producer.send({ messages: [{ topic: 'missing', value: 'x' }] }));
        expect((err as Error).message).toBe('Unknown topic missing.');
      } finally {
        await producer.close();
      }
    });

    it('reports the setting through DescribeConfigs', async () => {
      const admin = new Admin({ clientId: 'a', bootstrapBrokers: cluster.brokers });
      try {
        const [broker] = await admin.describeConfigs({
          resources: [{ resourceType: 4, resourceName: '0', configurationKeys: ['auto.create.topics.enable'] }],
        });
        expect(broker!.configs[0]).toMatchObject({
          name: 'auto.create.topics.enable',
          value: 'false',
          configSource: 4,
        });
      } finally {
        await admin.close();
      }
    });
  });

  describe('with a 3-broker cluster', () => {
    let cluster: DevCluster;
    let kafka: kafkajs.Kafka;
    let admin: kafkajs.Admin;

    beforeAll(async () => {
      cluster = await startCluster({ brokers: 3, port: 0 });
      kafka = quietKafka(cluster.brokers, 'errors', { retries: 8, initialRetryTime: 50, maxRetryTime: 500 });
      admin = kafka.admin();
      await admin.connect();
    });

    afterAll(async () => {
      await admin?.disconnect();
      await cluster?.close();
    });

    it('rejects a replication factor above the broker count with INVALID_REPLICATION_FACTOR', async () => {
      const err = await rejection(
        admin.createTopics({ topics: [{ topic: 'too-replicated', numPartitions: 1, replicationFactor: 4 }] }),
      );
      expect(errorNames(err)).toContain('INVALID_REPLICATION_FACTOR');
      const platformatic = new Admin({ clientId: 'a', bootstrapBrokers: cluster.brokers, retries: 0 });
      try {
        const err2 = await rejection(
          platformatic.createTopics({ topics: ['too-replicated'], partitions: 1, replicas: 5 }),
        );
        expect(errorNames(err2)).toContain('INVALID_REPLICATION_FACTOR');
      } finally {
        await platformatic.close();
      }
      expect(await admin.listTopics()).not.toContain('too-replicated');
    });

    it('answers TOPIC_ALREADY_EXISTS and creates nothing on validateOnly', async () => {
      await admin.createTopics({ topics: [{ topic: 'dup', numPartitions: 1 }] });
      // kafkajs reports an existing topic as "not created" rather than as an error
      await expect(admin.createTopics({ topics: [{ topic: 'dup', numPartitions: 1 }] })).resolves.toBe(false);
      const platformatic = new Admin({ clientId: 'a', bootstrapBrokers: cluster.brokers, retries: 0 });
      try {
        const err = await rejection(platformatic.createTopics({ topics: ['dup'], partitions: 1, replicas: 1 }));
        expect(errorNames(err)).toContain('TOPIC_ALREADY_EXISTS');
      } finally {
        await platformatic.close();
      }
      await expect(
        admin.createTopics({
          validateOnly: true,
          waitForLeaders: false,
          topics: [{ topic: 'dry-run', numPartitions: 2 }],
        }),
      ).resolves.toBe(true);
      expect(await admin.listTopics()).not.toContain('dry-run');
    });

    it('rejects a record batch with a bad CRC with CORRUPT_MESSAGE and accepts the intact one', async () => {
      await admin.createTopics({ topics: [{ topic: 'raw', numPartitions: 1, replicationFactor: 1 }] });
      const { topics } = await admin.fetchTopicMetadata({ topics: ['raw'] });
      const leader = topics[0]!.partitions[0]!.leader;
      await RawConnection.using(cluster.brokers[leader]!, async (conn) => {
        const corrupted = recordBatch('hello');
        corrupted[corrupted.length - 2]! ^= 0xff; // flip bits inside the record, under the CRC
        const bad = await conn.request(frame(0, 3, 1, produceBody('raw', 0, corrupted)));
        expect(bad!.readInt32BE(0)).toBe(1);
        expect(parseProduceResponse(bad!.subarray(4)).errorCode).toBe(CORRUPT_MESSAGE);

        const good = await conn.request(frame(0, 3, 2, produceBody('raw', 0, recordBatch('hello'))));
        expect(parseProduceResponse(good!.subarray(4))).toEqual({ errorCode: 0, baseOffset: 0n });
      });
      const offsets = await admin.fetchTopicOffsets('raw');
      expect(offsets[0]!.high).toBe('1');
    });

    it('sends no response to acks=0 and keeps answering later requests in order', async () => {
      const { topics } = await admin.fetchTopicMetadata({ topics: ['raw'] });
      const leader = topics[0]!.partitions[0]!.leader;
      await RawConnection.using(cluster.brokers[leader]!, async (conn) => {
        const before = Number((await admin.fetchTopicOffsets('raw'))[0]!.high);
        // the acks=0 produce and the acks=1 produce go out back to back; the only answer is the second one
        const answer = await conn.request(
          Buffer.concat([
            frame(0, 3, 20, produceBody('raw', 0, recordBatch('fire and forget'), 0)),
            frame(0, 3, 21, produceBody('raw', 0, recordBatch('acked'))),
          ]),
        );
        expect(answer!.readInt32BE(0)).toBe(21);
        expect(parseProduceResponse(answer!.subarray(4))).toEqual({
          errorCode: 0,
          baseOffset: BigInt(before + 1),
        });
        const invalid = await conn.request(frame(0, 3, 22, produceBody('raw', 0, recordBatch('x'), 2)));
        expect(parseProduceResponse(invalid!.subarray(4)).errorCode).toBe(INVALID_REQUIRED_ACKS);
      });
    });

    it('answers UNKNOWN_TOPIC_OR_PARTITION to a raw produce for a missing topic', async () => {
      await RawConnection.using(cluster.brokers[0]!, async (conn) => {
        const response = await conn.request(frame(0, 3, 7, produceBody('no-such-topic', 0, recordBatch('x'))));
        expect(parseProduceResponse(response!.subarray(4)).errorCode).toBe(UNKNOWN_TOPIC_OR_PARTITION);
      });
    });

    it('answers a too-new ApiVersions with UNSUPPORTED_VERSION and closes on an unknown API key without crashing', async () => {
      await RawConnection.using(cluster.brokers[0]!, async (conn) => {
        const versions = await conn.request(frame(18, 99, 3, Buffer.alloc(0)));
        expect(versions!.readInt32BE(0)).toBe(3);
        expect(versions!.readInt16BE(4)).toBe(UNSUPPORTED_VERSION);
        expect(versions!.readInt32BE(6)).toBeGreaterThan(10); // the supported ranges follow
        expect(await conn.request(frame(999, 0, 4, Buffer.alloc(0)))).toBeNull();
      });
      expect(await admin.listTopics()).toContain('raw');
    });

    it('delays a broker when asked to', async () => {
      const port = Number(cluster.brokers[2]!.split(':')[1]);
      const conn = await RawConnection.open(port);
      try {
        cluster.delayBroker(2, 300);
        const started = Date.now();
        await conn.request(frame(18, 0, 5, Buffer.alloc(0)));
        expect(Date.now() - started).toBeGreaterThanOrEqual(290);
        cluster.delayBroker(2, 0);
        const again = Date.now();
        await conn.request(frame(18, 0, 6, Buffer.alloc(0)));
        expect(Date.now() - again).toBeLessThan(200);
      } finally {
        cluster.delayBroker(2, 0);
        conn.close();
      }
    });

    it('deletes a topic through the fault hook', async () => {
      await admin.createTopics({ topics: [{ topic: 'doomed', numPartitions: 1 }] });
      expect(cluster.deleteTopic('doomed')).toBe(true);
      expect(await admin.listTopics()).not.toContain('doomed');
      expect(cluster.deleteTopic('doomed')).toBe(false);
    });
  });
});
