/**
 * Optional persistence for `dataDir`: topics, record batches and committed offsets survive a
 * broker restart.
 *
 * Layout (all plain files, easy to inspect or delete):
 *   topics.json                      topic names, ids, replica lists and configs
 *   logs/<topic-id>/<partition>.log  stored record batches back to back, exactly as served
 *   offsets.jsonl                    one committed offset per line (last line wins)
 *
 * Loading is synchronous (startup only); every write afterwards is asynchronous and batched.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { log } from '../logger.ts';
import type { StoredBatch } from '../log.ts';
import type { OffsetRecord } from '../offset-store.ts';
import { readStoredBatch } from '../record-batch.ts';
import { FileAppender } from './file-appender.ts';

export interface PersistedTopic {
  readonly name: string;
  /** Topic id as 32 hex characters. */
  readonly id: string;
  readonly replicas: number[][];
  readonly configs: Record<string, string>;
}

export interface LoadedState {
  readonly topics: PersistedTopic[];
  readonly offsets: OffsetRecord[];
}

export class DataDir {
  readonly dir: string;
  private readonly appenders = new Map<string, FileAppender>();
  private readonly offsetsAppender: FileAppender;
  private topicsWrite: Promise<void> | null = null;
  private topicsDirty: (() => PersistedTopic[]) | null = null;
  private readonly removals = new Set<Promise<void>>();

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(join(dir, 'logs'), { recursive: true });
    this.offsetsAppender = new FileAppender(join(dir, 'offsets.jsonl'));
  }

  /** Reads topics and offsets, compacting the offsets file (one line per committed partition). */
  load(): LoadedState {
    const topicsFile = join(this.dir, 'topics.json');
    const topics = existsSync(topicsFile) ? (JSON.parse(readFileSync(topicsFile, 'utf8')) as PersistedTopic[]) : [];
    const offsetsFile = join(this.dir, 'offsets.jsonl');
    const latest = new Map<string, OffsetRecord>();
    if (existsSync(offsetsFile)) {
      for (const line of readFileSync(offsetsFile, 'utf8').split('\n')) {
        if (line.trim() === '') continue;
        try {
          const r = JSON.parse(line) as OffsetRecord;
          latest.set(JSON.stringify([r.group, r.topic, r.partition]), r);
        } catch {
          log.warn('skipping unreadable line in offsets.jsonl (interrupted write?)');
        }
      }
      const live = new Set(topics.map((t) => t.name));
      const kept = [...latest.values()].filter((r) => live.has(r.topic));
      writeFileSync(`${offsetsFile}.tmp`, kept.map((r) => `${JSON.stringify(r)}\n`).join(''));
      renameSync(`${offsetsFile}.tmp`, offsetsFile);
      return { topics, offsets: kept };
    }
    return { topics, offsets: [] };
  }

  /**
   * Reads back a partition's batches. A torn tail (the process died mid-write) is cut off so
   * later appends start on a batch boundary.
   */
  readPartition(topicId: string, partition: number): StoredBatch[] {
    const file = this.partitionFile(topicId, partition);
    if (!existsSync(file)) return [];
    const data = readFileSync(file);
    const batches: StoredBatch[] = [];
    let pos = 0;
    while (data.length - pos >= 61) {
      const size = 12 + data.readInt32BE(pos + 8);
      if (size < 61 || pos + size > data.length) break;
      const buf = data.subarray(pos, pos + size);
      const h = readStoredBatch(buf);
      batches.push({
        baseOffset: h.baseOffset,
        nextOffset: h.baseOffset + h.lastOffsetDelta + 1,
        maxTimestamp: h.maxTimestamp,
        buf,
      });
      pos += size;
    }
    if (pos < data.length) {
      log.warn('truncating torn tail of partition log', { file, bytes: data.length - pos });
      truncateSync(file, pos);
    }
    return batches;
  }

  private partitionFile(topicId: string, partition: number): string {
    return join(this.dir, 'logs', topicId, `${partition}.log`);
  }

  /** Returns the function a partition log calls with each appended batch. */
  partitionSink(topicId: string, partition: number): (batch: Buffer) => void {
    mkdirSync(join(this.dir, 'logs', topicId), { recursive: true });
    const file = this.partitionFile(topicId, partition);
    let appender = this.appenders.get(file);
    if (appender === undefined) {
      appender = new FileAppender(file);
      this.appenders.set(file, appender);
    }
    const target = appender;
    return (batch) => target.append(batch);
  }

  offsetSink(): (record: OffsetRecord) => void {
    return (record) => this.offsetsAppender.append(Buffer.from(`${JSON.stringify(record)}\n`));
  }

  /** Rewrites topics.json (coalesced: at most one write in flight, the last state wins). */
  saveTopics(snapshot: () => PersistedTopic[]): void {
    this.topicsDirty = snapshot;
    this.topicsWrite ??= this.writeTopicsLoop();
  }

  private async writeTopicsLoop(): Promise<void> {
    try {
      while (this.topicsDirty !== null) {
        const topics = this.topicsDirty();
        this.topicsDirty = null;
        const file = join(this.dir, 'topics.json');
        await writeFile(`${file}.tmp`, JSON.stringify(topics, null, 2));
        await rename(`${file}.tmp`, file);
      }
    } catch (err) {
      log.error('writing topics.json failed', { error: String(err) });
    } finally {
      this.topicsWrite = null;
    }
  }

  /** Deletes a topic's log files once its pending appends are written. */
  removeTopic(topicId: string): void {
    const dir = join(this.dir, 'logs', topicId);
    const appenders = [...this.appenders.entries()].filter(([file]) => file.startsWith(dir));
    for (const [file] of appenders) this.appenders.delete(file);
    const removal = (async () => {
      await Promise.all(appenders.map(([, a]) => a.close()));
      await rm(dir, { recursive: true, force: true });
    })().catch((err: unknown) => log.error('removing topic files failed', { dir, error: String(err) }));
    this.removals.add(removal);
    void removal.finally(() => this.removals.delete(removal));
  }

  /** Topic ids that have a log directory (to clean up directories of topics no longer listed). */
  logDirectories(): string[] {
    return readdirSync(join(this.dir, 'logs'));
  }

  /** Waits for every pending write and closes the files. */
  async close(): Promise<void> {
    while (this.topicsWrite !== null) await this.topicsWrite;
    await Promise.all([...this.removals]);
    await Promise.all([...this.appenders.values()].map((a) => a.close()));
    await this.offsetsAppender.close();
    this.appenders.clear();
  }
}
