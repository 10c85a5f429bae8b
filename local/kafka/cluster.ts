/**
 * Starts a dev cluster: N brokers in this process sharing one ClusterState, each on its own port,
 * and exposes the fault hooks tests use (stop/restart/delay a broker, delete a topic).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrokerServer } from './broker-server.ts';
import { ClusterState, type BrokerNode, type ClusterSettings } from './cluster-state.ts';
import { log } from './logger.ts';
import { DataDir } from './storage/data-dir.ts';
import { ensureTlsMaterial, type TlsMaterial } from './security/certificates.ts';
import { LISTENERS, type ListenerKind, type SaslCredentials } from './security/listeners.ts';
import type { IamCredential } from './security/msk-iam.ts';
import { scramCredential } from './security/scram.ts';

export type SecuredListener = Exclude<ListenerKind, 'plaintext'>;

/** The credentials MSK IAM tokens are checked against when none are given: the local stack's AWS keys. */
export const DEFAULT_IAM_CREDENTIALS: readonly IamCredential[] = [{ accessKeyId: 'local', secretAccessKey: 'local' }];

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
  /**
   * Secured listeners, off unless given: `tls` (SSL), `scram` (SASL_SSL, SCRAM-SHA-512), `iam`
   * (SASL_SSL, OAUTHBEARER with MSK IAM tokens). `port` is broker 0's, broker i listens on
   * port + i; 0 gives free ports.
   */
  listeners?: Partial<Record<SecuredListener, { port: number }>>;
  /** Where the local CA, the broker certificate and the truststores live (default `<dataDir>/tls`, else a temporary directory removed on close). */
  tlsDir?: string;
  /** Password of the JKS and PKCS#12 truststores (default: the one kept in tlsDir, else `changeit`). */
  truststorePassword?: string;
  /** SCRAM-SHA-512 users, username → password (only salted credentials are kept). */
  scramUsers?: Record<string, string>;
  /** The AWS keys MSK IAM tokens must be signed with (default: access key `local`, secret `local`). */
  iamCredentials?: readonly IamCredential[];
  /** The clock IAM token expiry is checked against (tests). */
  iamClock?: () => number;
}

/** TLS material and truststores clients can be pointed at. */
export interface DevClusterTls {
  /** PEM of the local CA, and the paths of the CA file and of the JKS / PKCS#12 truststores. */
  readonly caPem: string;
  readonly caLocation: string;
  readonly jksLocation: string;
  readonly pkcs12Location: string;
  readonly truststorePassword: string;
}

export interface DevCluster {
  /** "host:port" of every broker, in node id order. */
  readonly brokers: string[];
  /** The brokers as one comma-separated bootstrap string. */
  readonly bootstrap: string;
  /** Node ids (broker i has node id i). */
  readonly nodeIds: number[];
  readonly clusterId: string;
  /** Bootstrap string of each secured listener that is on. */
  readonly listeners: Partial<Record<SecuredListener, string>>;
  /** The TLS material (when a secured listener is on). */
  readonly tls: DevClusterTls | undefined;
  /** Adds or replaces a SCRAM-SHA-512 user (MSK: associating an AmazonMSK_ secret). */
  setScramUser(username: string, password: string): void;
  /** Removes a SCRAM user; false if there was none. */
  removeScramUser(username: string): boolean;
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

/** Port of broker i for a listener whose broker 0 is on `base` (0: free ports). */
function offset(base: number, i: number): number {
  return base === 0 ? 0 : base + i;
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

  const secured = (['tls', 'scram', 'iam'] as const).filter((k) => options.listeners?.[k] !== undefined);
  const nodes: BrokerNode[] = Array.from({ length: count }, (_, i) => ({
    nodeId: i,
    host,
    port: basePort === 0 ? 0 : basePort + i,
    ...(secured.length > 0
      ? { ports: Object.fromEntries(secured.map((k) => [k, offset(options.listeners?.[k]?.port ?? 0, i)])) }
      : {}),
    up: true,
    delayMs: 0,
  }));

  let tls: TlsMaterial | undefined;
  let tempTlsDir: string | undefined;
  if (secured.length > 0) {
    const dir =
      options.tlsDir ??
      (options.dataDir !== undefined
        ? join(options.dataDir, 'tls')
        : (tempTlsDir = mkdtempSync(join(tmpdir(), 'kafka-dev-tls-'))));
    tls = ensureTlsMaterial(dir, host, options.truststorePassword);
  }
  const credentials: SaslCredentials = {
    scram: new Map(
      Object.entries(options.scramUsers ?? {}).map(([user, password]) => [user, scramCredential(password)]),
    ),
    iam: {
      credentials: options.iamCredentials ?? DEFAULT_IAM_CREDENTIALS,
      ...(options.iamClock ? { now: options.iamClock } : {}),
    },
  };
  const removeTempTls = (): void => {
    if (tempTlsDir !== undefined) rmSync(tempTlsDir, { recursive: true, force: true });
  };

  const storage = options.dataDir === undefined ? null : new DataDir(options.dataDir);
  const state = new ClusterState(nodes, settings, storage);
  const security = { tls: tls ? { key: tls.keyPem, cert: tls.certPem } : undefined, credentials };
  const servers = nodes.map((n) => new BrokerServer(state, n, security));
  try {
    await Promise.all(servers.map((s) => s.start()));
  } catch (err) {
    await Promise.all(servers.map((s) => s.stop()));
    state.groups.close();
    await storage?.close();
    removeTempTls();
    throw err;
  }

  const server = (index: number): BrokerServer => {
    const s = servers[index];
    if (s === undefined) throw new RangeError(`No broker ${index} (cluster has ${count})`);
    return s;
  };
  const address = (n: BrokerNode): string => `${n.host}:${n.port}`;
  let closed = false;

  const listeners = Object.fromEntries(
    secured.map((k) => [k, nodes.map((n) => `${n.host}:${n.ports?.[k] ?? 0}`).join(',')]),
  );
  log.info('cluster started', {
    brokers: nodes.map(address),
    clusterId: settings.clusterId,
    ...Object.fromEntries(secured.map((k) => [LISTENERS[k].name, listeners[k]])),
  });
  return {
    brokers: nodes.map(address),
    bootstrap: nodes.map(address).join(','),
    nodeIds: nodes.map((n) => n.nodeId),
    clusterId: settings.clusterId,
    listeners,
    tls:
      tls === undefined
        ? undefined
        : {
            caPem: tls.caPem,
            caLocation: tls.caLocation,
            jksLocation: tls.jksLocation,
            pkcs12Location: tls.pkcs12Location,
            truststorePassword: tls.truststorePassword,
          },
    setScramUser(username, password) {
      credentials.scram.set(username, scramCredential(password));
    },
    removeScramUser(username) {
      return credentials.scram.delete(username);
    },
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
      return servers.map((s) => ({
        nodeId: s.node.nodeId,
        address: address(s.node),
        up: s.node.up && s.listening,
        delayMs: s.node.delayMs,
      }));
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
      removeTempTls();
      log.info('cluster stopped');
    },
  };
}
