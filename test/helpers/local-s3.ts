import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';

export interface StoredEvent {
  /** Object key relative to the bucket. */
  key: string;
  event: Record<string, any>;
  /** The line as stored (the event's bytes, for byte-exact checks). */
  line: string;
}

async function walk(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

/** Every JSON line of every gzip object under `<s3Dir>/<bucket>/<prefix>`. */
export async function readLocalObjects(s3Dir: string, bucket: string, prefix = ''): Promise<StoredEvent[]> {
  const root = join(s3Dir, bucket);
  const files = (await walk(join(root, prefix))).filter((f) => !f.endsWith('.tmp') && !f.includes('.meta'));
  const out: StoredEvent[] = [];
  for (const file of files.sort()) {
    const raw = await readFile(file);
    const text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      out.push({ key: relative(root, file), event: JSON.parse(line), line });
    }
  }
  return out;
}

/** The partition path Firehose's dynamic partitioning gives an event (ingest_time, UTC). */
export function expectedPartition(appId: string, ingestTime: number): string {
  const d = new Date(ingestTime);
  const p = (n: number) => String(n).padStart(2, '0');
  return `events/app_id=${appId}/year=${d.getUTCFullYear()}/month=${p(d.getUTCMonth() + 1)}/day=${p(d.getUTCDate())}/hour=${p(d.getUTCHours())}/`;
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
