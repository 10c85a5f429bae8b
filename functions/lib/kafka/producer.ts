/**
 * The event producer port used by the ingest function: `send` resolves only after Kafka
 * acknowledged every record (acks=all, idempotent producer), and rejects with
 * `KafkaUnavailableError` when that did not happen within the deadline.
 *
 * Created once per Lambda container and reused. Nothing happens at creation: the connection
 * options (truststore, SCRAM secret, IAM token) are resolved and the @platformatic/kafka producer
 * is built on the first `send`. After a failure that suggests a broken connection (timeout,
 * unreachable, TLS, authentication) the underlying producer is dropped and closed in the
 * background, so the next `send` starts from a clean connection (and re-reads credentials, which
 * covers a rotated SCRAM secret).
 *
 * Delivery is at-least-once: a send that timed out may still have been written, so callers retry
 * with the same event ids and consumers de-duplicate on them.
 */
import { ProduceAcks, Producer, type ProducerOptions, type SendOptions } from '@platformatic/kafka';
import { type ClusterConnection } from './config.ts';
import { silentLog } from '../logger.ts';
import { resolveConnectionOptions, type KafkaDeps } from './client-options.ts';
import { keyPartitioner } from './murmur2.ts';
import { toMessages, type Message } from './messages.ts';
import { NamedError } from '../errors.ts';
import {
  classifyKafkaFailure,
  KafkaConfigError,
  KafkaUnavailableError,
  rootMessage,
  type KafkaUnavailableReason,
} from './errors.ts';

export interface EventRecord {
  key: string;
  value: string | Buffer;
  headers?: Record<string, string>;
}

export interface EventProducer {
  /** Resolves once Kafka acknowledged all records; rejects with KafkaUnavailableError otherwise. */
  send(topic: string, records: readonly EventRecord[], opts?: { timeoutMs?: number }): Promise<void>;
  /** Closes the connections; later sends reject (reason `closed`). */
  close(): Promise<void>;
}

export type Compression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

type BufferProducerOptions = ProducerOptions<Buffer, Buffer, Buffer, Buffer>;

/** What the module needs of a @platformatic/kafka Producer (a port, so tests can substitute it). */
export interface ProducerPort {
  send(options: SendOptions<Buffer, Buffer, Buffer, Buffer>): Promise<unknown>;
  close(force?: boolean): Promise<void>;
}

export interface EventProducerOptions extends KafkaDeps {
  /** Kafka client id (broker logs, quotas). Default `clickstream-pipeline`. */
  clientId?: string;
  /** Record batch compression. Default `none` (see docs/kafka-client.md for the measurements). */
  compression?: Compression;
  /** Default deadline of `send` in ms. Default 5000. */
  timeoutMs?: number;
  /** Retries of each Kafka request inside one send, with short jittered backoff. Default 3. */
  retries?: number;
  /** Let the broker auto-create unknown topics (needs auto.create.topics.enable). Default false. */
  autocreateTopics?: boolean;
  /**
   * Upper bound of the records of one send request, estimated as Kafka frames them. Every record
   * batch (one per partition) is then at most this large, under the broker's `message.max.bytes`
   * (default 1048588). Default 1,000,000 bytes; a single larger record is sent alone.
   */
  maxRequestBytes?: number;
  /** Builds the underlying producer; default `new Producer(options)`. */
  producerFactory?: (options: BufferProducerOptions) => ProducerPort;
}

export const DEFAULT_SEND_TIMEOUT_MS = 5000;
export const DEFAULT_MAX_REQUEST_BYTES = 1_000_000;
/** Record batch header (61) plus the 12-byte log overhead Kafka counts against message.max.bytes. */
const BATCH_OVERHEAD = 73;
/** A record's own framing at most: length, attributes, timestamp and offset deltas, key/value lengths, header count. */
const RECORD_OVERHEAD = 5 + 1 + 10 + 5 + 5 + 5 + 5;

function framedSize(message: Message): number {
  let size = RECORD_OVERHEAD + message.key.length + message.value.length;
  for (const [k, v] of message.headers ?? []) size += 10 + k.length + v.length;
  return size;
}

/**
 * Splits messages into sends whose framed size stays within `maxBytes`, keeping their order; a
 * partition's batch of one send is a subset, so no batch exceeds it either.
 */
export function splitByBytes(messages: Message[], maxBytes: number): Message[][] {
  const chunks: Message[][] = [];
  let current: Message[] = [];
  let size = BATCH_OVERHEAD;
  for (const message of messages) {
    const bytes = framedSize(message);
    if (current.length > 0 && size + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      size = BATCH_OVERHEAD;
    }
    current.push(message);
    size += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
/** Failures after which the producer's connections are not worth keeping. */
const DISCARD_ON: ReadonlySet<KafkaUnavailableReason> = new Set([
  'timeout',
  'unreachable',
  'tls',
  'authentication',
  'credentials',
]);

class DeadlineExceeded extends NamedError {
  constructor() {
    super('deadline exceeded');
  }
}

function withDeadline<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceeded()), timeoutMs);
  });
  // The abandoned work may still fail later; that must not become an unhandled rejection.
  work.catch(() => {});
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/** Exponential backoff with full jitter, capped, for the client's internal retries. */
function retryDelay(_client: unknown, _operation: string, attempt: number): number {
  return Math.round(Math.random() * Math.min(1000, 50 * 2 ** attempt));
}

