/**
 * The poller of one enabled Kafka event source mapping: consumes the topic in the mapping's
 * consumer group, batches records, invokes the function with the MSK-shaped event and commits
 * offsets only for what the function processed.
 *
 * Batching: a batch is delivered when `BatchSize` records are buffered, or when
 * `MaximumBatchingWindowInSeconds` (500 ms when unset) has passed since the oldest buffered
 * record arrived, and never exceeds Lambda's 6 MB payload. One invocation at a time per mapping,
 * so records of a partition are always delivered in order.
 *
 * Results:
 * - success: every partition of the batch is committed past its last record;
 * - `batchItemFailures` (with `FunctionResponseTypes: ["ReportBatchItemFailures"]`), items
 *   `{ itemIdentifier: { partition: "<topic>-<partition>", offset: N } }` as Lambda documents
 *   them for Kafka (and Powertools emits): each reported
 *   partition resumes at the reported offset and only what precedes it is committed; the other
 *   partitions are committed in full. The records to resume are kept in memory and delivered
 *   first, which is what seeking the consumer back would re-read. An identifier that names no
 *   record of the batch makes the whole batch a failure, as in Lambda;
 * - an error (thrown, rejected, timed out): the whole batch is retried with exponential backoff
 *   (100 ms doubling to 5 s). With `BisectBatchOnFunctionError` the retry uses half the batch.
 *   After `MaximumRetryAttempts` (-1 = forever; 10 when an on-failure destination is set, as
 *   Lambda does), the batch goes to the S3 on-failure destination if one is configured and is
 *   committed past (skipped).
 * A failed partial batch that made no progress counts as a retry attempt too.
 *
 * Duplicates: after a group rebalance the consumer re-reads from the committed offsets; records
 * the poller already holds or delivered are recognised by offset and dropped, so a rebalance
 * alone does not deliver anything twice.
 */
import { createLambdaContext } from '../../lambda-context.ts';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { Clock } from '../clock.ts';
import { log } from '../logger.ts';
import { buildKafkaEvent, estimateEventBytes, MAX_EVENT_BYTES, partitionKeyOf } from './kafka-event.ts';
import type {
  CommitOffset,
  KafkaSource,
  OpenKafkaSource,
  SourceRecord,
  SourceSecurity,
  TopicPartition,
} from './kafka-source.ts';

/** Supplied by the stack: runs the named function in-process. */
export type InvokeFunction = (functionName: string, event: unknown, context: Context) => Promise<unknown>;

export interface PollerConfig {
  uuid: string;
  functionName: string;
  functionArn: string;
  eventSourceArn: string | undefined;
  brokers: readonly string[];
  /** How the brokers are reached (MSK: the listener Lambda picks for the mapping's auth). */
  security?: SourceSecurity;
  topic: string;
  groupId: string;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  batchSize: number;
  windowMs: number;
  reportBatchItemFailures: boolean;
  /** -1: retry until it succeeds. */
  maximumRetryAttempts: number;
  bisectOnError: boolean;
  /** S3 bucket ARN of the on-failure destination. */
  onFailureDestination: string | undefined;
  timeoutMs: number;
  memoryMb: number;
}

export interface PollerDeps {
  invoke: InvokeFunction;
  openSource: OpenKafkaSource;
  clock: Clock;
  /** Writes a failed batch's record to the on-failure destination. */
  writeFailure(destination: string, key: string, body: unknown): void;
  /** LastProcessingResult updates for the mapping. */
  onResult(result: string): void;
}

export interface PollerStats {
  invocations: number;
  /** Records the function processed successfully (each counted once). */
  recordsProcessed: number;
  functionErrors: number;
  partialFailures: number;
  retries: number;
  /** Records given up on after MaximumRetryAttempts. */
  recordsDiscarded: number;
  commits: number;
  buffered: number;
  lastError: string | undefined;
}

interface Queued {
  record: SourceRecord;
  arrivedAt: number;
}

