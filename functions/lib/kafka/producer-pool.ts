/**
 * One event producer per Kafka cluster, for an ingest that writes each app's events to its own
 * pipeline's cluster. A cluster's producer is created on its first send, reused by every later
 * send to that cluster, closed once unused for `idleMs`, and the pool holds at most
 * `maxProducers` of them (the least recently used idle one is closed to make room; when every
 * one is busy the send is refused as unavailable, never queued without bound).
 */
import { createHash } from 'node:crypto';
import { type ClusterConnection } from './config.ts';
import { silentLog } from '../logger.ts';
import { KafkaUnavailableError } from './errors.ts';
import { createEventProducer, type EventProducer, type EventProducerOptions, type EventRecord } from './producer.ts';

export interface ProducerPoolOptions extends EventProducerOptions {
  /** Producers open at once at most. Default 16. */
  maxProducers?: number;
  /** A producer unused this long is closed. Default 5 minutes. */
  idleMs?: number;
  /** Builds a cluster's producer; default createEventProducer. */
  create?: (conn: ClusterConnection, options: EventProducerOptions) => EventProducer;
  now?: () => number;
}

export interface ProducerPool {
  /** Sends through the cluster's producer (created on first use); rejects like EventProducer.send. */
  send(
    cluster: ClusterConnection,
    topic: string,
    records: readonly EventRecord[],
    opts?: { timeoutMs?: number },
  ): Promise<void>;
  /** Open producers. */
  readonly size: number;
  /** Closes the producers unused for idleMs (also done on every send). */
  sweep(): Promise<void>;
  close(): Promise<void>;
}

/** The identity of a cluster connection: same brokers (any order), auth, trust and credentials. */
export function clusterKey(conn: ClusterConnection): string {
  const trust =
    conn.trust === undefined
      ? null
      : conn.trust.kind === 'pem'
        ? { pem: createHash('sha256').update(conn.trust.pem).digest('base64url') }
        : {
            file: conn.trust.location,
            type: conn.trust.type ?? null,
            password:
              conn.trust.password === undefined
                ? null
                : createHash('sha256').update(conn.trust.password).digest('base64url'),
          };
  return JSON.stringify([[...conn.brokers].sort(), conn.auth, trust, conn.scramSecretArn ?? null, conn.region ?? null]);
}

interface Entry {
  producer: EventProducer;
  lastUsed: number;
  inflight: number;
}

export function createProducerPool(options: ProducerPoolOptions = {}): ProducerPool {
  const maxProducers = options.maxProducers ?? 16;
  const idleMs = options.idleMs ?? 300_000;
  const now = options.now ?? Date.now;
  const create = options.create ?? createEventProducer;
  const logger = options.logger ?? silentLog;
  const entries = new Map<string, Entry>();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;

  function closeEntry(key: string, entry: Entry, why: string): Promise<void> {
    entries.delete(key);
    logger.info('Closing a Kafka producer', { cluster: key, why });
    return entry.producer.close().catch(() => undefined);
  }

  async function sweep(): Promise<void> {
    const at = now();
    const idle = [...entries].filter(([, e]) => e.inflight === 0 && at - e.lastUsed >= idleMs);
    await Promise.all(idle.map(([key, entry]) => closeEntry(key, entry, `unused for ${idleMs} ms`)));
  }

  function schedule(): void {
    if (timer !== undefined || entries.size === 0) return;
    // A background sweep where timers run (the local stack); on Lambda, sends sweep.
    timer = setTimeout(
      () => {
        timer = undefined;
        void sweep().then(schedule);
      },
      Math.max(1_000, Math.floor(idleMs / 2)),
    );
    timer.unref();
  }

  function entryFor(conn: ClusterConnection): Entry {
    const key = clusterKey(conn);
    const existing = entries.get(key);
    if (existing) {
      // Most recently used last: the map's order is the eviction order.
      entries.delete(key);
      entries.set(key, existing);
      return existing;
    }
    if (entries.size >= maxProducers) {
      const victim = [...entries].find(([, e]) => e.inflight === 0);
      if (!victim) {
        throw new KafkaUnavailableError(
          `all ${maxProducers} Kafka producers of this instance are busy with other clusters; retry`,
          'unreachable',
        );
      }
      void closeEntry(victim[0], victim[1], `room for another cluster (at most ${maxProducers})`);
    }
    const entry: Entry = { producer: create(conn, options), lastUsed: now(), inflight: 0 };
    entries.set(key, entry);
    schedule();
    return entry;
  }

  return {
    async send(cluster, topic, records, opts) {
      if (closed) throw new KafkaUnavailableError('The producer pool is closed', 'closed');
      await sweep();
      const entry = entryFor(cluster);
      entry.inflight += 1;
      try {
        await entry.producer.send(topic, records, opts);
      } finally {
        entry.inflight -= 1;
        entry.lastUsed = now();
      }
    },
    get size() {
      return entries.size;
    },
    sweep,
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      await Promise.all([...entries].map(([key, entry]) => closeEntry(key, entry, 'pool closed')));
    },
  };
}
