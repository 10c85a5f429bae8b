/**
 * Ingest benchmark: `npm run bench -- ingest` (docs/benchmarks.md, "Ingest").
 *
 * 1. `core_events_per_s`: the ingest core on one core, no network: the HTTP app of the function
 *    (createIngestApp) decoding, validating, enriching and keying requests of 100 ~500-byte events,
 *    then the real event producer (functions/lib/kafka/producer.ts) turning the records into
 *    messages, partitioning them, and @platformatic/kafka's record-batch encoder serialising each
 *    partition's batch. Goal >= 100,000 events/s.
 * 2. Three processes, as on AWS: the dev brokers (`npm run kafka`, 3 brokers, topic with 3
 *    partitions and replication factor 3, a data dir as in `npm start`), the ingest function behind
 *    the local gateway (this file with `--serve`), and the load generator (autocannon, in this
 *    process: 8 keep-alive connections posting the same 100-event request).
 *    - `cpu_ms_per_request`: CPU time (process.cpuUsage) the ingest process spends per 100-event
 *      request when its handler is invoked directly (what Lambda bills), real producer, acks=all.
 *    - `e2e_events_per_s`, `e2e_p50_ms`, `e2e_p99_ms`: `POST /collect` through the gateway.
 *    - `kcat_records_per_s`: kcat producing as many records as the e2e run acknowledged, each as
 *      large as an enriched event, acks=all, to the same brokers; `e2e_vs_kcat` the ratio (goal >= 0.30).
 *    - `naive_kafkajs_events_per_s`: the naive baseline, one kafkajs `send` per event (8 in flight).
 *    Each is the median of INGEST_BENCH_RUNS runs (default 3; per-run values go to stderr).
 *
 * `node bench/ingest.ts --url http://127.0.0.1:3000/collect?appId=demo-app` only drives load at an
 * existing endpoint (e.g. `npm start`) and prints the e2e figures.
 * INGEST_BENCH_WRITE=1 also stores the medians in bench/measured.json under "ingest".
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import autocannon from 'autocannon';
import { Kafka, logLevel } from 'kafkajs';
// The naive baseline gets kafkajs without its idle 1 ms timer loop (tulios/kafkajs#1751), as the local stack does.
import '../local/kafkajs-request-queue.ts';
import { createRecordsBatch, type MessageRecord } from '@platformatic/kafka';
import { createIngestApp } from '../functions/ingest/app.ts';
import type { CollectDeps } from '../functions/ingest/collect.ts';
import { createEventProducer, parseClusterConfig, type ProducerPort } from '../functions/lib/kafka/index.ts';
import { keyPartitioner } from '../functions/lib/kafka/murmur2.ts';
import { median, startBroker, stopBroker, kcatProduce, type BrokerProcess } from './lib/processes.ts';
import { silentLog } from '../functions/lib/logger.ts';

const BENCH = 'ingest';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.INGEST_BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.INGEST_BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.INGEST_BENCH_CONNECTIONS ?? 8);
const EVENTS_PER_REQUEST = 100;
const APP_ID = 'bench-app';
const TOPIC = 'ingest-bench';
const PARTITIONS = 3;

const figures: Record<string, number> = {};
function emit(metric: string, value: number, unit: string): void {
  const rounded = Number(value.toFixed(value < 10 ? 3 : 1));
  figures[metric] = rounded;
  process.stdout.write(`${JSON.stringify({ bench: BENCH, metric, value: rounded, unit })}\n`);
}
const say = (line: string) => process.stderr.write(`# ${line}\n`);

/** Deterministic pseudo-random numbers (the request must not depend on the run). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const PAGES = ['/', '/products', '/products/42', '/cart', '/checkout', '/search?q=shoes', '/account'];

/** One request body: 100 events of ~500 bytes as the Clickstream SDKs send them. */
function requestBody(appId = APP_ID): string {
  const rnd = lcg(7);
  const events = Array.from({ length: EVENTS_PER_REQUEST }, (_, i) =>
    JSON.stringify({
      event_id: `6f1c2b7e-${String(i).padStart(4, '0')}-4a3b-9c8d-${String(Math.floor(rnd() * 1e12)).padStart(12, '0')}`,
      event_type: rnd() < 0.7 ? '_page_view' : '_click',
      timestamp: 1_763_726_400_000 + i * 37,
      app_id: appId,
      user_pseudo_id: `u-${Math.floor(rnd() * 1e9)}`,
      session_id: `s-${Math.floor(rnd() * 1e6)}`,
      platform: 'Web',
      sdk_version: '0.12.6',
      device_id: `d-${Math.floor(rnd() * 1e9)}`,
      locale: 'en-US',
      attributes: {
        _page_url: `https://shop.example.com${PAGES[i % PAGES.length]}`,
        _page_title: 'Example shop – the best shoes',
        _page_referrer: 'https://www.example.com/',
        _screen_resolution: '1920x1080',
        _latest_referrer_host: 'www.example.com',
      },
    }),
  );
  return `[${events.join(',')}]`;
}

