/**
 * Appends buffers to one file without blocking the request path.
 *
 * Writes are queued and drained by a single async loop that hands everything queued so far to one
 * writev call, so a burst of produce requests costs one syscall instead of one per batch and no
 * request ever waits on the disk (Kafka itself acks before fsync and relies on replication).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { log } from '../logger.ts';

export class FileAppender {
  private readonly path: string;
  private pending: Buffer[] = [];
  private running: Promise<void> | null = null;
  private handle: FileHandle | null = null;

  constructor(path: string) {
    this.path = path;
  }

  append(buf: Buffer): void {
    this.pending.push(buf);
    this.running ??= this.drain();
  }

  private async drain(): Promise<void> {
    try {
      this.handle ??= await open(this.path, 'a');
      while (this.pending.length > 0) {
        const batch = this.pending;
        this.pending = [];
        await this.handle.writev(batch);
      }
    } catch (err) {
      log.error('data dir write failed', { path: this.path, error: String(err) });
      this.pending = [];
    } finally {
      this.running = null;
    }
  }

  /** Resolves once everything appended so far is written. */
  async flush(): Promise<void> {
    while (this.running !== null) await this.running;
  }

  async close(): Promise<void> {
    await this.flush();
    const handle = this.handle;
    this.handle = null;
    await handle?.close();
  }
}
