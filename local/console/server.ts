/**
 * The local console (http://127.0.0.1:3000/console, `npm start` only): one HTML page and a small
 * script, no build step. Its JSON endpoint gathers what a newcomer would otherwise poll with curl:
 * the pipelines and their step history (through the admin API, as a client would), and per
 * pipeline the events the API accepted, the records in its topic, the records delivered to S3
 * and the sink's lag, plus the latest objects of the data bucket with a preview.
 *
 * It sees the pipeline the way an operator does: the HTTP API, the Kafka protocol (kafkajs, not
 * the product's client), the MSK API of the local AWS endpoint and the local S3 tree.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import '../kafkajs-request-queue.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

/** What the console counts from the API's answers: events acknowledged per app (POST /collect 200s). */
export class CollectCounter {
  private readonly accepted = new Map<string, number>();

  /** The gateway's observer: a 200 from POST /collect names how many events Kafka acknowledged. */
  observe(routeKey: string, query: URLSearchParams, status: number, body: string | Buffer): void {
    if (routeKey !== 'POST /collect' || status !== 200) return;
    const appId = query.get('appId');
    if (appId === null) return;
    try {
      const { accepted } = JSON.parse(String(body)) as { accepted?: unknown };
      if (typeof accepted === 'number') this.accepted.set(appId, (this.accepted.get(appId) ?? 0) + accepted);
    } catch {
      // Not JSON: nothing to count.
    }
  }

  of(appIds: readonly string[]): number {
    return appIds.reduce((n, app) => n + (this.accepted.get(app) ?? 0), 0);
  }
}

export interface ConsoleOptions {
  /** The local HTTP API (admin API and /collect). */
  api: () => string;
  /** host:port list of an MSK cluster ARN's plaintext brokers (the local MSK API); undefined if unknown. */
  bootstrapFor: (clusterArn: string) => Promise<string | undefined>;
  /** The local S3 tree root and the data bucket. */
  s3Dir: string;
  bucket: string;
  counter: CollectCounter;
  /** Pre-filled in the create form (the dev cluster). */
  defaultClusterArn?: string;
}

interface PipelineView {
  id: string;
  projectId: string;
  appIds: string[];
  status: string;
  kafka: { cluster: { type: string; clusterArn?: string; brokers?: string }; topic: string };
  sink: { mode: 'lambda' | 'connector'; bucket?: string; prefix?: string };
}

interface ObjectInfo {
  key: string;
  size: number;
  modified: string;
}

const PREVIEW_LINES = 20;
const LATEST_OBJECTS = 15;

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) await walk(path, out);
    else if (e.isFile()) out.push(path);
  }
}

/** The console's HTTP side; `handle` answers /console requests and returns false for others. */
export class LocalConsole {
  private readonly admins = new Map<string, Promise<Admin>>();
  /** Lines per object file, keyed by path + size + mtime (objects are immutable once written). */
  private readonly lineCounts = new Map<string, number>();
  private readonly options: ConsoleOptions;

