/**
 * Cold start of the packaged ingest and checkDrained bundles with and without
 * `--enable-source-maps` (docs/decisions.md, "Source maps are not loaded at init").
 *
 * Needs `npm run package` first (reads .serverless/<function>.zip) and the `unzip` command. Each
 * round starts a fresh Node process (the project's Node 24, as Lambda's nodejs24.x) that imports
 * the bundle, alternating the two modes so machine load hits both alike; prints the median import
 * time of each mode and the difference.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROUNDS = Number(process.env.COLD_START_ROUNDS ?? 15);
const FUNCTIONS = {
  ingest: 'functions/ingest/handler.mjs',
  checkDrained: 'functions/pipelines/tasks/check-drained.mjs',
};

function emit(metric: string, value: number, unit: string): void {
  process.stdout.write(
    `${JSON.stringify({ bench: 'cold-start', metric, value: Math.round(value * 10) / 10, unit })}\n`,
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function importMs(dir: string, module: string, sourceMaps: boolean): number {
  const probe = `const t = performance.now(); await import(${JSON.stringify(`./${module}`)}); process.stdout.write(String(performance.now() - t));`;
  const args = [...(sourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', probe];
  const env = {
    ...process.env,
    NODE_OPTIONS: '',
    AWS_REGION: 'us-east-1',
    POWERTOOLS_SERVICE_NAME: 'bench',
    KAFKA_BROKERS: 'localhost:9092',
    PIPELINES_TABLE: 'bench',
  };
  return Number(execFileSync(process.execPath, args, { cwd: dir, env }).toString());
}

for (const [name, module] of Object.entries(FUNCTIONS)) {
  const zip = join(process.cwd(), '.serverless', `${name}.zip`);
  if (!existsSync(zip)) throw new Error(`${zip} is missing: run \`npm run package\` first`);
  const dir = mkdtempSync(join(tmpdir(), `cold-start-${name}-`));
  try {
    execFileSync('unzip', ['-q', zip, '-d', dir]);
    const maps = readdirSync(join(dir, module, '..')).filter((f) => f.endsWith('.map'));
    if (maps.length === 0) throw new Error(`${name}: the package has no source map; nothing to compare`);
    const off: number[] = [];
    const on: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      for (const sourceMaps of i % 2 === 0 ? [false, true] : [true, false])
        (sourceMaps ? on : off).push(importMs(dir, module, sourceMaps));
    }
    emit(`${name}.import.no-source-maps.median`, median(off), 'ms');
    emit(`${name}.import.enable-source-maps.median`, median(on), 'ms');
    emit(`${name}.import.source-maps-cost.median`, median(on) - median(off), 'ms');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