type Outcome = { kind: 'success' } | { kind: 'partial'; failed: Map<string, bigint> } | { kind: 'error'; error: Error };

export class FunctionTimeoutError extends Error {
  constructor(seconds: number) {
    super(`Task timed out after ${seconds.toFixed(2)} seconds`);
    this.name = 'FunctionTimeoutError';
  }
}

/** Validates a function response for a batch; returns the failed offset per partition key. */
export function interpretResponse(response: unknown, batch: readonly SourceRecord[]): Outcome {
  if (response === null || response === undefined || typeof response !== 'object') return { kind: 'success' };
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { kind: 'success' };
  if (!Array.isArray(failures)) return { kind: 'error', error: new Error('batchItemFailures must be an array') };
  if (failures.length === 0) return { kind: 'success' };
  const offsetsByPartition = new Map<string, Set<bigint>>();
  for (const record of batch) {
    const key = partitionKeyOf(record.topic, record.partition);
    let set = offsetsByPartition.get(key);
    if (!set) offsetsByPartition.set(key, (set = new Set()));
    set.add(record.offset);
  }
  const failed = new Map<string, bigint>();
  for (const failure of failures) {
    const identifier = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    const tp = (identifier as { partition?: unknown } | null | undefined)?.partition;
    const rawOffset = (identifier as { offset?: unknown } | null | undefined)?.offset;
    const offset =
      typeof rawOffset === 'number' && Number.isInteger(rawOffset)
        ? BigInt(rawOffset)
        : typeof rawOffset === 'string' && /^\d+$/.test(rawOffset)
          ? BigInt(rawOffset)
          : undefined;
    if (typeof tp !== 'string' || offset === undefined || !offsetsByPartition.get(tp)?.has(offset)) {
      return {
        kind: 'error',
        error: new Error(
          `invalid batchItemFailures itemIdentifier ${JSON.stringify(identifier ?? null)}: it must name a record of the batch`,
        ),
      };
    }
    const previous = failed.get(tp);
    if (previous === undefined || offset < previous) failed.set(tp, offset);
  }
  return { kind: 'partial', failed };
}

export class MappingPoller {
  private config: PollerConfig;
  private readonly deps: PollerDeps;
  private queue: Queued[] = [];
  /** Next offset expected from the source per partition: lower offsets are re-reads. */
  private readonly nextOffset = new Map<string, bigint>();
  private readonly pendingCommits = new Map<string, CommitOffset>();
  private source: KafkaSource | undefined;
  private sourceFailed: Error | undefined;
  private paused = false;
  private stopping = false;
  private loop: Promise<void> | undefined;
  private waker: (() => void) | undefined;
  private attempts = 0;
  private retryAt = 0;
  private retryPending = false;
  private bisectLimit: number | undefined;
  readonly stats: PollerStats = {
    invocations: 0,
    recordsProcessed: 0,
    functionErrors: 0,
    partialFailures: 0,
    retries: 0,
    recordsDiscarded: 0,
    commits: 0,
    buffered: 0,
    lastError: undefined,
  };

  constructor(config: PollerConfig, deps: PollerDeps) {
    this.config = config;
    this.deps = deps;
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.run().catch((error: unknown) => {
      log.error('poller stopped on an unexpected error', {
        uuid: this.config.uuid,
        error: error instanceof Error ? error.stack : String(error),
      });
    });
  }

