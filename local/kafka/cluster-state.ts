/**
 * Everything the brokers of one dev cluster share: the broker list, topics and their partition
 * logs, leadership, consumer groups, committed offsets and settings. Plays the part of Kafka's
 * controller: it places replicas, elects leaders when a broker stops or comes back, and applies
 * topic creation and deletion.
 *
 * All brokers run in one process, so "replication" is bookkeeping: each partition has one log,
 * served only by its current leader, and the replica/ISR lists reflect which brokers are up.
 */
import { randomBytes } from 'node:crypto';
import { GroupCoordinator, coordinatorIndex } from './group-coordinator.ts';
import { PartitionLog } from './log.ts';
import { log } from './logger.ts';
import { OffsetStore } from './offset-store.ts';
import { ErrorCode } from './protocol/errors.ts';
import type { DataDir, PersistedTopic } from './storage/data-dir.ts';

export interface BrokerNode {
  readonly nodeId: number;
  readonly host: string;
  /** PLAINTEXT port. */
  port: number;
  /** Ports of the secured listeners that are on (see security/listeners.ts). */
  ports?: { tls?: number; scram?: number; iam?: number };
  up: boolean;
  /** Extra delay before each response (fault hook). */
  delayMs: number;
}

export interface PartitionState {
  readonly index: number;
  readonly replicas: readonly number[];
  leader: number;
  leaderEpoch: number;
  readonly log: PartitionLog;
}

export interface TopicState {
  readonly name: string;
  readonly id: Buffer;
  readonly partitions: PartitionState[];
  readonly configs: Map<string, string>;
}

export interface ClusterSettings {
  readonly clusterId: string;
  readonly autoCreateTopics: boolean;
  readonly defaultReplicationFactor: number;
  readonly numPartitions: number;
  readonly groupInitialRebalanceDelayMs: number;
  /** Settings given explicitly (reported as STATIC_BROKER_CONFIG by DescribeConfigs). */
  readonly explicit: ReadonlySet<string>;
}

export interface TopicError {
  readonly errorCode: number;
  readonly message: string;
}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;

export function validateTopicName(name: string): TopicError | null {
  if (name === '' || name === '.' || name === '..' || name.length > 249 || !LEGAL_TOPIC.test(name)) {
    return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, message: `Topic name "${name}" is illegal` };
  }
  return null;
}

export class ClusterState {
  readonly nodes: BrokerNode[];
  readonly settings: ClusterSettings;
  readonly topics = new Map<string, TopicState>();
  readonly groups: GroupCoordinator;
  readonly offsets = new OffsetStore();
  private readonly storage: DataDir | null;
  private nextProducerId = 1000;
  private placementCursor = 0;

  constructor(nodes: BrokerNode[], settings: ClusterSettings, storage: DataDir | null) {
    this.nodes = nodes;
    this.settings = settings;
    this.storage = storage;
    this.groups = new GroupCoordinator({ initialRebalanceDelayMs: settings.groupInitialRebalanceDelayMs });
    if (storage !== null) this.loadFrom(storage);
  }

  private loadFrom(storage: DataDir): void {
    const state = storage.load();
    for (const t of state.topics) {
      const topic = this.addTopic(t.name, Buffer.from(t.id, 'hex'), t.replicas, new Map(Object.entries(t.configs)));
      for (const p of topic.partitions) {
        for (const batch of storage.readPartition(t.id, p.index)) p.log.restore(batch);
        // Producer ids handed out before the restart stay taken (their state was rebuilt).
        this.nextProducerId = Math.max(this.nextProducerId, p.log.maxProducerId + 1);
      }
    }
    for (const o of state.offsets) this.offsets.restore(o);
    this.offsets.sink = storage.offsetSink();
    const known = new Set(state.topics.map((t) => t.id));
    for (const dir of storage.logDirectories()) if (!known.has(dir)) storage.removeTopic(dir);
    log.info('loaded data dir', {
      dir: storage.dir,
      topics: state.topics.length,
      offsets: state.offsets.length,
    });
  }

  liveNodes(): BrokerNode[] {
    return this.nodes.filter((n) => n.up);
  }

  node(nodeId: number): BrokerNode | undefined {
    return this.nodes.find((n) => n.nodeId === nodeId);
  }

  /** The lowest live node id, like a KRaft quorum would typically elect. -1 if none is up. */
  controllerId(): number {
    return this.liveNodes()[0]?.nodeId ?? -1;
  }

  /** The broker answering for a group (or transactional id); the next live one if it is down. */
  coordinatorFor(key: string): BrokerNode | null {
    const start = coordinatorIndex(key, this.nodes.length);
    for (let i = 0; i < this.nodes.length; i++) {
      const n = this.nodes[(start + i) % this.nodes.length]!;
      if (n.up) return n;
    }
    return null;
  }

  allocateProducerId(): number {
    return this.nextProducerId++;
  }

