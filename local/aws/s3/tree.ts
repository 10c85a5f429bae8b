/**
 * The local S3 tree: object `<bucket>/<key>` is the file `<root>/<bucket>/<key>`, key segments
 * mapped one to one onto directories. `.` and `..` segments are escaped (`%2E`, `%2E%2E`) so a
 * key can never leave its bucket; files named `.<anything>.tmp` are writes in progress.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ESCAPES: Record<string, string> = { '.': '%2E', '..': '%2E%2E' };
const UNESCAPES: Record<string, string> = { '%2E': '.', '%2E%2E': '..' };

export const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/** The file of an object; undefined when the key cannot be stored (empty segments). */
export function objectPath(root: string, bucket: string, key: string): string | undefined {
  const segments = key.split('/');
  if (key === '' || segments.some((s) => s === '')) return undefined;
  return join(root, bucket, ...segments.map((s) => ESCAPES[s] ?? s));
}

/** Writes an object atomically (temporary file, then rename); creates the bucket directory. */
export function writeObject(root: string, bucket: string, key: string, body: Buffer | string): string {
  const path = objectPath(root, bucket, key);
  if (!path) throw new Error(`the local S3 tree cannot store the key '${key}' (empty path segment)`);
  mkdirSync(dirname(path), { recursive: true });
  const temp = join(dirname(path), `.${randomUUID()}.tmp`);
  writeFileSync(temp, body);
  renameSync(temp, path);
  return path;
}

export const isTempFile = (name: string): boolean => name.startsWith('.') && name.endsWith('.tmp');

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

/** Every object of a bucket, sorted by key. */
export function listObjects(root: string, bucket: string): ListedObject[] {
  const out: ListedObject[] = [];
  const walk = (dir: string, prefix: string[]): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const segment = UNESCAPES[entry.name] ?? entry.name;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path, [...prefix, segment]);
      else if (entry.isFile() && !isTempFile(entry.name)) {
        const stat = statSync(path);
        out.push({ key: [...prefix, segment].join('/'), size: stat.size, lastModified: stat.mtime });
      }
    }
  };
  walk(join(root, bucket), []);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