/** An API Gateway HTTP API (payload 2.0) event of `POST /collect`. */
function apiEvent(body: string, requestId: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /collect',
    rawPath: '/collect',
    rawQueryString: `appId=${APP_ID}`,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    },
    queryStringParameters: { appId: APP_ID },
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: 'POST',
        path: '/collect',
        protocol: 'HTTP/1.1',
        sourceIp: '198.51.100.7',
        userAgent: 'bench',
      },
      requestId,
      routeKey: 'POST /collect',
      stage: '$default',
      time: '',
      timeEpoch: 0,
    },
    body,
    isBase64Encoded: false,
  };
}

/**
 * A producer port that serialises as the client does before writing to a socket: one record
 * batch per partition (murmur2 partitioning, @platformatic/kafka's encoder), and acknowledges.
 */
function encodingPort(sink: { bytes: number; records: number[] }): ProducerPort {
  return {
    async send({ messages }) {
      const byPartition: MessageRecord[][] = Array.from({ length: PARTITIONS }, () => []);
      for (const m of messages as MessageRecord[]) byPartition[keyPartitioner(m, m.key) % PARTITIONS]!.push(m);
      for (const batch of byPartition) {
        if (batch.length > 0)
          sink.bytes += createRecordsBatch(batch, { producerId: 1n, producerEpoch: 0 }).buffer.length;
      }
      sink.records.push(messages.length);
      return {};
    },
    async close() {},
  };
}

/** Collects the previous run's garbage so that timed runs pay only for their own allocations. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function benchCore(): Promise<{ recordBytes: number }> {
  const sink = { bytes: 0, records: [] as number[] };
  const producer = createEventProducer(parseClusterConfig({ 'bootstrap.servers': '127.0.0.1:9' }), {
    producerFactory: () => encodingPort(sink),
  });
  const deps: CollectDeps = {
    producer: { send: (route, records, opts) => producer.send(route.topic, records, opts) },
    routeFor: () => ({ topic: TOPIC }),
    isUnavailable: () => false,
    ackTimeoutMs: 5000,
    retryAfterSeconds: 5,
    now: Date.now,
  };
  const app = createIngestApp(() => deps, silentLog);
  const body = requestBody();
  const run = async (requests: number) => {
    for (let i = 0; i < requests; i++) {
      const res = await app(apiEvent(body, `req-${i}`));
      if (res.statusCode !== 200) throw new Error(`core answered ${res.statusCode}: ${res.body}`);
    }
  };
  await run(2_000); // JIT warm-up
  const requests = 5_000;
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < 5; r++) {
    gc();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await run(requests);
    wall.push(Number(process.hrtime.bigint() - t0) / 1e9);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  say(`core: ${wall.map((s) => Math.round((requests * EVENTS_PER_REQUEST) / s)).join(', ')} events/s`);
  emit('core_events_per_s', (requests * EVENTS_PER_REQUEST) / median(wall), 'events/s');
  emit('core_events_per_cpu_s', (requests * EVENTS_PER_REQUEST) / median(cpu), 'events/s');
  emit('core_request_bytes', Buffer.byteLength(body), 'bytes');
  // The size of one enriched record as Kafka receives it (kcat sends records this large).
  const recordBytes = Math.round(sink.bytes / sink.records.reduce((a, b) => a + b, 0));
  emit('core_serialised_bytes_per_event', recordBytes, 'bytes');
  await producer.close();
  return { recordBytes };
}

interface LoadResult {
  events: number;
  eventsPerS: number;
  p50: number;
  p99: number;
}

/** autocannon: CONNECTIONS keep-alive connections posting the request for `seconds`. */
async function load(url: string, body: string, seconds: number): Promise<LoadResult> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json' },
    body,
  });
  const failed = result.non2xx + result.errors + result.timeouts;
  if (failed > 0)
    throw new Error(`${failed} of ${result.requests.total} requests failed (non-2xx, errors or timeouts)`);
  const events = result['2xx'] * EVENTS_PER_REQUEST;
  return { events, eventsPerS: events / result.duration, p50: result.latency.p50, p99: result.latency.p99 };
}

