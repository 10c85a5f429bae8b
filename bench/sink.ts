/**
 * Sink benchmark: `npm run bench -- sink`.
 *
 * 1. Decode + pack throughput: 100,000 enriched events (MSK event shape, 4 partitions) through the
 *    real core (`deliverKafkaEvent`: base64 decode, UTF-8/JSON/partition-field validation, greedy
 *    packing, PutRecordBatch command building) with Firehose stubbed to accept everything.
 *    Target: >= 100,000 records/s on one core.
 * 2. Firehose calls per 100,000 records against the optimum, for typical events (the 500-record
 *    limit binds) and for mixed sizes up to 40 KiB (the 4 MiB limit binds): the optimum is the
 *    exhaustive minimum over order-preserving splits (dynamic programming), printed with the
 *    order-free lower bound max(ceil(n/500), ceil(bytes/4 MiB)).
 * 3. Peak RSS (VmHWM) of a child process that receives one 6 MB event (Lambda's payload
 *    limit) as JSON text, parses it and delivers it. Target: < 256 MB.
 *
 * One JSON line per figure on stdout: {"bench":"sink","metric":...,"value":...,"unit":...}.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FirehoseClient, PutRecordBatchCommandInput } from '@aws-sdk/client-firehose';
import type { S3Client } from '@aws-sdk/client-s3';
import { deliverKafkaEvent, type DeliverDeps } from '../functions/sink/deliver.ts';
import type { KafkaEvent, KafkaEventRecord } from '../functions/sink/kafka-event.ts';
import { firehoseLimits } from '../functions/sink/limits.ts';
import { silentLog } from '../functions/lib/logger.ts';

/**
 * A lower bound on the number of calls for these sizes: max(ceil(n/500), ceil(total/4 MiB)).
 * Greedy reaches it whenever records are small relative to the call size (the bench checks it).
 */
function lowerBoundCalls(sizes: ArrayLike<number>, limits = firehoseLimits): number {
  let total = 0;
  for (let i = 0; i < sizes.length; i++) total += sizes[i]!;
  return Math.max(Math.ceil(sizes.length / limits.maxRecordsPerCall), Math.ceil(total / limits.maxBytesPerCall));
}

const BENCH = 'sink';

function emit(metric: string, value: number, unit: string): void {
  process.stdout.write(`${JSON.stringify({ bench: BENCH, metric, value: Number(value.toFixed(2)), unit })}\n`);
}

/** Deterministic pseudo-random numbers (the figures must not depend on the run). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

const PAGES = ['/', '/products', '/products/42', '/cart', '/checkout', '/search?q=shoes', '/account'];

/** An enriched event as ingest writes it; `extraBytes` pads it (for the mixed-size scenario). */
function enrichedEvent(i: number, rnd: () => number, extraBytes = 0): string {
  const ingest = 1_763_726_400_000 + i * 7;
  return JSON.stringify({
    event_id: `0f1e2d3c-${String(i).padStart(4, '0').slice(-4)}-4000-8000-${String(i).padStart(12, '0')}`,
    event_type: rnd() < 0.7 ? 'page_view' : 'click',
    timestamp: ingest - Math.floor(rnd() * 5000),
    app_id: 'demo-app',
    user_pseudo_id: `u-${Math.floor(rnd() * 1e6)}`,
    session_id: `s-${Math.floor(rnd() * 1e5)}`,
    platform: 'Web',
    attributes: {
      page: PAGES[i % PAGES.length],
      referrer: 'https://www.example.com/',
      title: 'Example – shop',
      screen: '1920x1080',
    },
    ...(extraBytes > 0 ? { payload: 'x'.repeat(extraBytes) } : {}),
    ingest_time: ingest,
    client_ip: '198.51.100.7',
    user_agent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
    request_id: `req-${Math.floor(i / 100)}`,
  });
}