interface Entry {
  producer: Promise<ProducerPort>;
  inflight: number;
  discarded: boolean;
}

/** Creates the lazily connecting, reusable event producer. */
export function createEventProducer(conn: ClusterConnection, options: EventProducerOptions = {}): EventProducer {
  const logger = options.logger ?? silentLog;
  const defaultTimeout = options.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
  const factory = options.producerFactory ?? ((o: BufferProducerOptions): ProducerPort => new Producer(o));
  let current: Entry | undefined;
  let closed = false;

  function build(): Entry {
    const producer = resolveConnectionOptions(conn, options).then((connection) =>
      factory({
        ...connection,
        clientId: options.clientId ?? 'clickstream-pipeline',
        idempotent: true,
        acks: ProduceAcks.ALL,
        // murmur2 & 0x7fffffff, like the Java client (the library's default uses >>> 0, which
        // places some keys differently): the same key lands on the same partition whichever
        // Java-compatible producer wrote it. Our own murmur2: the library's is quadratic in the key.
        partitioner: keyPartitioner,
        compression: options.compression ?? 'none',
        // The idempotent producer treats retries <= 1 as "retry forever"; keep them bounded.
        retries: Math.max(2, options.retries ?? 3),
        retryDelay,
        connectTimeout: defaultTimeout,
        requestTimeout: defaultTimeout,
        timeout: defaultTimeout,
        metadataMaxAge: 300_000,
        autocreateTopics: options.autocreateTopics ?? false,
      }),
    );
    const entry: Entry = { producer, inflight: 0, discarded: false };
    // A failed resolution (secret unreadable, truststore wrong) is retried by the next send.
    entry.producer.catch(() => {
      if (current === entry) {
        current = undefined;
      }
    });
    return entry;
  }

  function closeEntry(entry: Entry): Promise<void> {
    return entry.producer
      .then((producer) => producer.close(true))
      .catch((error: unknown) => {
        logger.debug('Closing a Kafka producer failed', { error: rootMessage(error) });
      });
  }

  function release(entry: Entry): void {
    entry.inflight -= 1;
    if (entry.discarded && entry.inflight === 0) {
      void closeEntry(entry);
    }
  }

  function discard(entry: Entry): void {
    if (current === entry) {
      current = undefined;
    }
    entry.discarded = true;
  }

  return {
    async send(topic, records, opts) {
      if (closed) {
        throw new KafkaUnavailableError('The event producer is closed', 'closed');
      }
      if (!TOPIC_NAME.test(topic)) {
        throw new KafkaConfigError('topic', `'${topic}' is not a valid Kafka topic name`);
      }
      if (records.length === 0) {
        return;
      }
      const timeoutMs = opts?.timeoutMs ?? defaultTimeout;
      const messages = toMessages(topic, records);

      const entry = current ?? build();
      current = entry;
      entry.inflight += 1;
      const started = Date.now();
      try {
        // One request per chunk, in order, so no record batch exceeds the broker's message.max.bytes.
        const chunks = splitByBytes(messages, options.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES);
        await withDeadline(
          entry.producer.then(async (producer) => {
            for (const chunk of chunks) await producer.send({ messages: chunk, acks: ProduceAcks.ALL });
          }),
          timeoutMs,
        );
        logger.debug('Kafka acknowledged records', {
          topic,
          records: records.length,
          ms: Date.now() - started,
        });
      } catch (error) {
        if (error instanceof KafkaConfigError) {
          throw error;
        }
        const reason: KafkaUnavailableReason =
          error instanceof DeadlineExceeded ? 'timeout' : classifyKafkaFailure(error);
        if (DISCARD_ON.has(reason)) {
          discard(entry);
        }
        const what = `${records.length} record(s) for topic '${topic}'`;
        const unavailable =
          error instanceof KafkaUnavailableError
            ? error
            : reason === 'timeout' && error instanceof DeadlineExceeded
              ? new KafkaUnavailableError(
                  `Kafka did not acknowledge ${what} within ${timeoutMs} ms (brokers ${conn.brokers.join(',')})`,
                  'timeout',
                )
              : new KafkaUnavailableError(`Kafka did not accept ${what} (${reason}): ${rootMessage(error)}`, reason, {
                  cause: error,
                });
        logger.warn('Kafka send failed', {
          topic,
          records: records.length,
          reason,
          ms: Date.now() - started,
          error: unavailable.message,
        });
        throw unavailable;
      } finally {
        release(entry);
      }
    },

    async close() {
      closed = true;
      const entry = current;
      current = undefined;
      if (entry) {
        await closeEntry(entry);
      }
    },
  };
}