/** The ingest process: the local gateway hosting the ingest function from serverless.yml. */
async function serve(): Promise<void> {
  const { loadServiceConfig } = await import('../local/serverless-config.ts');
  const { FunctionHost } = await import('../local/function-host.ts');
  const { startGateway } = await import('../local/gateway/server.ts');
  const bootstrap = process.env.INGEST_BENCH_BROKERS ?? '';
  const config = await loadServiceConfig(root, {
    kafkaBrokers: bootstrap,
    appIds: APP_ID,
    topic: TOPIC,
    firehoseBufferSeconds: '0',
  });
  const ingest = config.functions.find((f) => f.name === 'ingest');
  if (!ingest) throw new Error('serverless.yml has no ingest function');
  Object.assign(process.env, ingest.environment, {
    POWERTOOLS_LOG_LEVEL: 'WARN',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_REGION: 'us-east-1',
  });
  const host = new FunctionHost(root, [ingest]);
  const gateway = await startGateway({ port: 0, functions: [ingest], host });
  const body = requestBody();
  process.on('message', (m: { type: string; requests?: number }) => {
    void (async () => {
      if (m.type === 'cpu') {
        process.send!({ type: 'cpu', cpu: process.cpuUsage() });
      } else if (m.type === 'handler-cpu') {
        // The handler invoked directly, CONNECTIONS at a time, as concurrent Lambda calls would be
        // spread over containers: the CPU one 100-event request costs, HTTP server excluded.
        const requests = m.requests ?? 2000;
        let next = 0;
        const c0 = process.cpuUsage();
        await Promise.all(
          Array.from({ length: CONNECTIONS }, async () => {
            while (next < requests) {
              const res = (await host.invoke('ingest', apiEvent(body, `cpu-${next++}`))) as { statusCode: number };
              if (res.statusCode !== 200) throw new Error(`ingest answered ${res.statusCode}`);
            }
          }),
        );
        const c = process.cpuUsage(c0);
        process.send!({ type: 'handler-cpu', ms: (c.user + c.system) / 1000 / requests });
      } else if (m.type === 'stop') {
        await gateway.close();
        await host.close();
        process.exit(0);
      }
    })().catch((err: unknown) => {
      process.stderr.write(`ingest process: ${String(err)}\n`);
      process.exit(1);
    });
  });
  process.send!({ type: 'ready', url: `${gateway.url}/collect?appId=${APP_ID}` });
}

function request<T>(child: ChildProcess, message: { type: string; requests?: number }): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`ingest process exited with ${code}`));
    child.once('exit', onExit);
    child.once('message', (reply: T) => {
      child.off('exit', onExit);
      resolve(reply);
    });
    child.send(message);
  });
}

function startIngestProcess(bootstrap: string): Promise<{ child: ChildProcess; url: string }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], {
    env: { ...process.env, INGEST_BENCH_BROKERS: bootstrap },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return request<{ url: string }>(child, { type: 'hello' }).then(({ url }) => ({ child, url }));
}

/** The naive baseline: one kafkajs send per event, CONNECTIONS in flight, acks=all. */
async function naiveKafkajs(bootstrap: string, records: string[]): Promise<number> {
  const kafka = new Kafka({ clientId: 'bench-naive', brokers: bootstrap.split(','), logLevel: logLevel.NOTHING });
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  let next = 0;
  const t0 = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (next < records.length) {
        const value = records[next++]!;
        await producer.send({ topic: TOPIC, acks: -1, messages: [{ key: `${APP_ID}:${next}`, value }] });
      }
    }),
  );
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  await producer.disconnect();
  return records.length / s;
}

function writeMeasured(): void {
  const file = join(root, 'bench', 'measured.json');
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch {
    // absent: created below
  }
  current.ingest = {
    ...figures,
    load_average_1m: Number(loadavg()[0]!.toFixed(2)),
    measured: new Date().toISOString(),
  };
  writeFileSync(file, `${JSON.stringify(current, null, 2)}\n`);
  say(`wrote ${file}`);
}

