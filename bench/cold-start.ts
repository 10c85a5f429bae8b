/**
 * Cold start of every packaged function: bundle size and module initialisation time.
 *
 * Needs `npm run package` first (reads .serverless/<function>.zip, as `serverless deploy` uploads
 * them) and the `unzip` command. For each function of serverless.yml it prints, one JSON line each:
 * - `<fn>.bundle_kb`: the code Lambda loads at init (KiB): the handler module and every chunk it
 *   imports statically, transitively (esbuild `splitting`, docs/decisions.md D25);
 * - `<fn>.lazy_kb`: the rest of the package's code, loaded on first use only: chunks reached by
 *   `import()` alone, and the side files of esbuild-plugins.ts (ajv, the crc32c wasm), source maps
 *   not counted;
 * - `<fn>.zip_kb`: the package (what Lambda downloads; the source maps are in it, not loaded, D21);
 * - `<fn>.init_ms`: median wall time of `await import(handler)` in a fresh Node process (the
 *   project's Node 24, as Lambda's nodejs24.x), over COLD_START_ROUNDS rounds (default 7);
 * - `<fn>.init_cpu_ms`: median CPU time (user + system) of the same imports: the machine is shared,
 *   and CPU time is what other processes disturb least.
 * The functions take turns within each round, so machine load hits all of them alike. The medians
 * are written to bench/measured.json under "coldStart" (other benches own the other keys).
 *
 * COLD_START_SOURCE_MAPS=1 adds the comparison of docs/decisions.md D21: ingest and checkDrained
 * imported with and without `--enable-source-maps`, alternated.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { initTimeFiles } from './package-graph.ts';

const ROUNDS = Number(process.env.COLD_START_ROUNDS ?? 7);
const SOURCE_MAPS = process.env.COLD_START_SOURCE_MAPS === '1';
const root = process.cwd();

/** Environment the imports see: what module scope may read (no function reads config at import). */
const ENV = {
  ...process.env,
  NODE_OPTIONS: '',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  POWERTOOLS_SERVICE_NAME: 'bench',
  POWERTOOLS_METRICS_NAMESPACE: 'bench',
  KAFKA_BROKERS: 'localhost:9092',
  PIPELINES_TABLE: 'bench',
};

function emit(metric: string, value: number, unit: string): void {
  process.stdout.write(
    `${JSON.stringify({ bench: 'cold-start', metric, value: Math.round(value * 10) / 10, unit })}\n`,
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Function name → handler module inside its package, from serverless.yml. */
function functionModules(): Map<string, string> {
  const doc = parse(readFileSync(join(root, 'serverless.yml'), 'utf8')) as {
    functions: Record<string, { handler: string }>;
  };
  return new Map(
    Object.entries(doc.functions).map(([name, fn]) => [
      name,
      `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.mjs`,
    ]),
  );
}

const kib = (dir: string, files: string[]) => files.reduce((n, f) => n + statSync(join(dir, f)).size, 0) / 1024;

interface Sample {
  wallMs: number;
  cpuMs: number;
}

function importOnce(dir: string, module: string, sourceMaps = false): Sample {
  const probe = [
    'const c = process.cpuUsage(); const t = performance.now();',
    `await import(${JSON.stringify(`./${module}`)});`,
    'const u = process.cpuUsage(c);',
    'process.stdout.write(JSON.stringify({ wallMs: performance.now() - t, cpuMs: (u.user + u.system) / 1000 }));',
  ].join(' ');
  const args = [...(sourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', probe];
  return JSON.parse(execFileSync(process.execPath, args, { cwd: dir, env: ENV }).toString()) as Sample;
}

interface Figures {
  bundle_kb: number;
  lazy_kb: number;
  init_ms: number;
  init_cpu_ms: number;
}

/** bench/measured.json with `coldStart` replaced: one line per function, other keys kept as they are. */
function writeMeasured(figures: Record<string, Figures>, source: string): void {
  const path = join(root, 'bench', 'measured.json');
  const current = existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>) : {};
  const blocks = Object.entries({ ...current, coldStart: figures }).map(([key, value]) => {
    if (key !== 'coldStart')
      return `  ${JSON.stringify(key)}: ${JSON.stringify(value, null, 2).replace(/\n/g, '\n  ')}`;
    const lines = Object.entries(figures).map(([fn, f]) => `    ${JSON.stringify(fn)}: ${JSON.stringify(f)}`);
    return `  "coldStart": {\n${lines.join(',\n')},\n    "source": ${JSON.stringify(source)}\n  }`;
  });
  writeFileSync(path, `{\n${blocks.join(',\n')}\n}\n`);
}

const modules = functionModules();
const work = mkdtempSync(join(tmpdir(), 'cold-start-'));
try {
  const dirs = new Map<string, string>();
  for (const name of modules.keys()) {
    const zip = join(root, '.serverless', `${name}.zip`);
    if (!existsSync(zip)) throw new Error(`${zip} is missing: run \`npm run package\` first`);
    const dir = join(work, name);
    execFileSync('unzip', ['-q', zip, '-d', dir]);
    dirs.set(name, dir);
  }

  const samples = new Map<string, Sample[]>([...modules.keys()].map((name) => [name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = [...modules.keys()];
    if (round % 2 === 1) order.reverse();
    for (const name of order) samples.get(name)!.push(importOnce(dirs.get(name)!, modules.get(name)!));
  }

  const figures: Record<string, Figures> = {};
  for (const [name, module] of modules) {
    const dir = dirs.get(name)!;
    const { init, lazy } = await initTimeFiles(dir, module);
    const initMs = median(samples.get(name)!.map((s) => s.wallMs));
    const cpuMs = median(samples.get(name)!.map((s) => s.cpuMs));
    emit(`${name}.bundle_kb`, kib(dir, init), 'KiB');
    emit(`${name}.lazy_kb`, kib(dir, lazy), 'KiB');
    emit(`${name}.zip_kb`, statSync(join(root, '.serverless', `${name}.zip`)).size / 1024, 'KiB');
    emit(`${name}.init_ms`, initMs, 'ms');
    emit(`${name}.init_cpu_ms`, cpuMs, 'ms');
    figures[name] = {
      bundle_kb: Math.round(kib(dir, init)),
      lazy_kb: Math.round(kib(dir, lazy)),
      init_ms: Math.round(initMs),
      init_cpu_ms: Math.round(cpuMs),
    };
  }
  const load = loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ');
  writeMeasured(
    figures,
    `npm run bench -- cold-start, ${new Date().toISOString().slice(0, 10)}, ${ROUNDS} rounds, load average ${load} (1/5/15 min)`,
  );

  if (SOURCE_MAPS) {
    for (const name of ['ingest', 'checkDrained']) {
      const off: number[] = [];
      const on: number[] = [];
      for (let i = 0; i < ROUNDS; i++) {
        for (const sourceMaps of i % 2 === 0 ? [false, true] : [true, false])
          (sourceMaps ? on : off).push(importOnce(dirs.get(name)!, modules.get(name)!, sourceMaps).wallMs);
      }
      emit(`${name}.import.no-source-maps.median`, median(off), 'ms');
      emit(`${name}.import.enable-source-maps.median`, median(on), 'ms');
      emit(`${name}.import.source-maps-cost.median`, median(on) - median(off), 'ms');
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
