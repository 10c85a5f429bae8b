/**
 * The evidence for the Kafka client choice (docs/decisions.md): the ingest workload — requests
 * of 100 events of ~500 bytes, each sent with acks=all on an idempotent producer and awaited,
 * several requests in flight — with @platformatic/kafka (through the project's EventProducer)
 * and with kafkajs, against the dev cluster in its own process; and the cold-start cost of each
 * client as a Lambda would pay it (import time of an esbuild bundle like serverless-esbuild's).
 * Prints one JSON line per figure: {"bench","metric","value","unit"}.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kafka, logLevel, CompressionTypes } from 'kafkajs';
import { createEventProducer, parseClusterConfig } from '../functions/lib/kafka/index.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const REQUESTS = Number(process.env.CLIENT_BENCH_REQUESTS ?? 400);
const PER_REQUEST = 100;
const IN_FLIGHT = 8;

function emit(metric: string, value: number, unit: string): void {
  process.stdout.write(
    `${JSON.stringify({ bench: 'kafka-clients', metric, value: Math.round(value * 100) / 100, unit })}\n`,
  );
}

function startBroker(): Promise<{ child: ChildProcess; bootstrap: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [join(root, 'local/kafka/cli.ts'), '--brokers', '3', '--port', '0', '--num-partitions', '3'],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, bootstrap: out.slice(0, nl) });
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
}

function request(r: number) {
  return Array.from({ length: PER_REQUEST }, (_, i) => ({
    key: `app:u-${(r * PER_REQUEST + i) % 997}`,
    value: JSON.stringify({
      event_id: `r${r}-${i}`,
      event_type: 'click',
      app_id: 'app',
      timestamp: Date.now(),
      pad: 'x'.repeat(380),
    }),
    headers: { app_id: 'app', event_type: 'click' },
  }));
}

/** Runs REQUESTS sends with IN_FLIGHT concurrency; returns events/s and p99 latency per request. */
async function drive(send: (r: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < REQUESTS) {
        const r = next++;
        const t = performance.now();
        await send(r);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    eventsPerSecond: (REQUESTS * PER_REQUEST) / seconds,
    p50: latencies[Math.floor(latencies.length * 0.5)]!,
    p99: latencies[Math.floor(latencies.length * 0.99)]!,
  };
}

/** Median import time (ms) of a minified ESM bundle of `entry`, each in a fresh Node process. */
function coldImport(name: string, source: string): number {
  const dir = mkdtempSync(join(tmpdir(), 'cold-'));
  try {
    const entry = join(root, `.bench-entry-${name}.mjs`);
    writeFileSync(entry, source);
    const out = join(dir, `${name}.mjs`);
    const built = spawnSync(
      join(root, 'node_modules/.bin/esbuild'),
      [
        entry,
        '--bundle',
        '--platform=node',
        '--format=esm',
        '--minify',
        '--target=node24',
        '--alias:@platformatic/wasm-utils=@platformatic/wasm-utils/bundled',
        `--banner:js=import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);`,
        `--outfile=${out}`,
        '--log-level=error',
      ],
      { cwd: root },
    );
    rmSync(entry);
    if (built.status !== 0) throw new Error(`esbuild failed: ${built.stderr}`);
    const runs = [1, 2, 3, 4, 5].map(() => {
      const r = spawnSync(process.execPath, [
        '-e',
        `const t=performance.now(); import(${JSON.stringify(out)}).then(()=>console.log(performance.now()-t))`,
      ]);
      return Number(r.stdout.toString().trim());
    });
    runs.sort((a, b) => a - b);
    return runs[2]!;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

emit(
  'platformatic_cold_import',
  coldImport('platformatic', "import { Producer } from '@platformatic/kafka'; globalThis.p = Producer;"),
  'ms',
);
emit('kafkajs_cold_import', coldImport('kafkajs', "import { Kafka } from 'kafkajs'; globalThis.k = Kafka;"), 'ms');

const broker = await startBroker();
try {
  const producer = createEventProducer(parseClusterConfig({ 'bootstrap.servers': broker.bootstrap }), {
    autocreateTopics: true,
  });
  await producer.send('bench-platformatic', request(0));
  const p = await drive((r) => producer.send('bench-platformatic', request(r), { timeoutMs: 10_000 }));
  await producer.close();
  emit('platformatic_ingest_events_per_s', p.eventsPerSecond, 'events/s');
  emit('platformatic_ingest_request_p50', p.p50, 'ms');
  emit('platformatic_ingest_request_p99', p.p99, 'ms');

  const kafka = new Kafka({
    brokers: broker.bootstrap.split(','),
    logLevel: logLevel.NOTHING,
    clientId: 'bench',
  });
  const kp = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: true });
  await kp.connect();
  const toKafkajs = (r: number) => request(r).map((m) => ({ key: m.key, value: m.value, headers: m.headers }));
  await kp.send({
    topic: 'bench-kafkajs',
    acks: -1,
    compression: CompressionTypes.None,
    messages: toKafkajs(0),
  });
  const k = await drive(async (r) => {
    await kp.send({ topic: 'bench-kafkajs', acks: -1, messages: toKafkajs(r) });
  });
  await kp.disconnect();
  emit('kafkajs_ingest_events_per_s', k.eventsPerSecond, 'events/s');
  emit('kafkajs_ingest_request_p50', k.p50, 'ms');
  emit('kafkajs_ingest_request_p99', k.p99, 'ms');
} finally {
  broker.child.kill('SIGINT');
}