  /** Checks a CreateTopics entry; -1 partitions or replication factor means the broker default. */
  validateNewTopic(
    name: string,
    numPartitions: number,
    replicationFactor: number,
    assignments: ReadonlyArray<readonly number[]>,
  ): TopicError | null {
    const nameError = validateTopicName(name);
    if (nameError !== null) return nameError;
    if (this.topics.has(name))
      return { errorCode: ErrorCode.TOPIC_ALREADY_EXISTS, message: `Topic '${name}' already exists.` };
    const live = this.liveNodes().length;
    if (assignments.length > 0) {
      if (numPartitions !== -1 || replicationFactor !== -1) {
        return {
          errorCode: ErrorCode.INVALID_REQUEST,
          message: 'Both replica assignments and partitions/replication factor were given',
        };
      }
      for (const replicas of assignments) {
        if (
          replicas.length === 0 ||
          replicas.some((id) => this.node(id) === undefined) ||
          new Set(replicas).size !== replicas.length
        ) {
          return {
            errorCode: ErrorCode.INVALID_REPLICA_ASSIGNMENT,
            message: `Invalid replica assignment ${JSON.stringify(replicas)}`,
          };
        }
      }
      return null;
    }
    const partitions = numPartitions === -1 ? this.settings.numPartitions : numPartitions;
    const factor = replicationFactor === -1 ? this.settings.defaultReplicationFactor : replicationFactor;
    if (partitions <= 0)
      return {
        errorCode: ErrorCode.INVALID_PARTITIONS,
        message: 'Number of partitions must be larger than 0.',
      };
    if (factor <= 0)
      return {
        errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
        message: 'Replication factor must be larger than 0.',
      };
    if (factor > live) {
      return {
        errorCode: ErrorCode.INVALID_REPLICATION_FACTOR,
        message: `Replication factor: ${factor} larger than available brokers: ${live}.`,
      };
    }
    return null;
  }

  /** Creates a topic (already validated). Replicas rotate over the brokers so leaders spread. */
  createTopic(
    name: string,
    numPartitions: number,
    replicationFactor: number,
    configs: Map<string, string>,
    assignments: ReadonlyArray<readonly number[]> = [],
  ): TopicState {
    let replicas: number[][];
    if (assignments.length > 0) {
      replicas = assignments.map((a) => [...a]);
    } else {
      const partitions = numPartitions === -1 ? this.settings.numPartitions : numPartitions;
      const factor = Math.min(
        replicationFactor === -1 ? this.settings.defaultReplicationFactor : replicationFactor,
        this.nodes.length,
      );
      const ids = this.nodes.map((n) => n.nodeId);
      const start = this.placementCursor++;
      replicas = [];
      for (let p = 0; p < partitions; p++) {
        const set: number[] = [];
        for (let r = 0; r < factor; r++) set.push(ids[(start + p + r) % ids.length]!);
        replicas.push(set);
      }
    }
    const topic = this.addTopic(name, randomBytes(16), replicas, configs);
    this.persistTopics();
    log.info('created topic', { name, partitions: replicas.length, replicationFactor: replicas[0]?.length });
    return topic;
  }

  /** Creates a topic with broker defaults if auto-creation is on (Metadata for an unknown topic). */
  autoCreate(name: string): TopicState | null {
    if (!this.settings.autoCreateTopics || validateTopicName(name) !== null) return null;
    const factor = Math.min(this.settings.defaultReplicationFactor, this.liveNodes().length);
    if (factor <= 0) return null;
    return this.createTopic(name, this.settings.numPartitions, factor, new Map());
  }

  private addTopic(name: string, id: Buffer, replicas: number[][], configs: Map<string, string>): TopicState {
    const topic: TopicState = {
      name,
      id,
      configs,
      partitions: replicas.map((r, index) => ({
        index,
        replicas: r,
        leader: -1,
        leaderEpoch: 0,
        log: new PartitionLog(),
      })),
    };
    const hex = id.toString('hex');
    for (const p of topic.partitions) {
      p.leader = this.electLeader(p.replicas);
      if (this.storage !== null) p.log.sink = this.storage.partitionSink(hex, p.index);
    }
    this.topics.set(name, topic);
    return topic;
  }

  deleteTopic(name: string): boolean {
    const topic = this.topics.get(name);
    if (topic === undefined) return false;
    this.topics.delete(name);
    this.offsets.deleteTopic(name);
    for (const p of topic.partitions) {
      p.log.sink = null;
      p.log.notify(); // parked fetches re-check and answer UNKNOWN_TOPIC_OR_PARTITION
    }
    this.storage?.removeTopic(topic.id.toString('hex'));
    this.persistTopics();
    log.info('deleted topic', { name });
    return true;
  }

  topicById(id: Buffer): TopicState | undefined {
    for (const t of this.topics.values()) if (t.id.equals(id)) return t;
    return undefined;
  }

  /** The preferred (first) replica if it is up, else the first live replica, else -1. */
  private electLeader(replicas: readonly number[]): number {
    for (const id of replicas) if (this.node(id)?.up !== false) return id;
    return -1;
  }

  /** Re-elects every partition leader after a broker stopped or restarted. */
  electLeaders(): void {
    for (const t of this.topics.values()) {
      for (const p of t.partitions) {
        const leader = this.electLeader(p.replicas);
        if (leader !== p.leader) {
          p.leader = leader;
          p.leaderEpoch++;
          p.log.notify(); // fetches parked on the old leader answer NOT_LEADER_OR_FOLLOWER
        }
      }
    }
  }

  private persistTopics(): void {
    this.storage?.saveTopics(() =>
      [...this.topics.values()].map((t): PersistedTopic => ({
        name: t.name,
        id: t.id.toString('hex'),
        replicas: t.partitions.map((p) => [...p.replicas]),
        configs: Object.fromEntries(t.configs),
      })),
    );
  }
}
