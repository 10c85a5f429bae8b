/**
 * The log of one partition: stored record batches in offset order, plus the state needed to
 * answer produce (offset assignment, idempotent-producer sequence checks), fetch (read from an
 * offset, wake long-polling fetches) and ListOffsets (earliest, latest, by timestamp).
 *
 * Batches are kept as the exact bytes the producer sent (with the broker's base offset patched
 * in), so a fetch hands the same buffers back to the socket.
 */
import { assignOffsets, firstOffsetAtOrAfter, storedHeader, type BatchHeader } from './record-batch.ts';
import { ErrorCode } from './protocol/errors.ts';

export interface StoredBatch {
  readonly baseOffset: number;
  /** Offset after the last record of the batch. */
  readonly nextOffset: number;
  readonly maxTimestamp: number;
  readonly buf: Buffer;
}

interface ProducerState {
  epoch: number;
  lastSequence: number;
  /** The last few appended batches, so a retried batch is answered instead of duplicated. */
  recent: Array<{ firstSequence: number; lastSequence: number; baseOffset: number }>;
}

export type AppendResult =
  { errorCode: 0; baseOffset: number } | { errorCode: number; baseOffset: -1; message: string };

const INT32_MAX = 2147483647;

export class PartitionLog {
  private readonly batches: StoredBatch[] = [];
  private readonly waiters = new Set<() => void>();
  private readonly producers = new Map<number, ProducerState>();
  startOffset = 0;
  nextOffset = 0;
  sizeBytes = 0;
  /** Called with each appended batch (after offset assignment); set when a data dir persists it. */
  sink: ((batch: Buffer) => void) | null = null;

  /**
   * Appends the validated batches of one produce request atomically: either all are appended or
   * none (sequence errors are checked first).
   */
  append(batches: readonly BatchHeader[], leaderEpoch: number): AppendResult {
    const first = batches[0];
    if (first === undefined) return { errorCode: ErrorCode.INVALID_RECORD, baseOffset: -1, message: 'No batches' };
    if (first.producerId >= 0) {
      const check = this.checkSequence(first);
      if (check !== null) return check;
    }
    const baseOffset = this.nextOffset;
    for (const b of batches) {
      const offset = this.nextOffset;
      assignOffsets(b.buf, offset, leaderEpoch);
      const stored: StoredBatch = {
        baseOffset: offset,
        nextOffset: offset + b.lastOffsetDelta + 1,
        maxTimestamp: b.maxTimestamp,
        buf: b.buf,
      };
      this.batches.push(stored);
      this.nextOffset = stored.nextOffset;
      this.sizeBytes += b.buf.length;
      if (b.producerId >= 0) this.recordSequence(b, offset);
      this.sink?.(b.buf);
    }
    this.notify();
    return { errorCode: 0, baseOffset };
  }

  /**
   * Re-adds a batch read back from disk at startup (offsets already assigned), and rebuilds the
   * idempotent-producer state from its header as Kafka does from its log: a producer that
   * resends a batch the broker had appended before it restarted is answered with the first
   * append's offset instead of storing the batch twice.
   */
  restore(batch: StoredBatch): void {
    if (this.batches.length === 0) this.startOffset = batch.baseOffset;
    this.batches.push(batch);
    this.nextOffset = batch.nextOffset;
    this.sizeBytes += batch.buf.length;
    const header = storedHeader(batch.buf);
    if (header.producerId >= 0) {
      this.recordSequence(header, batch.baseOffset);
      this.maxProducerId = Math.max(this.maxProducerId, header.producerId);
    }
  }

  /** Highest producer id among the restored batches (-1: none), so new ids do not reuse them. */
  maxProducerId = -1;

  private checkSequence(b: BatchHeader): AppendResult | null {
    const state = this.producers.get(b.producerId);
    if (state === undefined || b.producerEpoch > state.epoch) return null;
    if (b.producerEpoch < state.epoch) {
      return {
        errorCode: ErrorCode.INVALID_PRODUCER_EPOCH,
        baseOffset: -1,
        message: 'Producer epoch is fenced',
      };
    }
    const lastSequence = b.baseSequence + b.lastOffsetDelta;
    const duplicate = state.recent.find((r) => r.firstSequence === b.baseSequence && r.lastSequence === lastSequence);
    if (duplicate !== undefined) return { errorCode: 0, baseOffset: duplicate.baseOffset };
    const expected = state.lastSequence === INT32_MAX ? 0 : state.lastSequence + 1;
    if (b.baseSequence !== expected) {
      return {
        errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
        baseOffset: -1,
        message: `Expected sequence ${expected}, got ${b.baseSequence}`,
      };
    }
    return null;
  }

  private recordSequence(
    b: Pick<BatchHeader, 'producerId' | 'producerEpoch' | 'baseSequence' | 'lastOffsetDelta'>,
    baseOffset: number,
  ): void {
    let state = this.producers.get(b.producerId);
    if (state === undefined || b.producerEpoch !== state.epoch) {
      state = { epoch: b.producerEpoch, lastSequence: -1, recent: [] };
      this.producers.set(b.producerId, state);
    }
    const lastSequence = b.baseSequence + b.lastOffsetDelta;
    state.lastSequence = lastSequence;
    state.recent.push({ firstSequence: b.baseSequence, lastSequence, baseOffset });
    if (state.recent.length > 5) state.recent.shift();
  }

  /** Index of the batch containing `offset` (or the first one after it). */
  private indexOf(offset: number): number {
    let lo = 0;
    let hi = this.batches.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const b = this.batches[mid]!;
      if (b.nextOffset <= offset) lo = mid + 1;
      else if (b.baseOffset > offset) hi = mid - 1;
      else return mid;
    }
    return lo;
  }

  /**
   * Batches from `offset` on, up to `maxBytes` (at least one batch when `atLeastOne`, as Kafka
   * does so an oversized batch cannot stall a consumer).
   */
  read(offset: number, maxBytes: number, atLeastOne: boolean): { batches: Buffer[]; bytes: number } {
    const out: Buffer[] = [];
    let bytes = 0;
    for (let i = this.indexOf(offset); i < this.batches.length; i++) {
      const b = this.batches[i]!;
      if (bytes + b.buf.length > maxBytes && !(atLeastOne && out.length === 0)) break;
      out.push(b.buf);
      bytes += b.buf.length;
    }
    return { batches: out, bytes };
  }

  /** Earliest offset whose record timestamp is >= `timestamp`, or null when there is none. */
  offsetForTimestamp(timestamp: number): { offset: number; timestamp: number } | null {
    for (const b of this.batches) {
      if (b.maxTimestamp >= timestamp) return firstOffsetAtOrAfter(b.buf, timestamp);
    }
    return null;
  }

  /** Registers a callback run after the next appends (long-polling fetches); returns its remover. */
  onAppend(waiter: () => void): () => void {
    this.waiters.add(waiter);
    return () => this.waiters.delete(waiter);
  }

  /** Wakes every waiter (after an append, or when the partition disappears). */
  notify(): void {
    if (this.waiters.size === 0) return;
    for (const w of [...this.waiters]) w();
  }
}