/** An MSK-shaped event with `count` records over `partitions` partitions of topic `demo`. */
function mskEvent(count: number, partitions: number, valueOf: (i: number) => string): KafkaEvent {
  const records: Record<string, KafkaEventRecord[]> = {};
  for (let i = 0; i < count; i++) {
    const p = i % partitions;
    const list = (records[`demo-${p}`] ??= []);
    list.push({
      topic: 'demo',
      partition: p,
      offset: list.length,
      timestamp: 1_763_726_400_000 + i,
      timestampType: 'CREATE_TIME',
      key: Buffer.from(`demo-app:u-${i}`).toString('base64'),
      value: Buffer.from(valueOf(i)).toString('base64'),
      headers: [{ app_id: [100, 101, 109, 111, 45, 97, 112, 112] }, { event_type: [99, 108, 105, 99, 107] }],
    });
  }
  return {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/bench/uuid-1',
    bootstrapServers: 'b-1:9092',
    records,
  };
}

/** Firehose stubbed: accepts every record, remembers the size of each call. */
function stubFirehose() {
  const calls: { records: number; bytes: number }[] = [];
  const sizes: number[] = [];
  const client = {
    async send(command: { input: PutRecordBatchCommandInput }) {
      const records = command.input.Records ?? [];
      let bytes = 0;
      for (const r of records) {
        const n = (r.Data as Uint8Array).length;
        bytes += n;
        sizes.push(n);
      }
      calls.push({ records: records.length, bytes });
      return { FailedPutCount: 0, RequestResponses: records.map(() => ({ RecordId: 'r' })), $metadata: {} };
    },
  };
  return { client: client as unknown as FirehoseClient, calls, sizes };
}

function deps(firehose: FirehoseClient): DeliverDeps {
  return {
    firehose,
    s3: { send: async () => ({}) } as unknown as S3Client,
    streamName: 'bench',
    deadLetterBucket: 'bench',
    deadLetterPrefix: 'errors/sink/',
    remainingTimeMs: () => 900_000,
    sleep: async () => {},
    random: Math.random,
    now: Date.now,
    log: silentLog,
    safetyMarginMs: 3_000,
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 5_000,
    requestTimeoutMs: 10_000,
  };
}

/** Fewest order-preserving calls (exhaustive over every last call; O(n · 500)). */
function optimalCalls(sizes: readonly number[]): number {
  const n = sizes.length;
  const dp = new Float64Array(n + 1).fill(Infinity);
  dp[0] = 0;
  for (let i = 1; i <= n; i++) {
    let bytes = 0;
    for (let j = i - 1; j >= 0 && i - j <= firehoseLimits.maxRecordsPerCall; j--) {
      bytes += sizes[j]!;
      if (bytes > firehoseLimits.maxBytesPerCall) break;
      const candidate = dp[j]! + 1;
      if (candidate < dp[i]!) dp[i] = candidate;
    }
  }
  return dp[n]!;
}

/** Collects the generator's garbage so that timed runs pay only for their own allocations. */
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/**
 * Median over 5 runs (after a warm-up run for the JIT) of the time to deliver `events`: wall
 * clock, and CPU time of the whole process (all threads, GC helpers included), which does not
 * depend on what else the machine runs.
 */
async function medianMs(
  events: KafkaEvent[],
  records: number,
): Promise<{ median: number; cpuMedian: number; last: ReturnType<typeof stubFirehose> }> {
  for (const e of events) await deliverKafkaEvent(e, deps(stubFirehose().client));
  const times: number[] = [];
  const cpu: number[] = [];
  let last = stubFirehose();
  for (let run = 0; run < 5; run++) {
    last = stubFirehose();
    gc();
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let delivered = 0;
    for (const e of events) delivered += (await deliverKafkaEvent(e, deps(last.client))).stats.delivered;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
    if (delivered !== records) throw new Error(`delivered ${delivered} of ${records}`);
  }
  times.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  return { median: times[2]!, cpuMedian: cpu[2]!, last };
}