  constructor(options: ConsoleOptions) {
    this.options = options;
  }

  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
    if (url.pathname !== '/console' && !url.pathname.startsWith('/console/')) return false;
    if (req.method !== 'GET') {
      sendJson(res, 405, {
        message: `${req.method} is not allowed on ${url.pathname}; the console is read-only (the form posts to /pipelines)`,
      });
      return true;
    }
    try {
      if (url.pathname === '/console' || url.pathname === '/console/')
        return await this.file(res, 'index.html', 'text/html; charset=utf-8');
      if (url.pathname === '/console/app.js') return await this.file(res, 'app.js', 'text/javascript; charset=utf-8');
      if (url.pathname === '/console/api/overview') {
        sendJson(res, 200, await this.overview());
        return true;
      }
      if (url.pathname === '/console/api/object') {
        const key = url.searchParams.get('key');
        if (key === null || key === '') {
          sendJson(res, 400, { message: 'query parameter key is required' });
          return true;
        }
        const preview = await this.preview(key);
        if (preview === undefined)
          sendJson(res, 404, { message: `no object '${key}' in bucket ${this.options.bucket}` });
        else sendJson(res, 200, preview);
        return true;
      }
      sendJson(res, 404, { message: `no console page ${url.pathname}` });
    } catch (err) {
      sendJson(res, 502, { message: `the console could not gather its data: ${(err as Error).message}` });
    }
    return true;
  }

  private async file(res: ServerResponse, name: string, type: string): Promise<boolean> {
    const body = await readFile(join(here, name));
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
    return true;
  }

  async overview(): Promise<{
    pipelines: unknown[];
    objects: ObjectInfo[];
    bucket: string;
    defaults: { clusterArn?: string };
  }> {
    const response = await fetch(`${this.options.api()}/pipelines`);
    if (!response.ok) throw new Error(`GET /pipelines answered ${response.status}`);
    const listed = (await response.json()) as { pipelines?: PipelineView[] } | PipelineView[];
    const pipelines = Array.isArray(listed) ? listed : (listed.pipelines ?? []);
    const files = await this.objectFiles();
    const withStats = await Promise.all(pipelines.map(async (p) => ({ ...p, stats: await this.stats(p, files) })));
    const objects = (await Promise.all(files.map(async (f) => ({ f, s: await stat(f).catch(() => undefined) }))))
      .filter((x) => x.s !== undefined)
      .sort((a, b) => b.s!.mtimeMs - a.s!.mtimeMs)
      .slice(0, LATEST_OBJECTS)
      .map(({ f, s }) => ({ key: this.keyOf(f), size: s!.size, modified: s!.mtime.toISOString() }));
    return {
      pipelines: withStats,
      objects,
      bucket: this.options.bucket,
      defaults: { clusterArn: this.options.defaultClusterArn },
    };
  }

  private bucketDir(): string {
    return resolve(this.options.s3Dir, this.options.bucket);
  }

  private keyOf(path: string): string {
    return relative(this.bucketDir(), path)
      .split(sep)
      .map((s) => ({ '%2E': '.', '%2E%2E': '..' })[s] ?? s)
      .join('/');
  }

  private async objectFiles(): Promise<string[]> {
    const out: string[] = [];
    await walk(this.bucketDir(), out);
    return out;
  }

  private async lines(path: string): Promise<{ count: number; text: string[] }> {
    const raw = await readFile(path);
    const body = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
    const text = body
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '');
    return { count: text.length, text };
  }

  private async delivered(p: PipelineView, files: string[]): Promise<number> {
    // Only this pipeline's bucket is browsable locally when it is the stack's data bucket.
    if (p.sink.bucket !== undefined && p.sink.bucket !== this.options.bucket) return 0;
    const prefix = p.sink.prefix ?? 'events/';
    const mine = files.filter((f) => p.appIds.some((app) => this.keyOf(f).startsWith(`${prefix}app_id=${app}/`)));
    let total = 0;
    for (const f of mine) {
      const s = await stat(f).catch(() => undefined);
      if (!s) continue;
      const cacheKey = `${f}|${s.size}|${s.mtimeMs}`;
      let n = this.lineCounts.get(cacheKey);
      if (n === undefined) {
        n = (await this.lines(f)).count;
        this.lineCounts.set(cacheKey, n);
      }
      total += n;
    }
    return total;
  }

  private async bootstrap(p: PipelineView): Promise<string | undefined> {
    const c = p.kafka.cluster;
    if (c.type === 'self-hosted') return c.brokers;
    return c.clusterArn === undefined ? undefined : this.options.bootstrapFor(c.clusterArn);
  }

  private admin(bootstrap: string): Promise<Admin> {
    let admin = this.admins.get(bootstrap);
    if (!admin) {
      const created = new Kafka({
        clientId: 'local-console',
        brokers: bootstrap.split(','),
        logLevel: logLevel.NOTHING,
        retry: { retries: 1 },
      }).admin();
      admin = created.connect().then(() => created);
      admin.catch(() => this.admins.delete(bootstrap));
      this.admins.set(bootstrap, admin);
    }
    return admin;
  }

  /** The sink's consumer group (docs/decisions.md D14). */
  private static groupOf(p: PipelineView): string {
    return p.sink.mode === 'connector' ? `connect-clickstream-${p.id}` : `clickstream-sink-${p.id}`;
  }

  private async stats(p: PipelineView, files: string[]): Promise<Record<string, number | string | null>> {
    const accepted = this.options.counter.of(p.appIds);
    const delivered = await this.delivered(p, files);
    let inKafka: number | null = null;
    let lag: number | null = null;
    let kafkaError: string | null = null;
    if (p.status === 'ACTIVE' || p.status === 'DELETING') {
      try {
        const bootstrap = await this.bootstrap(p);
        if (bootstrap === undefined) throw new Error('cluster unknown to the local MSK API');
        const admin = await this.admin(bootstrap);
        const offsets = await admin.fetchTopicOffsets(p.kafka.topic);
        inKafka = offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
        const [committed] = await admin.fetchOffsets({
          groupId: LocalConsole.groupOf(p),
          topics: [p.kafka.topic],
        });
        lag = offsets.reduce((n, o) => {
          const c = committed?.partitions.find((x) => x.partition === o.partition);
          const at = c === undefined || Number(c.offset) < 0 ? Number(o.low) : Number(c.offset);
          return n + Math.max(0, Number(o.high) - at);
        }, 0);
      } catch (err) {
        kafkaError = (err as Error).message;
      }
    }
    return { accepted, inKafka, delivered, lag, kafkaError };
  }

  async preview(key: string): Promise<{ key: string; lines: string[]; totalLines: number } | undefined> {
    const path = resolve(this.bucketDir(), ...key.split('/').map((s) => ({ '.': '%2E', '..': '%2E%2E' })[s] ?? s));
    if (!path.startsWith(this.bucketDir() + sep)) return undefined;
    const s = await stat(path).catch(() => undefined);
    if (!s?.isFile()) return undefined;
    const { count, text } = await this.lines(path);
    return { key, lines: text.slice(0, PREVIEW_LINES), totalLines: count };
  }

  async close(): Promise<void> {
    const admins = [...this.admins.values()];
    this.admins.clear();
    await Promise.all(
      admins.map((a) =>
        a.then(
          (x) => x.disconnect(),
          () => undefined,
        ),
      ),
    );
  }
}
