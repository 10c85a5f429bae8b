/**
 * Benchmark dispatcher: `npm run bench -- <name> [<name> ...]` runs bench/<name>.ts; with no name
 * it runs every bench/*.ts. Each benchmark runs in its own Node process (so servers and timers of
 * one cannot skew another) and prints one JSON line per figure:
 *   {"bench":"<name>","metric":"<metric>","value":<number>,"unit":"<unit>"}
 * Exit status is non-zero if any benchmark fails.
 */
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const NAME = /^[a-z0-9][a-z0-9-]*$/;

function available(): string[] {
  return readdirSync(benchDir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts') && f !== 'run.ts')
    .map((f) => f.slice(0, -3))
    .filter((n) => NAME.test(n))
    .sort();
}

function run(name: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(benchDir, `${name}.ts`)], { stdio: 'inherit' });
    child.on('exit', (code, signal) => resolve(code ?? (signal === null ? 1 : 128)));
  });
}

const all = available();
const requested = process.argv.slice(2);
const unknown = requested.filter((n) => !all.includes(n));
if (unknown.length > 0) {
  process.stderr.write(`Unknown benchmark(s): ${unknown.join(', ')}. Available: ${all.join(', ') || '(none)'}\n`);
  process.exit(2);
}

let failed = 0;
for (const name of requested.length > 0 ? requested : all) {
  process.stderr.write(`# bench ${name}\n`);
  const code = await run(name);
  if (code !== 0) {
    failed++;
    process.stderr.write(`# bench ${name} failed (exit ${code})\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