async function throughputAndCalls(): Promise<void> {
  const N = 100_000;
  const rnd = lcg(1);
  const event = mskEvent(N, 4, (i) => enrichedEvent(i, rnd));
  const { median, cpuMedian, last } = await medianMs([event], N);
  emit('decode_pack_records_per_s', N / (median / 1000), 'records/s');
  emit('decode_pack_records_per_cpu_s', N / (cpuMedian / 1000), 'records/s');
  emit('decode_pack_ms_per_100k', median, 'ms');

  // The same 100,000 events as Lambda would deliver them: 15 invocations of ~6 MB.
  const perBatch = Math.ceil(N / 15);
  const rndB = lcg(1);
  const batches = Array.from({ length: 15 }, (_, b) =>
    mskEvent(Math.min(perBatch, N - b * perBatch), 4, (i) => enrichedEvent(b * perBatch + i, rndB)),
  );
  const inBatches = await medianMs(batches, N);
  emit('decode_pack_records_per_s_in_6mb_batches', N / (inBatches.median / 1000), 'records/s');
  emit('decode_pack_records_per_cpu_s_in_6mb_batches', N / (inBatches.cpuMedian / 1000), 'records/s');
  emit('typical_event_bytes', last.sizes.reduce((a, b) => a + b, 0) / last.sizes.length, 'bytes');
  emit('firehose_calls_per_100k', last.calls.length, 'calls');
  emit('firehose_calls_per_100k_optimum', optimalCalls(last.sizes), 'calls');
  emit('firehose_calls_per_100k_lower_bound', lowerBoundCalls(last.sizes), 'calls');

  // Mixed sizes (0.5 to 40 KiB): the 4 MiB byte limit binds, not the 500-record one.
  const rnd2 = lcg(2);
  const mixed = mskEvent(N, 4, (i) => enrichedEvent(i, rnd2, Math.floor(rnd2() ** 3 * 40_000)));
  const m = stubFirehose();
  await deliverKafkaEvent(mixed, deps(m.client));
  emit('mixed_size_firehose_calls_per_100k', m.calls.length, 'calls');
  emit('mixed_size_firehose_calls_per_100k_optimum', optimalCalls(m.sizes), 'calls');
  emit('mixed_size_firehose_calls_per_100k_lower_bound', lowerBoundCalls(m.sizes), 'calls');
}

/** Child: one 6 MB event (as JSON text, like the runtime receives it) parsed and delivered. */
async function sixMegabyteEvent(): Promise<void> {
  const rnd = lcg(3);
  // ~1,000-byte base64 values: grow the record count until the JSON text reaches 6 MB.
  const perRecord = JSON.stringify(mskEvent(1, 1, (i) => enrichedEvent(i, rnd)).records['demo-0']![0]).length + 1;
  const count = Math.floor((6 * 1000 * 1000) / perRecord);
  const text = JSON.stringify(mskEvent(count, 4, (i) => enrichedEvent(i, rnd)));
  const event = JSON.parse(text) as KafkaEvent;
  const stub = stubFirehose();
  const { stats } = await deliverKafkaEvent(event, deps(stub.client));
  // VmHWM: this process's peak resident set. (getrusage's maxRSS is not used: Linux carries the
  // parent's high-water mark over fork+exec, so it would report the parent's 100k-record heap.)
  const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  const maxRssMb = (hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS) / 1024;
  process.stdout.write(`${JSON.stringify({ bytes: Buffer.byteLength(text), records: stats.delivered, maxRssMb })}\n`);
}

async function peakRss(): Promise<void> {
  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--six-mb-event'], {
    encoding: 'utf8',
  });
  if (child.status !== 0) throw new Error(`6 MB event child failed: ${child.stderr}`);
  const result = JSON.parse(child.stdout.trim().split('\n').pop()!) as {
    bytes: number;
    records: number;
    maxRssMb: number;
  };
  emit('six_mb_event_bytes', result.bytes, 'bytes');
  emit('six_mb_event_records', result.records, 'records');
  emit('six_mb_event_peak_rss', result.maxRssMb, 'MB');
}

if (process.argv.includes('--six-mb-event')) {
  await sixMegabyteEvent();
} else {
  await throughputAndCalls();
  await peakRss();
}