  /** Finishes the in-flight invocation and its commit, then closes the consumer. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake();
    await this.loop;
    await this.closeSource();
  }

  private wake(): void {
    const waker = this.waker;
    this.waker = undefined;
    waker?.();
  }

  private get highWater(): number {
    return Math.max(this.config.batchSize * 2, 1000);
  }

  private onRecord = (record: SourceRecord): void => {
    const key = partitionKeyOf(record.topic, record.partition);
    const next = this.nextOffset.get(key);
    if (next !== undefined && record.offset < next) return; // re-read after a rebalance: held or delivered already
    this.nextOffset.set(key, record.offset + 1n);
    this.queue.push({ record, arrivedAt: this.deps.clock.now() });
    this.stats.buffered = this.queue.length;
    if (this.queue.length === 1 || this.queue.length >= this.config.batchSize) this.wake();
    if (!this.paused && this.queue.length >= this.highWater) {
      this.paused = true;
      this.source?.pause();
    }
  };

  private onAssignment = (partitions: TopicPartition[]): void => {
    const owned = new Set(partitions.map((p) => partitionKeyOf(p.topic, p.partition)));
    this.queue = this.queue.filter((q) => owned.has(partitionKeyOf(q.record.topic, q.record.partition)));
    for (const key of [...this.nextOffset.keys()]) if (!owned.has(key)) this.nextOffset.delete(key);
    for (const key of [...this.pendingCommits.keys()]) if (!owned.has(key)) this.pendingCommits.delete(key);
    this.stats.buffered = this.queue.length;
    log.debug('partitions assigned', { uuid: this.config.uuid, partitions: [...owned] });
  };

  private onSourceError = (error: Error): void => {
    this.sourceFailed ??= error;
    this.wake();
  };

  private async closeSource(): Promise<void> {
    const source = this.source;
    this.source = undefined;
    if (source) await source.close();
  }

  private async openSource(): Promise<boolean> {
    try {
      this.sourceFailed = undefined;
      this.paused = false;
      this.source = await this.deps.openSource(
        {
          brokers: this.config.brokers,
          ...(this.config.security ? { security: this.config.security } : {}),
          groupId: this.config.groupId,
          topic: this.config.topic,
          startingPosition: this.config.startingPosition,
          clientId: `lambda-esm-${this.config.uuid}`,
        },
        { onRecord: this.onRecord, onAssignment: this.onAssignment, onError: this.onSourceError },
      );
      return true;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.stats.lastError = message;
      this.deps.onResult(`PROBLEM: Connection error. ${message}`);
      log.warn('cannot consume the event source; retrying', {
        uuid: this.config.uuid,
        brokers: this.config.brokers,
        error: message,
      });
      return false;
    }
  }

  /** When the next batch may be delivered; undefined when nothing is buffered. */
  private dueAt(): number | undefined {
    const head = this.queue[0];
    if (!head) return undefined;
    if (this.retryPending) return this.retryAt;
    const limit = this.bisectLimit ?? this.config.batchSize;
    if (this.queue.length >= limit) return this.deps.clock.now();
    return head.arrivedAt + this.config.windowMs;
  }

