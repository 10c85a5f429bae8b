import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Reads a JSON fixture from test/fixtures (jest always runs from the project root). */
export function fixture<T = Record<string, unknown>>(relative: string): T {
  return JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', relative), 'utf8')) as T;
}
