/**
 * The one place the event source mapping pollers touch a Kafka client: a group consumer built
 * with the project's client module (`functions/lib/kafka`, on @platformatic/kafka), reduced to
 * what a poller needs. Swapping the client means rewriting this file only.
 *
 * Offsets are never committed automatically: the poller commits what the function processed.
 * A new member starts from the group's committed offsets, else from the earliest (TRIM_HORIZON)
 * or latest (LATEST) offset.
 */
import { createClusterConnection, createConsumer } from '../../../functions/lib/kafka/index.ts';

export interface SourceRecord {
  topic: string;
  partition: number;
  offset: bigint;
  /** ms epoch */
  timestamp: bigint;
  key: Buffer | undefined;
  value: Buffer | undefined;
  headers: Array<[Buffer, Buffer]>;
  leaderEpoch: number;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface SourceHandlers {
  onRecord(record: SourceRecord): void;
  /** The partitions this member owns after a (re)join. */
  onAssignment(partitions: TopicPartition[]): void;
  /** The source stopped working; the poller closes it and opens a new one. */
  onError(error: Error): void;
}

export interface CommitOffset extends TopicPartition {
  /** The next offset to read (Kafka's committed-offset convention). */
  offset: bigint;
  leaderEpoch: number;
}

export interface KafkaSource {
  pause(): void;
  resume(): void;
  commit(offsets: readonly CommitOffset[]): Promise<void>;
  close(): Promise<void>;
}

/** How the source authenticates (default: PLAINTEXT, no authentication). */
export interface SourceSecurity {
  auth: 'none' | 'tls' | 'scram' | 'iam';
  /** CA the brokers' TLS certificates chain to (default: the runtime's roots). */
  caPem?: string;
  /** SCRAM: the Secrets Manager secret holding {"username","password"}. */
  scramSecretArn?: string;
  /** IAM: the region tokens are signed for. */
  region?: string;
}

export interface KafkaSourceOptions {
  brokers: readonly string[];
  security?: SourceSecurity;
  groupId: string;
  topic: string;
  /** Several topics in one subscription (the connectors' `topics`); `topic` when absent. */
  topics?: readonly string[];
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  clientId: string;
}

export type OpenKafkaSource = (options: KafkaSourceOptions, handlers: SourceHandlers) => Promise<KafkaSource>;

export const openKafkaSource: OpenKafkaSource = async (options, handlers) => {
  const security = options.security ?? { auth: 'none' };
  const connection = createClusterConnection({
    brokers: [...options.brokers],
    auth: security.auth,
    ...(security.auth !== 'none' && security.caPem !== undefined ? { caPem: security.caPem } : {}),
    ...(security.auth === 'scram' && security.scramSecretArn !== undefined
      ? { scramSecretArn: security.scramSecretArn }
      : {}),
    ...(security.auth === 'iam' && security.region !== undefined ? { region: security.region } : {}),
  });
  const consumer = await createConsumer(connection, options.groupId, {
    clientId: options.clientId,
    timeoutMs: 10_000,
    retries: 3,
    consumer: {
      autocommit: false,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      rebalanceTimeout: 20_000,
      maxWaitTime: 250,
    },
  });
  let closing = false;
  const assignmentOf = (
    assignments: ReadonlyArray<{ topic: string; partitions: number[] }> | null | undefined,
  ): TopicPartition[] =>
    (assignments ?? []).flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition })));
  consumer.on('consumer:group:join', (payload) => handlers.onAssignment(assignmentOf(payload.assignments)));

  let stream: Awaited<ReturnType<typeof consumer.consume>>;
  try {
    stream = await consumer.consume({
      topics: options.topics ? [...options.topics] : [options.topic],
      mode: 'committed',
      fallbackMode: options.startingPosition === 'LATEST' ? 'latest' : 'earliest',
      autocommit: false,
      maxWaitTime: 250,
    });
  } catch (error) {
    await consumer.close(true).catch(() => undefined);
    throw error;
  }
  handlers.onAssignment(assignmentOf(consumer.assignments));

  stream.on('data', (message) => {
    handlers.onRecord({
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      timestamp: message.timestamp,
      key: message.key,
      value: message.value,
      headers: message.headerEntries,
      leaderEpoch: message.leaderEpoch,
    });
  });
  stream.on('error', (error: Error) => {
    if (!closing) handlers.onError(error);
  });
  stream.on('close', () => {
    if (!closing) handlers.onError(new Error('the Kafka consumer stream closed'));
  });

  return {
    pause: () => {
      stream.pause();
    },
    resume: () => {
      stream.resume();
    },
    commit: async (offsets) => {
      if (offsets.length === 0) return;
      await consumer.commit({
        offsets: offsets.map((o) => ({
          topic: o.topic,
          partition: o.partition,
          offset: o.offset,
          leaderEpoch: o.leaderEpoch,
        })),
      });
    },
    close: async () => {
      if (closing) return;
      closing = true;
      await stream.close().catch(() => undefined);
      await consumer.close(true).catch(() => undefined);
    },
  };
};
