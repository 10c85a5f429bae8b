import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { NetworkError, ProtocolError, type SendOptions } from '@platformatic/kafka';
import { mockClient } from 'aws-sdk-client-mock';
import { Partitioners } from 'kafkajs';
import {
  createClusterConnection,
  createEventProducer,
  KafkaConfigError,
  KafkaUnavailableError,
  parseClusterConfig,
  type EventProducerOptions,
  type ProducerPort,
} from '../../../functions/lib/kafka/index.ts';
import { blackholeServer, closedPort, recordingLogger, rejection } from './helpers.ts';

type Send = SendOptions<Buffer, Buffer, Buffer, Buffer>;
type FactoryOptions = Parameters<NonNullable<EventProducerOptions['producerFactory']>>[0];

/** A scripted stand-in for @platformatic/kafka's Producer: each send takes the next behaviour. */
class FakeProducer implements ProducerPort {
  readonly sends: Send[] = [];
  closed: boolean | undefined;
  readonly options: FactoryOptions;
  private readonly behaviour: () => Promise<unknown>;
  constructor(options: FactoryOptions, behaviour: () => Promise<unknown>) {
    this.options = options;
    this.behaviour = behaviour;
  }
  send(options: Send): Promise<unknown> {
    this.sends.push(options);
    return this.behaviour();
  }
  async close(force?: boolean): Promise<void> {
    this.closed = force ?? false;
  }
}

function fakeFactory(...behaviours: (() => Promise<unknown>)[]) {
  const created: FakeProducer[] = [];
  const factory = (options: FactoryOptions): ProducerPort => {
    const behaviour = behaviours[Math.min(created.length, behaviours.length - 1)] ?? (async () => ({}));
    const producer = new FakeProducer(options, behaviour);
    created.push(producer);
    return producer;
  };
  return { factory, created };
}

const ok = async () => ({ offsets: [] });
const never = () => new Promise<never>(() => {});
const refused = async () => {
  throw new NetworkError('Connection to a:9092 failed.', {
    cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  });
};
const unknownTopic = async () => {
  throw new ProtocolError('UNKNOWN_TOPIC_OR_PARTITION');
};
const plaintext = parseClusterConfig({ KAFKA_BROKERS: 'a:9092,b:9092' });
const record = {
  key: 'app:user-1',
  value: '{"event_id":"e1"}',
  headers: { app_id: 'app', event_type: 'click' },
};
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

