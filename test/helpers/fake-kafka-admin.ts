/**
 * An in-memory stand-in for the Kafka admin client of the workflow tasks (the KafkaAdminPort
 * subset of @platformatic/kafka's Admin), for the ASL tests. It answers like Kafka does where the
 * tasks care: TOPIC_ALREADY_EXISTS (code 36) on a duplicate create, INVALID_REPLICATION_FACTOR
 * when the factor exceeds the brokers, UNKNOWN_TOPIC_OR_PARTITION on deleting a missing topic.
 * Real-socket behaviour is covered against the dev broker in test/unit/pipelines/tasks.
 */
import type { ClusterDescription } from '../../functions/lib/kafka/index.ts';
import type { KafkaAdminPort, OpenKafkaAdmin } from '../../functions/pipelines/tasks/kafka-admin.ts';

class KafkaResponseError extends Error {
  readonly apiCode: number;
  constructor(apiCode: number, message: string) {
    super(message);
    this.name = 'ResponseError';
    this.apiCode = apiCode;
  }
}

export class FakeKafkaCluster {
  brokers = 3;
  autoCreateTopics = false;
  defaultReplicationFactor = 3;
  readonly topics = new Map<string, { partitions: number; replicationFactor: number }>();
  /** Descriptions the tasks connected with. */
  readonly connections: ClusterDescription[] = [];
  readonly calls: string[] = [];
  /** Errors thrown by the next calls of a method, in order. */
  readonly failures = new Map<string, Error[]>();
  /** Undelivered events the sink group shows at each offsets read, in order (then 0). */
  readonly sinkLag: number[] = [];
  /** End offset of every partition of every topic. */
  endOffset = 100n;

  /** Makes the next calls of `method` (any admin operation the tasks use, or opening the client) throw `errors`. */
  fail(method: 'open' | Exclude<keyof KafkaAdminPort, 'close'>, ...errors: Error[]): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...errors]);
  }

  #maybeFail(method: string): void {
    this.calls.push(method);
    const queue = this.failures.get(method);
    const next = queue?.shift();
    if (next) throw next;
  }

  readonly open: OpenKafkaAdmin = async (cluster) => {
    this.connections.push(cluster);
    this.#maybeFail('open');
    return this.#admin();
  };

  #admin(): KafkaAdminPort {
    const admin = {
      metadata: async (options: { topics?: string[] }) => {
        this.#maybeFail('metadata');
        const brokers = new Map(
          Array.from({ length: this.brokers }, (_, i) => [
            i,
            { nodeId: i, host: `b-${i + 1}.kafka.internal`, port: 9092, rack: null },
          ]),
        );
        const topics = new Map<string, unknown>();
        for (const name of options.topics ?? []) {
          const t = this.topics.get(name);
          if (!t) throw new KafkaResponseError(3, `Topic ${name} does not exist`);
          topics.set(name, {
            id: name,
            partitionsCount: t.partitions,
            partitions: Array.from({ length: t.partitions }, (_, p) => ({
              leader: p % this.brokers,
              leaderEpoch: 0,
              replicas: Array.from({ length: t.replicationFactor }, (_, r) => (p + r) % this.brokers),
              isr: [],
              offlineReplicas: [],
            })),
            lastUpdate: Date.now(),
          });
        }
        return { id: 'fake-cluster', brokers, controllerId: 0, topics, lastUpdate: Date.now() };
      },
      listTopics: async () => {
        this.#maybeFail('listTopics');
        return [...this.topics.keys()];
      },
      createTopics: async (options: { topics: string[]; partitions?: number; replicas?: number }) => {
        this.#maybeFail('createTopics');
        const out = [];
        for (const name of options.topics) {
          if (this.topics.has(name)) throw new KafkaResponseError(36, `Topic '${name}' already exists.`);
          const replicationFactor = options.replicas ?? this.defaultReplicationFactor;
          if (replicationFactor > this.brokers)
            throw new KafkaResponseError(
              38,
              `Replication factor: ${replicationFactor} larger than available brokers: ${this.brokers}.`,
            );
          this.topics.set(name, { partitions: options.partitions ?? 1, replicationFactor });
          out.push({
            id: name,
            name,
            partitions: options.partitions ?? 1,
            replicas: replicationFactor,
            configuration: {},
          });
        }
        return out;
      },
      deleteTopics: async (options: { topics: string[] }) => {
        this.#maybeFail('deleteTopics');
        for (const name of options.topics) {
          if (!this.topics.delete(name)) throw new KafkaResponseError(3, `Topic ${name} does not exist`);
        }
      },
      describeConfigs: async (options: { resources: Array<{ resourceType: number; resourceName: string }> }) => {
        this.#maybeFail('describeConfigs');
        return options.resources.map((r) => ({
          resourceType: r.resourceType,
          resourceName: r.resourceName,
          configs: [
            { name: 'auto.create.topics.enable', value: String(this.autoCreateTopics) },
            { name: 'default.replication.factor', value: String(this.defaultReplicationFactor) },
          ],
        }));
      },
      listOffsets: async (options: {
        topics: { name: string; partitions: { partitionIndex: number; timestamp: bigint }[] }[];
      }) => {
        this.#maybeFail('listOffsets');
        return options.topics.map((t) => ({
          name: t.name,
          partitions: t.partitions.map((p) => ({
            partitionIndex: p.partitionIndex,
            timestamp: p.timestamp,
            offset: p.timestamp === -2n ? 0n : this.endOffset,
            leaderEpoch: 0,
          })),
        }));
      },
      listConsumerGroupOffsets: async (options: {
        groups: { groupId: string; topics: { name: string; partitionIndexes: number[] }[] }[];
      }) => {
        this.#maybeFail('listConsumerGroupOffsets');
        const lag = BigInt(this.sinkLag.shift() ?? 0);
        return options.groups.map((g) => ({
          groupId: g.groupId,
          topics: g.topics.map((t) => ({
            name: t.name,
            // The whole lag sits on partition 0.
            partitions: t.partitionIndexes.map((i) => ({
              partitionIndex: i,
              committedOffset: i === 0 ? this.endOffset - lag : this.endOffset,
              committedLeaderEpoch: -1,
              metadata: '',
            })),
          })),
        }));
      },
      close: async () => {},
    };
    return admin as unknown as KafkaAdminPort;
  }
}
