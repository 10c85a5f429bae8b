/**
 * Starts a dev cluster: N brokers in this process sharing one ClusterState, each on its own port,
 * and exposes the fault hooks tests use (stop/restart/delay a broker, delete a topic).
 */
import { randomBytes } from 'node:crypto';
import { BrokerServer } from './broker-server.ts';
import { ClusterState, type BrokerNode, type ClusterSettings } from './cluster-state.ts';
import { log } from './logger.ts';
import { DataDir } from './storage/data-dir.ts';

export interface ClusterOptions {
  /** Number of brokers (default 3). */
  brokers?: number;
  /** Port of broker 0; broker i listens on port + i. 0 (the default) gives each broker a free port. */
  port?: number;
  /** Address to bind and advertise (default 127.0.0.1: the dev broker is never exposed). */
  host?: string;
  /** Directory keeping topics, records and committed offsets across restarts (default: memory only). */
  dataDir?: string;
  /** auto.create.topics.enable (default true). */
  autoCreateTopics?: boolean;
  /** default.replication.factor for auto-created topics and CreateTopics with -1 (default min(3, brokers)). */
  defaultReplicationFactor?: number;
  /** num.partitions for auto-created topics and CreateTopics with -1 (default 1). */
  numPartitions?: number;
  /** group.initial.rebalance.delay.ms (default 0 here; Kafka's own default is 3000). */
  groupInitialRebalanceDelayMs?: number;
  /** Cluster id reported in Metadata (default: random, Kafka-style base64). */
  clusterId?: string;
}

export interface DevCluster {
  /** "host:port" of every broker, in node id order. */
  readonly brokers: string[];
  /** The brokers as one comma-separated bootstrap string. */
  readonly bootstrap: string;
  /** Node ids (broker i has node id i). */
  readonly nodeIds: number[];
  readonly clusterId: string;
  /** Stops broker i: its port refuses connections and its partitions move to live replicas. */
  stopBroker(index: number): Promise<void>;
  /** Brings broker i back on the same port; preferred leaders return to it. */
  restartBroker(index: number): Promise<void>;
  /** Delays every response of broker i by `ms` (0 removes the delay). */
  delayBroker(index: number, ms: number): void;
  /** Each broker: node id, address, whether it is up, its response delay. */
  brokerStatus(): Array<{ nodeId: number; address: string; up: boolean; delayMs: number }>;
  /** Deletes a topic as an admin would; returns false if it did not exist. */
  deleteTopic(name: string): boolean;
  /** Stops every broker and flushes the data dir. */
  close(): Promise<void>;
}

export async function startCluster(options: ClusterOptions = {}): Promise<DevCluster> {
  const count = options.brokers ?? 3;
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`brokers must be a positive integer, got ${count}`);
  const host = options.host ?? '127.0.0.1';
  const basePort = options.port ?? 0;
  const explicit = new Set<string>();
  if (options.autoCreateTopics !== undefined) explicit.add('auto.create.topics.enable');
  if (options.defaultReplicationFactor !== undefined) explicit.add('default.replication.factor');
  if (options.numPartitions !== undefined) explicit.add('num.partitions');
  if (options.groupInitialRebalanceDelayMs !== undefined) explicit.add('group.initial.rebalance.delay.ms');
  const settings: ClusterSettings = {
    clusterId: options.clusterId ?? randomBytes(16).toString('base64url').slice(0, 22),
    autoCreateTopics: options.autoCreateTopics ?? true,
    defaultReplicationFactor: options.defaultReplicationFactor ?? Math.min(3, count),
    numPartitions: options.numPartitions ?? 1,
    groupInitialRebalanceDelayMs: options.groupInitialRebalanceDelayMs ?? 0,
    explicit,
  };
  if (settings.defaultReplicationFactor < 1 || settings.numPartitions < 1) {
    throw new RangeError('defaultReplicationFactor and numPartitions must be at least 1');
  }

  const nodes: BrokerNode[] = Array.from({ length: count }, (_, i) => ({
    nodeId: i,
    host,
    port: basePort === 0 ? 0 : basePort + i,
    up: true,
    delayMs: 0,
  }));
  const storage = options.dataDir === undefined ? null : new DataDir(options.dataDir);
  const state = new ClusterState(nodes, settings, storage);
  const servers = nodes.map((n) => new BrokerServer(state, n));
  try {
    await Promise.all(servers.map((s) => s.start()));
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    state.groups.close();
    await storage?.close();
    throw err;
  }

  const server = (index: number): BrokerServer => {
    const s = servers[index];
    if (s === undefined) throw new RangeError(`No broker ${index} (cluster has ${count})`);
    return s;
  };
  const address = (n: BrokerNode): string => `${n.host}:${n.port}`;
  let closed = false;

  log.info('cluster started', { brokers: nodes.map(address), clusterId: settings.clusterId });
  return {
    brokers: nodes.map(address),
    bootstrap: nodes.map(address).join(','),
    nodeIds: nodes.map((n) => n.nodeId),
    clusterId: settings.clusterId,
    async stopBroker(index) {
      const s = server(index);
      s.node.up = false;
      state.electLeaders();
      await s.stop();
    },
    async restartBroker(index) {
      const s = server(index);
      if (s.listening && s.node.up) return;
      await s.start();
      s.node.up = true;
      state.electLeaders();
    },
    delayBroker(index, ms) {
      server(index).node.delayMs = Math.max(0, ms);
    },
    brokerStatus() {
      return servers.map((s) => ({ nodeId: s.node.nodeId, address: address(s.node), up: s.node.up && s.listening, delayMs: s.node.delayMs }));
    },
    deleteTopic(name) {
      return state.deleteTopic(name);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const n of nodes) n.up = false;
      state.groups.close();
      await Promise.all(servers.map((s) => s.stop()));
      await storage?.close();
      log.info('cluster stopped');
    },
  };
}
