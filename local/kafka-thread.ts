/**
 * A dev Kafka cluster in its own worker thread, so that `npm start` is not one event loop: the
 * brokers (request decoding, record batches, replication, the data dir) use one core while the
 * gateway, the functions and the local AWS services use the other. Clients reach the brokers
 * over their sockets either way; the controls (stop/start/delay a broker, SCRAM users) are
 * messages to the thread. A worker thread dies with its process, so neither Ctrl-C nor a
 * SIGKILL of `npm start` can leave brokers behind (a child process could outlive its parent).
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import type { ClusterOptions, DevCluster } from './kafka/index.ts';

type BrokerStatus = ReturnType<DevCluster['brokerStatus']>;
type Op = 'stopBroker' | 'restartBroker' | 'delayBroker' | 'setScramUser' | 'removeScramUser' | 'deleteTopic' | 'close';

/** The dev cluster's controls as seen from another thread: every change is awaited. */
export interface ClusterControls extends Pick<
  DevCluster,
  'brokers' | 'bootstrap' | 'nodeIds' | 'clusterId' | 'listeners' | 'tls' | 'stopBroker' | 'restartBroker' | 'close'
> {
  /** Each broker's status as of the last change (only the controls below change it). */
  brokerStatus(): BrokerStatus;
  delayBroker(index: number, ms: number): Promise<void>;
  setScramUser(username: string, password: string): Promise<void>;
  removeScramUser(username: string): Promise<boolean>;
  deleteTopic(name: string): Promise<boolean>;
}

type Started = Pick<DevCluster, 'brokers' | 'bootstrap' | 'nodeIds' | 'clusterId' | 'listeners' | 'tls'>;
type FromThread =
  | { ready: Started; status: BrokerStatus }
  | { failed: { message: string; code?: string; port?: number } }
  | { id: number; result?: unknown; error?: string; status: BrokerStatus };

/** The same controls for a cluster in this thread (a function option, e.g. an IAM clock, cannot cross threads). */
export function inThisThread(cluster: DevCluster): ClusterControls {
  return {
    brokers: cluster.brokers,
    bootstrap: cluster.bootstrap,
    nodeIds: cluster.nodeIds,
    clusterId: cluster.clusterId,
    listeners: cluster.listeners,
    tls: cluster.tls,
    brokerStatus: () => cluster.brokerStatus(),
    stopBroker: (i) => cluster.stopBroker(i),
    restartBroker: (i) => cluster.restartBroker(i),
    delayBroker: async (i, ms) => cluster.delayBroker(i, ms),
    setScramUser: async (u, p) => cluster.setScramUser(u, p),
    removeScramUser: async (u) => cluster.removeScramUser(u),
    deleteTopic: async (name) => cluster.deleteTopic(name),
    close: () => cluster.close(),
  };
}

/** Starts the cluster in a new worker thread; rejects as startCluster would (EADDRINUSE keeps its code and port). */
export function startClusterThread(options: Omit<ClusterOptions, 'iamClock'>): Promise<ClusterControls> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { devClusterThread: true, options } });
  const pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  let status: BrokerStatus = [];
  let nextId = 0;
  let gone: Error | undefined;
  const call = (op: Op, ...args: unknown[]): Promise<unknown> => {
    if (gone) return Promise.reject(gone);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      pending.set(id, { resolve, reject });
      worker.postMessage({ id, op, args });
    });
  };
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      gone = err;
      reject(err);
      for (const p of pending.values()) p.reject(err);
      pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the Kafka dev cluster thread exited (code ${code})`)));
    worker.on('message', (m: FromThread) => {
      if ('failed' in m) {
        void worker.terminate();
        fail(Object.assign(new Error(m.failed.message), { code: m.failed.code, port: m.failed.port }));
      } else if ('ready' in m) {
        status = m.status;
        resolve({
          ...m.ready,
          brokerStatus: () => status,
          stopBroker: async (i) => void (await call('stopBroker', i)),
          restartBroker: async (i) => void (await call('restartBroker', i)),
          delayBroker: async (i, ms) => void (await call('delayBroker', i, ms)),
          setScramUser: async (u, p) => void (await call('setScramUser', u, p)),
          removeScramUser: async (u) => (await call('removeScramUser', u)) as boolean,
          deleteTopic: async (name) => (await call('deleteTopic', name)) as boolean,
          close: async () => {
            if (gone) return;
            await call('close');
            gone = new Error('the Kafka dev cluster is closed');
            await worker.terminate();
          },
        });
      } else {
        status = m.status;
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.error !== undefined) p?.reject(new Error(m.error));
        else p?.resolve(m.result);
      }
    });
  });
}

/** The thread's side: starts the cluster and answers the controls. */
async function serveCluster(options: ClusterOptions): Promise<void> {
  const port = parentPort!;
  const { startCluster } = await import('./kafka/index.ts');
  let cluster: DevCluster;
  try {
    cluster = await startCluster(options);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { port?: number };
    port.postMessage({ failed: { message: e.message, code: e.code, port: e.port } });
    return;
  }
  port.on('message', ({ id, op, args }: { id: number; op: Op; args: unknown[] }) => {
    void (async () => {
      try {
        const result = await (cluster[op] as (...a: unknown[]) => unknown)(...args);
        port.postMessage({ id, result, status: cluster.brokerStatus() });
      } catch (err) {
        port.postMessage({
          id,
          error: err instanceof Error ? err.message : String(err),
          status: cluster.brokerStatus(),
        });
      }
    })();
  });
  const { brokers, bootstrap, nodeIds, clusterId, listeners, tls } = cluster;
  port.postMessage({
    ready: { brokers, bootstrap, nodeIds, clusterId, listeners, tls },
    status: cluster.brokerStatus(),
  });
}

if (!isMainThread && (workerData as { devClusterThread?: boolean } | null)?.devClusterThread === true) {
  await serveCluster((workerData as { options: ClusterOptions }).options);
}