  /** Resolves at `due` (clock time) or on wake(), whichever is first; the timer never outlives it. */
  private waitUntil(due: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      let cancel: (() => void) | undefined;
      this.waker = () => {
        cancel?.();
        resolve();
      };
      if (due !== undefined) {
        cancel = this.deps.clock.schedule(() => this.wake(), due - this.deps.clock.now());
      }
    });
  }

  private async run(): Promise<void> {
    let reconnectDelay = 250;
    while (!this.stopping) {
      if (this.sourceFailed) {
        log.warn('Kafka source failed; reconnecting from the committed offsets', {
          uuid: this.config.uuid,
          error: this.sourceFailed.message,
        });
        this.deps.onResult(`PROBLEM: Connection error. ${this.sourceFailed.message}`);
        await this.flushCommits();
        await this.closeSource();
        this.queue = [];
        this.nextOffset.clear();
        this.pendingCommits.clear();
        this.retryPending = false;
        this.sourceFailed = undefined;
      }
      if (!this.source) {
        if (!(await this.openSource())) {
          await this.waitUntil(this.deps.clock.now() + reconnectDelay);
          reconnectDelay = Math.min(reconnectDelay * 2, 5000);
          continue;
        }
        reconnectDelay = 250;
      }
      if (this.pendingCommits.size > 0 && !(await this.flushCommits())) {
        await this.waitUntil(this.deps.clock.now() + 200);
        continue;
      }
      const due = this.dueAt();
      if (due === undefined || due > this.deps.clock.now()) {
        await this.waitUntil(due);
        continue;
      }
      await this.deliverNext();
    }
  }

  private takeBatch(): SourceRecord[] {
    const limit = this.bisectLimit ?? this.config.batchSize;
    const batch: SourceRecord[] = [];
    let bytes = 200;
    while (batch.length < limit) {
      const head = this.queue[0];
      if (!head) break;
      const size = estimateEventBytes(head.record);
      if (batch.length > 0 && bytes + size > MAX_EVENT_BYTES) break;
      batch.push(head.record);
      bytes += size;
      this.queue.shift();
    }
    this.stats.buffered = this.queue.length;
    if (this.paused && this.queue.length < this.highWater / 2) {
      this.paused = false;
      this.source?.resume();
    }
    return batch;
  }

  private async invoke(batch: SourceRecord[]): Promise<Outcome> {
    const { config, deps } = this;
    const event = buildKafkaEvent({ eventSourceArn: config.eventSourceArn, bootstrapServers: config.brokers }, batch);
    const context = createLambdaContext({
      functionName: config.functionName,
      functionArn: config.functionArn,
      timeoutMs: config.timeoutMs,
      memoryMb: config.memoryMb,
      now: () => deps.clock.now(),
      logStreamSuffix: config.uuid,
    });
    this.stats.invocations += 1;
    let cancelTimer: (() => void) | undefined;
    const timeout = new Promise<never>((_, reject) => {
      cancelTimer = deps.clock.schedule(
        () => reject(new FunctionTimeoutError(config.timeoutMs / 1000)),
        config.timeoutMs,
      );
    });
    try {
      const invocation = Promise.resolve().then(() => deps.invoke(config.functionName, event, context));
      invocation.catch(() => undefined); // a timed-out invocation may still reject later
      const response = await Promise.race([invocation, timeout]);
      return config.reportBatchItemFailures ? interpretResponse(response, batch) : { kind: 'success' };
    } catch (error) {
      return { kind: 'error', error: error instanceof Error ? error : new Error(String(error)) };
    } finally {
      cancelTimer?.();
    }
  }

  private commitThrough(records: readonly SourceRecord[]): void {
    for (const record of records) {
      const key = partitionKeyOf(record.topic, record.partition);
      const offset = record.offset + 1n;
      const current = this.pendingCommits.get(key);
      if (!current || current.offset < offset) {
        this.pendingCommits.set(key, {
          topic: record.topic,
          partition: record.partition,
          offset,
          leaderEpoch: record.leaderEpoch,
        });
      }
    }
  }

  private async flushCommits(): Promise<boolean> {
    if (this.pendingCommits.size === 0 || !this.source) return true;
    const offsets = [...this.pendingCommits.values()];
    try {
      await this.source.commit(offsets);
      for (const o of offsets) {
        const key = partitionKeyOf(o.topic, o.partition);
        if (this.pendingCommits.get(key) === o) this.pendingCommits.delete(key);
      }
      this.stats.commits += 1;
      return true;
    } catch (error) {
      log.warn('offset commit failed; will retry', {
        uuid: this.config.uuid,
        error: error instanceof Error ? error.message : String(error),
      });
      return false;
    }
  }

  private requeueFront(records: readonly SourceRecord[]): void {
    const now = this.deps.clock.now();
    this.queue = [...records.map((record) => ({ record, arrivedAt: now })), ...this.queue];
    this.stats.buffered = this.queue.length;
  }

  private backoffMs(): number {
    const base = Math.min(100 * 2 ** Math.max(0, this.attempts - 1), 5000);
    return Math.round(base / 2 + Math.random() * (base / 2));
  }

  /** Sends records that ran out of retries to the on-failure destination, then skips them. */
  private discard(records: readonly SourceRecord[], error: Error): void {
    const { config } = this;
    this.stats.recordsDiscarded += records.length;
    log.warn('retries exhausted; skipping records', {
      uuid: config.uuid,
      records: records.length,
      destination: config.onFailureDestination ?? 'none',
      error: error.message,
    });
    if (config.onFailureDestination) {
      const byPartition = new Map<string, SourceRecord[]>();
      for (const r of records) {
        const key = partitionKeyOf(r.topic, r.partition);
        byPartition.set(key, [...(byPartition.get(key) ?? []), r]);
      }
      const now = new Date(this.deps.clock.now());
      const iso = now.toISOString();
      for (const [key, group] of byPartition) {
        const first = group[0] as SourceRecord;
        const last = group[group.length - 1] as SourceRecord;
        const stamp = iso.slice(0, 19).replaceAll(':', '.');
        const objectKey = `aws/lambda/${config.uuid}/${key}/${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${stamp}-${randomUUID()}`;
        this.deps.writeFailure(config.onFailureDestination, objectKey, {
          requestContext: {
            requestId: randomUUID(),
            functionArn: config.functionArn,
            condition: 'RetryAttemptsExhausted',
            approximateInvokeCount: this.attempts,
          },
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          version: '1.0',
          timestamp: iso,
          KafkaBatchInfo: {
            batchSize: group.length,
            eventSourceArn: config.eventSourceArn,
            bootstrapServers: config.brokers.join(','),
            topic: first.topic,
            partition: first.partition,
            firstOffset: Number(first.offset),
            lastOffset: Number(last.offset),
          },
          errorMessage: error.message,
          payload: buildKafkaEvent({ eventSourceArn: config.eventSourceArn, bootstrapServers: config.brokers }, group),
        });
      }
    }
    this.commitThrough(records);
  }

  private failAttempt(retry: readonly SourceRecord[], error: Error): void {
    this.attempts += 1;
    const max = this.config.maximumRetryAttempts;
    if (max >= 0 && this.attempts > max) {
      this.discard(retry, error);
      this.attempts = 0;
      this.retryPending = false;
      return;
    }
    this.stats.retries += 1;
    this.requeueFront(retry);
    this.retryPending = true;
    this.retryAt = this.deps.clock.now() + this.backoffMs();
  }

  private async deliverNext(): Promise<void> {
    const batch = this.takeBatch();
    if (batch.length === 0) return;
    this.retryPending = false;
    const outcome = await this.invoke(batch);

    if (outcome.kind === 'success') {
      this.attempts = 0;
      this.bisectLimit = undefined;
      this.stats.recordsProcessed += batch.length;
      this.commitThrough(batch);
      this.deps.onResult('OK');
    } else if (outcome.kind === 'partial') {
      this.stats.partialFailures += 1;
      const done: SourceRecord[] = [];
      const retry: SourceRecord[] = [];
      for (const record of batch) {
        const failedAt = outcome.failed.get(partitionKeyOf(record.topic, record.partition));
        if (failedAt !== undefined && record.offset >= failedAt) retry.push(record);
        else done.push(record);
      }
      this.stats.recordsProcessed += done.length;
      this.commitThrough(done);
      if (done.length > 0) {
        this.attempts = 0;
        this.bisectLimit = undefined;
        this.requeueFront(retry);
        this.retryPending = true;
        this.retryAt = this.deps.clock.now();
        this.deps.onResult('OK');
      } else {
        this.failAttempt(retry, new Error('the function reported every partition of the batch as failed'));
        this.deps.onResult('PROBLEM: Function call failed');
      }
    } else {
      this.stats.functionErrors += 1;
      this.stats.lastError = outcome.error.message;
      log.warn('function invocation failed; the batch will be retried', {
        uuid: this.config.uuid,
        records: batch.length,
        error: outcome.error.message,
      });
      if (this.config.bisectOnError && batch.length > 1) {
        this.bisectLimit = Math.ceil(batch.length / 2);
        this.stats.retries += 1;
        this.requeueFront(batch);
        this.retryPending = true;
        this.retryAt = this.deps.clock.now() + this.backoffMs();
      } else {
        this.failAttempt(batch, outcome.error);
      }
      this.deps.onResult('PROBLEM: Function call failed');
    }
    await this.flushCommits();
  }
}