async function main(): Promise<void> {
  const urlFlag = process.argv.indexOf('--url');
  const body = requestBody();
  if (urlFlag > 0) {
    const url = process.argv[urlFlag + 1] ?? '';
    const appId = new URL(url).searchParams.get('appId') ?? APP_ID;
    const runs: LoadResult[] = [];
    await load(url, requestBody(appId), 2);
    for (let r = 0; r < RUNS; r++) runs.push(await load(url, requestBody(appId), SECONDS));
    say(`e2e: ${runs.map((r) => Math.round(r.eventsPerS)).join(', ')} events/s`);
    emit('e2e_events_per_s', median(runs.map((r) => r.eventsPerS)), 'events/s');
    emit('e2e_p50_ms', median(runs.map((r) => r.p50)), 'ms');
    emit('e2e_p99_ms', median(runs.map((r) => r.p99)), 'ms');
    return;
  }

  say(
    `load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const { recordBytes } = await benchCore();
  if (process.argv.includes('--core')) return; // profiling: node --cpu-prof bench/ingest.ts --core
  const hasKcat = spawnSync('kcat', ['-V']).status === 0;
  if (!hasKcat) throw new Error('kcat is required (apt-get install -y kcat)');
  const dir = mkdtempSync(join(tmpdir(), 'ingest-bench-'));
  let broker: BrokerProcess | undefined;
  let ingest: { child: ChildProcess; url: string } | undefined;
  try {
    broker = await startBroker(join(dir, 'data'));
    await broker.admin.createTopics({ topics: [TOPIC], partitions: PARTITIONS, replicas: 3 });
    ingest = await startIngestProcess(broker.bootstrap);

    const handler = await request<{ ms: number }>(ingest.child, { type: 'handler-cpu', requests: 500 });
    say(`handler warm-up: ${handler.ms.toFixed(3)} CPU ms/request`);
    const cpuRuns: number[] = [];
    for (let r = 0; r < RUNS; r++)
      cpuRuns.push((await request<{ ms: number }>(ingest.child, { type: 'handler-cpu', requests: 2000 })).ms);
    say(`handler: ${cpuRuns.map((ms) => ms.toFixed(3)).join(', ')} CPU ms/request`);
    emit('cpu_ms_per_request', median(cpuRuns), 'ms');

    await load(ingest.url, body, 2); // warm-up
    const e2e: LoadResult[] = [];
    const gatewayCpu: number[] = [];
    const kcat: number[] = [];
    const naive: number[] = [];
    const filler = 'x'.repeat(Math.max(1, recordBytes - 40));
    for (let r = 0; r < RUNS; r++) {
      const c0 = (await request<{ cpu: NodeJS.CpuUsage }>(ingest.child, { type: 'cpu' })).cpu;
      const run = await load(ingest.url, body, SECONDS);
      const c1 = (await request<{ cpu: NodeJS.CpuUsage }>(ingest.child, { type: 'cpu' })).cpu;
      e2e.push(run);
      gatewayCpu.push((c1.user - c0.user + c1.system - c0.system) / 1000 / (run.events / EVENTS_PER_REQUEST));

      // kcat: as many records as the run acknowledged, each as large as an enriched event.
      const file = join(dir, `kcat-${r}.txt`);
      const lines: string[] = [];
      for (let i = 0; i < run.events; i++) lines.push(`${APP_ID}:u-${i}\t${String(i).padStart(12, '0')}${filler}`);
      writeFileSync(file, `${lines.join('\n')}\n`);
      const k = await kcatProduce(broker.bootstrap, TOPIC, file, ['-K', '\t', '-X', 'acks=all']);
      kcat.push(run.events / k.seconds);
      rmSync(file);

      naive.push(await naiveKafkajs(broker.bootstrap, lines.slice(0, 20_000)));
      say(
        `run ${r + 1}: e2e ${Math.round(run.eventsPerS)} events/s (p50 ${run.p50} ms, p99 ${run.p99} ms), ` +
          `kcat ${Math.round(kcat[r]!)} records/s, naive kafkajs ${Math.round(naive[r]!)} events/s, load ${loadavg()[0]!.toFixed(2)}`,
      );
    }
    emit('e2e_events_per_s', median(e2e.map((r) => r.eventsPerS)), 'events/s');
    emit('e2e_p50_ms', median(e2e.map((r) => r.p50)), 'ms');
    emit('e2e_p99_ms', median(e2e.map((r) => r.p99)), 'ms');
    emit('e2e_ingest_process_cpu_ms_per_request', median(gatewayCpu), 'ms');
    emit('kcat_records_per_s', median(kcat), 'records/s');
    emit('e2e_vs_kcat', figures.e2e_events_per_s! / figures.kcat_records_per_s!, 'ratio');
    emit('naive_kafkajs_events_per_s', median(naive), 'events/s');
    emit('e2e_vs_naive_kafkajs', figures.e2e_events_per_s! / figures.naive_kafkajs_events_per_s!, 'ratio');
    if (process.env.INGEST_BENCH_WRITE === '1') writeMeasured();
  } finally {
    if (ingest) {
      ingest.child.send({ type: 'stop' });
      await new Promise((resolve) => ingest!.child.once('exit', resolve));
    }
    if (broker) await stopBroker(broker);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--serve')) await serve();
else await main();