describe('createEventProducer', () => {
  describe('with a scripted producer', () => {
    it('connects lazily: nothing is built before the first send', async () => {
      const { factory, created } = fakeFactory(ok);
      const producer = createEventProducer(plaintext, { producerFactory: factory });
      expect(created).toHaveLength(0);
      await producer.send('events', [record]);
      expect(created).toHaveLength(1);
    });

    it('builds an idempotent acks=all producer with bounded retries and the cluster connection', async () => {
      const { factory, created } = fakeFactory(ok);
      await createEventProducer(plaintext, { producerFactory: factory, clientId: 'ingest' }).send('events', [record]);
      expect(created[0]?.options).toMatchObject({
        bootstrapBrokers: ['a:9092', 'b:9092'],
        clientId: 'ingest',
        idempotent: true,
        acks: -1,
        retries: 3,
        compression: 'none',
        autocreateTopics: false,
      });
      expect(created[0]?.options.tls).toBeUndefined();
      expect(created[0]?.options.sasl).toBeUndefined();
      expect(created[0]?.sends[0]?.acks).toBe(-1);
    });

    it('partitions keys like the Java client (same as kafkajs DefaultPartitioner)', async () => {
      const { factory, created } = fakeFactory(ok);
      await createEventProducer(plaintext, { producerFactory: factory }).send('events', [record]);
      const partitioner = created[0]?.options.partitioner;
      expect(partitioner).toBeDefined();
      const javaCompatible = Partitioners.DefaultPartitioner();
      const partitionMetadata = Array.from({ length: 7 }, (_, i) => ({
        partitionId: i,
        leader: 0,
        replicas: [0],
        isr: [0],
        partitionErrorCode: 0,
      }));
      const keys = Array.from({ length: 300 }, (_, i) => `app:user-${i}`);
      const ours = keys.map(
        (key) =>
          partitioner!({ topic: 'events', value: Buffer.from('') }, Buffer.from(key), {
            metadata: undefined,
          }) % 7,
      );
      const theirs = keys.map((key) =>
        javaCompatible({ topic: 'events', partitionMetadata, message: { key, value: '' } }),
      );
      expect(ours).toEqual(theirs);
    });

    it('keeps retries above 1 because the idempotent producer reads 0 or 1 as unlimited', async () => {
      const { factory, created } = fakeFactory(ok);
      await createEventProducer(plaintext, { producerFactory: factory, retries: 0 }).send('events', [record]);
      expect(created[0]?.options.retries).toBe(2);
    });

    it('passes the configured compression', async () => {
      const { factory, created } = fakeFactory(ok);
      await createEventProducer(plaintext, { producerFactory: factory, compression: 'lz4' }).send('events', [record]);
      expect(created[0]?.options.compression).toBe('lz4');
    });

    it('sends key, value and headers as bytes to the topic', async () => {
      const { factory, created } = fakeFactory(ok);
      await createEventProducer(plaintext, { producerFactory: factory }).send('events', [
        record,
        { key: 'k2', value: Buffer.from([0, 1, 2]) },
      ]);
      const [first, second] = created[0]?.sends[0]?.messages ?? [];
      expect(first?.topic).toBe('events');
      expect(first?.key).toEqual(Buffer.from('app:user-1'));
      expect(first?.value).toEqual(Buffer.from('{"event_id":"e1"}'));
      expect([...(first?.headers as Map<Buffer, Buffer>)].map(([k, v]) => [k.toString(), v.toString()])).toEqual([
        ['app_id', 'app'],
        ['event_type', 'click'],
      ]);
      expect(second?.value).toEqual(Buffer.from([0, 1, 2]));
      expect(second?.headers).toBeUndefined();
    });

    it('reuses one producer for later sends', async () => {
      const { factory, created } = fakeFactory(ok);
      const producer = createEventProducer(plaintext, { producerFactory: factory });
      await producer.send('events', [record]);
      await producer.send('events', [record]);
      await Promise.all([producer.send('events', [record]), producer.send('other', [record])]);
      expect(created).toHaveLength(1);
      expect(created[0]?.sends).toHaveLength(4);
    });

    it('resolves an empty batch without touching Kafka', async () => {
      const { factory, created } = fakeFactory(ok);
      await createEventProducer(plaintext, { producerFactory: factory }).send('events', []);
      expect(created).toHaveLength(0);
    });

    it('rejects an invalid topic name with KafkaConfigError', async () => {
      const { factory } = fakeFactory(ok);
      const error = await rejection(
        createEventProducer(plaintext, { producerFactory: factory }).send('bad topic', [record]),
      );
      expect(error).toBeInstanceOf(KafkaConfigError);
      expect(error.message).toBe("topic: 'bad topic' is not a valid Kafka topic name");
    });

    it('rejects with KafkaUnavailableError (timeout) when the producer does not answer within timeoutMs', async () => {
      const { factory } = fakeFactory(never);
      const started = Date.now();
      const error = await rejection(
        createEventProducer(plaintext, { producerFactory: factory }).send('events', [record], {
          timeoutMs: 50,
        }),
      );
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
      expect(error).toBeInstanceOf(KafkaUnavailableError);
      expect(error.name).toBe('KafkaUnavailableError');
      expect((error as KafkaUnavailableError).reason).toBe('timeout');
      expect(error.message).toBe(
        "Kafka did not acknowledge 1 record(s) for topic 'events' within 50 ms (brokers a:9092,b:9092)",
      );
    });

    it('uses the producer-wide default timeout when the call gives none', async () => {
      const { factory } = fakeFactory(never);
      const error = await rejection(
        createEventProducer(plaintext, { producerFactory: factory, timeoutMs: 30 }).send('events', [record]),
      );
      expect(error.message).toContain('within 30 ms');
    });

    it('classifies a connection failure as unreachable and carries the cause', async () => {
      const { factory } = fakeFactory(refused);
      const { logger, entries } = recordingLogger();
      const error = await rejection(
        createEventProducer(plaintext, { producerFactory: factory, logger }).send('events', [record]),
      );
      expect(error).toBeInstanceOf(KafkaUnavailableError);
      expect((error as KafkaUnavailableError).reason).toBe('unreachable');
      expect((error as KafkaUnavailableError).cause).toBeInstanceOf(NetworkError);
      expect(error.message).toBe(
        "Kafka did not accept 1 record(s) for topic 'events' (unreachable): connect ECONNREFUSED",
      );
      expect(entries).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: 'Kafka send failed',
          extra: expect.objectContaining({ reason: 'unreachable' }),
        }),
      );
    });

    it('drops a failed producer, closes it, and succeeds with a fresh one on the next send', async () => {
      const { factory, created } = fakeFactory(refused, ok);
      const producer = createEventProducer(plaintext, { producerFactory: factory });
      await rejection(producer.send('events', [record]));
      await settle();
      expect(created[0]?.closed).toBe(true);
      await producer.send('events', [record]);
      expect(created).toHaveLength(2);
      expect(created[1]?.sends).toHaveLength(1);
    });

    it('drops a producer that timed out and closes it so its pending work is abandoned', async () => {
      const { factory, created } = fakeFactory(never, ok);
      const producer = createEventProducer(plaintext, { producerFactory: factory });
      await rejection(producer.send('events', [record], { timeoutMs: 20 }));
      await settle();
      expect(created[0]?.closed).toBe(true);
      await expect(producer.send('events', [record])).resolves.toBeUndefined();
      expect(created).toHaveLength(2);
    });

    it('waits for concurrent sends on a dropped producer before closing it', async () => {
      let release!: () => void;
      const slow = () =>
        new Promise<unknown>((resolve) => {
          release = () => resolve({});
        });
      let calls = 0;
      const behaviour = () => (++calls === 1 ? slow() : refused());
      const { factory, created } = fakeFactory(behaviour);
      const producer = createEventProducer(plaintext, { producerFactory: factory });
      const first = producer.send('events', [record]);
      await rejection(producer.send('events', [record]));
      await settle();
      expect(created[0]?.closed).toBeUndefined();
      release();
      await first;
      await settle();
      expect(created[0]?.closed).toBe(true);
    });

    it('keeps the producer when the broker rejected the request (rejected)', async () => {
      const { factory, created } = fakeFactory(unknownTopic);
      const producer = createEventProducer(plaintext, { producerFactory: factory });
      const error = await rejection(producer.send('events', [record]));
      expect((error as KafkaUnavailableError).reason).toBe('rejected');
      await rejection(producer.send('events', [record]));
      expect(created).toHaveLength(1);
      expect(created[0]?.closed).toBeUndefined();
    });

    it('closes the producer on close() and refuses later sends', async () => {
      const { factory, created } = fakeFactory(ok);
      const producer = createEventProducer(plaintext, { producerFactory: factory });
      await producer.send('events', [record]);
      await producer.close();
      expect(created[0]?.closed).toBe(true);
      const error = await rejection(producer.send('events', [record]));
      expect(error).toBeInstanceOf(KafkaUnavailableError);
      expect((error as KafkaUnavailableError).reason).toBe('closed');
    });

    it('closes without error when it never connected', async () => {
      await expect(createEventProducer(plaintext).close()).resolves.toBeUndefined();
    });

    describe('with SCRAM', () => {
      const secrets = mockClient(SecretsManagerClient);
      const secretsManager = new SecretsManagerClient({
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
      });
      const scram = createClusterConnection({
        brokers: ['a:9096'],
        auth: 'scram',
        scramSecretArn: 'AmazonMSK_demo',
      });
      beforeEach(() => secrets.reset());

      it('surfaces a malformed secret as KafkaConfigError and reads the secret again on the next send', async () => {
        secrets
          .on(GetSecretValueCommand)
          .resolvesOnce({ SecretString: 'oops' })
          .resolves({ SecretString: '{"username":"u","password":"p"}' });
        const { factory, created } = fakeFactory(ok);
        const producer = createEventProducer(scram, { producerFactory: factory, secretsManager });
        const error = await rejection(producer.send('events', [record]));
        expect(error).toBeInstanceOf(KafkaConfigError);
        expect(error.message).toContain('scramSecretArn: secret');
        expect(created).toHaveLength(0);
        await producer.send('events', [record]);
        expect(created[0]?.options.sasl).toEqual({
          mechanism: 'SCRAM-SHA-512',
          username: 'u',
          password: 'p',
        });
        expect(created[0]?.options.tls).toEqual({});
        expect(secrets.commandCalls(GetSecretValueCommand)).toHaveLength(2);
      });
    });
  });

  describe('against sockets on 127.0.0.1 (real @platformatic/kafka producer)', () => {
    it('rejects with KafkaUnavailableError (timeout) when the broker accepts connections but never answers', async () => {
      const server = await blackholeServer();
      const producer = createEventProducer(parseClusterConfig({ KAFKA_BROKERS: `127.0.0.1:${server.port}` }));
      try {
        const started = Date.now();
        const error = await rejection(producer.send('events', [record], { timeoutMs: 700 }));
        const elapsed = Date.now() - started;
        expect(error).toBeInstanceOf(KafkaUnavailableError);
        expect((error as KafkaUnavailableError).reason).toBe('timeout');
        expect(elapsed).toBeGreaterThanOrEqual(650);
        expect(elapsed).toBeLessThan(3000);
        expect(server.connections()).toBeGreaterThanOrEqual(1);
      } finally {
        await producer.close();
        await server.close();
      }
    });

    it('rejects with KafkaUnavailableError (unreachable) before the deadline when the port is closed', async () => {
      const port = await closedPort();
      const producer = createEventProducer(parseClusterConfig({ KAFKA_BROKERS: `127.0.0.1:${port}` }));
      try {
        const started = Date.now();
        const error = await rejection(producer.send('events', [record], { timeoutMs: 10_000 }));
        expect(error).toBeInstanceOf(KafkaUnavailableError);
        expect((error as KafkaUnavailableError).reason).toBe('unreachable');
        expect(error.message).toContain('ECONNREFUSED');
        expect(Date.now() - started).toBeLessThan(10_000);
      } finally {
        await producer.close();
      }
    });

    it('can succeed in reaching a broker on a later send after a failure (a new connection is made)', async () => {
      const server = await blackholeServer();
      const producer = createEventProducer(parseClusterConfig({ KAFKA_BROKERS: `127.0.0.1:${server.port}` }));
      try {
        await rejection(producer.send('events', [record], { timeoutMs: 300 }));
        const afterFirst = server.connections();
        await rejection(producer.send('events', [record], { timeoutMs: 300 }));
        expect(server.connections()).toBeGreaterThan(afterFirst);
      } finally {
        await producer.close();
        await server.close();
      }
    });
  });
});
