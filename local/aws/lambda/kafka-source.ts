/**
 * The one place the event source mapping pollers and the local S3 sink connector touch a Kafka
 * client: a kafkajs group consumer, reduced to what a poller needs. kafkajs on purpose: the
 * product's functions use @platformatic/kafka, so the local stack consuming with another client
 * checks what they write (and the dev broker) with an independent implementation, as Lambda's own
 * pollers would. Swapping the client means rewriting this file only.
 *
 * Authentication is what Lambda does per mapping: PLAINTEXT, TLS (the brokers' CA), SASL/SCRAM-
 * SHA-512 with the Secrets Manager secret the mapping names, or MSK IAM (SASL/OAUTHBEARER with a
 * token from aws-msk-iam-sasl-signer-js, signed with the stack's credentials).
 *
 * Offsets are never committed automatically: the poller commits what the function processed.
 * A new member starts from the group's committed offsets, else from the earliest (TRIM_HORIZON)
 * or latest (LATEST) offset. kafkajs restarts itself after retriable failures; any other failure
 * ends the source (`onError`) and the poller opens a new one from the committed offsets.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { generateAuthToken } from 'aws-msk-iam-sasl-signer-js';
import { Kafka, logLevel, type IHeaders, type KafkaConfig, type SASLOptions } from 'kafkajs';
import '../../kafkajs-request-queue.ts';

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

/** Reads `{"username","password"}` from the secret, as Lambda does for a SCRAM mapping. */
async function scramCredentials(secretArn: string): Promise<{ username: string; password: string }> {
  const client = new SecretsManagerClient({});
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const parsed = JSON.parse(SecretString ?? 'null') as { username?: unknown; password?: unknown } | null;
    if (typeof parsed?.username !== 'string' || typeof parsed.password !== 'string')
      throw new Error(`secret ${secretArn} does not hold {"username","password"}`);
    return { username: parsed.username, password: parsed.password };
  } catch (error) {
    // JSON.parse quotes the text, which is the secret: never pass its message on.
    if (error instanceof SyntaxError) throw new Error(`secret ${secretArn} does not hold JSON`, { cause: error });
    throw error;
  } finally {
    client.destroy();
  }
}

async function connectionOf(security: SourceSecurity): Promise<Pick<KafkaConfig, 'ssl' | 'sasl'>> {
  if (security.auth === 'none') return {};
  const ssl = security.caPem !== undefined ? { ca: [security.caPem] } : true;
  let sasl: SASLOptions | undefined;
  if (security.auth === 'scram') {
    const { username, password } = await scramCredentials(security.scramSecretArn ?? '');
    sasl = { mechanism: 'scram-sha-512', username, password };
  } else if (security.auth === 'iam') {
    const region = security.region ?? process.env.AWS_REGION ?? '';
    sasl = {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => ({ value: (await generateAuthToken({ region })).token }),
    };
  }
  return sasl ? { ssl, sasl } : { ssl };
}

function headersOf(headers: IHeaders | undefined): Array<[Buffer, Buffer]> {
  const out: Array<[Buffer, Buffer]> = [];
  for (const [name, value] of Object.entries(headers ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) {
      if (item !== undefined) out.push([Buffer.from(name), Buffer.from(item)]);
    }
  }
  return out;
}

export const openKafkaSource: OpenKafkaSource = async (options, handlers) => {
  const kafka = new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    ...(await connectionOf(options.security ?? { auth: 'none' })),
    connectionTimeout: 10_000,
    requestTimeout: 30_000,
    retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 2_000 },
    logLevel: logLevel.NOTHING,
  });
  const consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    rebalanceTimeout: 20_000,
    maxWaitTimeInMs: 250,
    // kafkajs asks for auto-creation in its metadata requests by default: a poller must never
    // bring back a topic the teardown just deleted.
    allowAutoTopicCreation: false,
  });
  const topics = options.topics ? [...options.topics] : [options.topic];
  let closing = false;
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) =>
    handlers.onAssignment(
      Object.entries(payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic, partition })),
      ),
    ),
  );
  // A retriable failure (broker down or hung) restarts the consumer inside kafkajs: it rejoins and
  // re-reads from the committed offsets, which the poller recognises and drops, while commits it
  // could not make yet stay pending. Only a failure kafkajs gives up on ends the source.
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!closing && !payload.restart) handlers.onError(payload.error);
  });
  const close = async (): Promise<void> => {
    if (closing) return;
    closing = true;
    await consumer.disconnect().catch(() => undefined);
  };
  try {
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: options.startingPosition === 'TRIM_HORIZON' });
    await consumer.run({
      autoCommit: false,
      // Every record of a fetched batch goes to the poller at once; `pause` stops the next fetches.
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          handlers.onRecord({
            topic: batch.topic,
            partition: batch.partition,
            offset: BigInt(message.offset),
            timestamp: BigInt(message.timestamp),
            key: message.key ?? undefined,
            value: message.value ?? undefined,
            headers: headersOf(message.headers),
            leaderEpoch: -1,
          });
        }
      },
    });
  } catch (error) {
    await close();
    throw error;
  }

  return {
    pause: () => consumer.pause(topics.map((topic) => ({ topic }))),
    resume: () => consumer.resume(topics.map((topic) => ({ topic }))),
    commit: async (offsets) => {
      if (offsets.length === 0) return;
      await consumer.commitOffsets(
        offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset.toString() })),
      );
    },
    close,
  };
};
