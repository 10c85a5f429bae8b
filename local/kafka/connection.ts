/**
 * One client TCP connection: splits the byte stream into size-prefixed request frames and writes
 * responses back in request order.
 *
 * Requests are handled as soon as they arrive, but some answers are parked (long-poll fetch,
 * join/sync group); each request therefore reserves a slot and responses leave only when every
 * earlier slot is done, which is the ordering guarantee Kafka gives per connection.
 */
import type { Socket } from 'node:net';
import { log } from './logger.ts';
import type { ListenerKind, SaslSession } from './security/listeners.ts';

/** Same default limit as Kafka's socket.request.max.bytes. */
const MAX_FRAME_BYTES = 100 * 1024 * 1024;

interface Slot {
  chunks: Buffer[] | null;
  done: boolean;
}

export class Connection {
  readonly socket: Socket;
  readonly remote: string;
  /** The listener the client connected to (Metadata advertises the same one). */
  readonly listener: ListenerKind;
  /** SASL state on SASL listeners; null elsewhere. */
  readonly sasl: SaslSession | null;
  closed = false;
  /** Set when a failed authentication must end the connection once its answer is written. */
  private endAfterResponses = false;
  private readonly onFrame: (conn: Connection, frame: Buffer) => void;
  private leftover: Buffer | null = null;
  private partial: Buffer | null = null;
  private partialFilled = 0;
  private readonly slots: Slot[] = [];
  private readonly closeCallbacks = new Set<() => void>();

  constructor(
    socket: Socket,
    onFrame: (conn: Connection, frame: Buffer) => void,
    security: { listener: ListenerKind; sasl: SaslSession | null } = { listener: 'plaintext', sasl: null },
  ) {
    this.socket = socket;
    this.listener = security.listener;
    this.sasl = security.sasl;
    this.remote = socket.remoteAddress ?? 'unknown';
    this.onFrame = onFrame;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => log.debug('connection error', { remote: this.remote, error: err.message }));
    socket.on('close', () => this.onClosed());
  }

  private onData(chunk: Buffer): void {
    let data = chunk;
    let pos = 0;
    if (this.partial !== null) {
      const n = Math.min(this.partial.length - this.partialFilled, data.length);
      data.copy(this.partial, this.partialFilled, 0, n);
      this.partialFilled += n;
      pos = n;
      if (this.partialFilled < this.partial.length) return;
      const frame = this.partial;
      this.partial = null;
      this.emit(frame);
    } else if (this.leftover !== null) {
      data = Buffer.concat([this.leftover, chunk]);
      this.leftover = null;
    }
    while (!this.closed) {
      const available = data.length - pos;
      if (available < 4) {
        if (available > 0) this.leftover = Buffer.from(data.subarray(pos));
        return;
      }
      const size = data.readInt32BE(pos);
      if (size < 0 || size > MAX_FRAME_BYTES) {
        log.warn('closing connection: invalid frame size', { remote: this.remote, size });
        this.close();
        return;
      }
      if (available - 4 >= size) {
        this.emit(data.subarray(pos + 4, pos + 4 + size));
        pos += 4 + size;
        continue;
      }
      this.partial = Buffer.allocUnsafe(size);
      data.copy(this.partial, 0, pos + 4);
      this.partialFilled = available - 4;
      return;
    }
  }

  private emit(frame: Buffer): void {
    try {
      this.onFrame(this, frame);
    } catch (err) {
      log.error('closing connection: request failed', {
        remote: this.remote,
        error: err instanceof Error ? err.stack : String(err),
      });
      this.close();
    }
  }

  /** Reserves the next response position; complete it with `complete(slot, chunks | null)`. */
  reserve(): Slot {
    const slot: Slot = { chunks: null, done: false };
    this.slots.push(slot);
    return slot;
  }

  complete(slot: Slot, chunks: Buffer[] | null): void {
    slot.chunks = chunks;
    slot.done = true;
    if (this.slots[0] !== slot) return;
    if (this.closed) return;
    this.socket.cork();
    while (this.slots.length > 0 && this.slots[0]!.done) {
      const head = this.slots.shift()!;
      if (head.chunks !== null) for (const c of head.chunks) this.socket.write(c);
    }
    this.socket.uncork();
    if (this.endAfterResponses && this.slots.length === 0) this.socket.end();
  }

  /** Closes the connection once every reserved response is written (Kafka does this after a failed SASL exchange). */
  endAfterPendingResponses(): void {
    this.endAfterResponses = true;
  }

  onClose(callback: () => void): () => void {
    this.closeCallbacks.add(callback);
    return () => this.closeCallbacks.delete(callback);
  }

  close(): void {
    this.socket.destroy();
    this.onClosed();
  }

  private onClosed(): void {
    if (this.closed) return;
    this.closed = true;
    this.slots.length = 0;
    for (const cb of [...this.closeCallbacks]) cb();
    this.closeCallbacks.clear();
  }
}
