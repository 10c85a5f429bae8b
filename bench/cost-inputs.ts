/**
 * `npm run bench -- cost-inputs`: the sizes and CPU the cost model (bench/cost.ts) needs for its
 * workload of 10 events of ~200 bytes a request, measured on the real ingest app (decode,
 * validate, enrich, key, serialise, EMF metrics) with a producer that acknowledges at once:
 *
 * - `request_body_bytes`: the JSON body of one request;
 * - `kafka_bytes_per_event`: key + enriched value + headers of one Kafka record (what MSK stores,
 *   what crosses AZs, what the sink sends to Firehose as one record);
 * - `record_value_bytes`: the enriched event alone (the sink's Firehose record is it + '\n');
 * - `emf_flush_bytes_1` / `emf_flush_lines_1`: the EMF metric lines (CloudWatch Logs) of a flush
 *   that covers one request, and `emf_flush_bytes_1000` / `emf_flush_lines_1000` of one that covers
 *   1,000 (the ingest flushes once per METRICS_FLUSH_INTERVAL_MS; the model interpolates between
 *   the two for the requests an environment serves in an interval);
 * - `response_bytes`: status line, headers and body of the 200 answer (internet data out);
 * - `cpu_ms_per_request_10`: CPU of one 10-event request on one core of this machine (no network).
 *
 * The values go into bench/measured.json under "costInputs" by hand (with the date and load).
 */
import { performance } from 'node:perf_hooks';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { createIngestApp } from '../functions/ingest/app.ts';
import type { CollectDeps, OutgoingRecord } from '../functions/ingest/collect.ts';
import { METRICS_FLUSH_INTERVAL_MS, timedProducer, withIngestMetrics } from '../functions/ingest/ingest-metrics.ts';
import { PowertoolsMetrics } from '../functions/lib/metrics.ts';
import { silentLog } from '../functions/lib/logger.ts';

const EVENTS = 10;
const REQUESTS = Number(process.env.COST_INPUTS_REQUESTS ?? 20_000);

/** An event of ~200 bytes as the Clickstream SDKs send it. */
function event(i: number): Record<string, unknown> {
  return {
    event_id: `0f8fad5b-d9cb-469f-a165-7067${String(100000 + i).padStart(8, '0')}`,
    event_type: 'page_view',
    timestamp: 1_780_000_000_000 + i,
    app_id: 'shop-web',
    unique_id: 'c2a4e6f8-1b3d-4f5a-9c7e-2d4f6a8b0c1e',
    attributes: { page: '/catalog/shoes?id=123', ref: 'home' },
  };
}

const body = JSON.stringify(Array.from({ length: EVENTS }, (_, i) => event(i)));
const request: APIGatewayProxyEventV2 = {
  version: '2.0',
  routeKey: 'POST /collect',
  rawPath: '/collect',
  rawQueryString: 'appId=shop-web',
  headers: {
    'content-type': 'application/json',
    'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15',
    origin: 'https://shop.example.com',
  },
  queryStringParameters: { appId: 'shop-web' },
  requestContext: {
    accountId: '123456789012',
    apiId: 'abc123def4',
    domainName: 'abc123def4.execute-api.us-east-1.amazonaws.com',
    domainPrefix: 'abc123def4',
    http: { method: 'POST', path: '/collect', protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'x' },
    requestId: 'Q0uXIhnvoAMEVxA=',
    routeKey: 'POST /collect',
    stage: '$default',
    time: '14/Nov/2026:22:13:20 +0000',
    timeEpoch: 1_780_000_000_600,
  },
  body,
  isBase64Encoded: false,
};

let lastRecords: OutgoingRecord[] = [];
// As functions/ingest/handler.ts wires it: the producer's acknowledgement latency is a metric too.
const metrics = new PowertoolsMetrics({ namespace: 'clickstream-pipeline/prod', serviceName: 'ingest' });
const deps: CollectDeps = {
  producer: timedProducer(
    {
      send: async (_route: unknown, records: OutgoingRecord[]) => {
        lastRecords = records;
      },
    },
    metrics,
  ),
  routeFor: () => ({ topic: 'shop' }),
  isUnavailable: () => false,
  ackTimeoutMs: 5000,
  retryAfterSeconds: 5,
  now: Date.now,
};
// A clock the bench moves: one flush for the first request, the next one 1,000 requests later.
let clock = 0;
const handler = withIngestMetrics(
  createIngestApp(() => deps, silentLog),
  metrics,
  { now: () => clock },
);

// EMF lines go to stdout: count them (and keep them off this bench's own JSON output).
let emfBytes = 0;
let emfLines = 0;
const write = process.stdout.write.bind(process.stdout);
const count = ((chunk: string | Uint8Array) => {
  const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
  emfBytes += Buffer.byteLength(text);
  emfLines += text.split('\n').filter((l) => l.includes('"_aws"')).length;
  return true;
}) as typeof process.stdout.write;

process.stdout.write = count;
const first = await handler(request);
const flush1 = { bytes: emfBytes, lines: emfLines };
emfBytes = emfLines = 0;
for (let i = 0; i < 999; i++) await handler(request);
if (emfBytes !== 0) throw new Error('the ingest flushed its metrics before the interval had passed');
clock += METRICS_FLUSH_INTERVAL_MS;
await handler(request);
const flush1000 = { bytes: emfBytes, lines: emfLines };
for (let i = 0; i < 2_000; i++) await handler(request); // warm-up
const cpu0 = process.cpuUsage();
const t0 = performance.now();
for (let i = 0; i < REQUESTS; i++) await handler(request);
const cpu = process.cpuUsage(cpu0);
const wall = performance.now() - t0;
process.stdout.write = write;

if (first.statusCode !== 200) throw new Error(`the ingest app answered ${first.statusCode}: ${first.body}`);
const recordBytes =
  lastRecords.reduce(
    (n, r) =>
      n +
      Buffer.byteLength(r.key) +
      Buffer.byteLength(r.value) +
      Object.entries(r.headers).reduce((h, [k, v]) => h + Buffer.byteLength(k) + Buffer.byteLength(v), 0),
    0,
  ) / lastRecords.length;
const valueBytes = lastRecords.reduce((n, r) => n + Buffer.byteLength(r.value), 0) / lastRecords.length;
const headerBytes = Object.entries(first.headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
const responseBytes = 'HTTP/1.1 200 OK\r\n'.length + headerBytes + 2 + Buffer.byteLength(first.body ?? '');

const figure = (metric: string, value: number, unit: string) =>
  write(`${JSON.stringify({ bench: 'cost-inputs', metric, value: Math.round(value * 1000) / 1000, unit })}\n`);
figure('request_body_bytes', Buffer.byteLength(body), 'bytes');
figure('kafka_bytes_per_event', recordBytes, 'bytes');
figure('record_value_bytes', valueBytes, 'bytes');
figure('emf_flush_bytes_1', flush1.bytes, 'bytes');
figure('emf_flush_lines_1', flush1.lines, 'lines');
figure('emf_flush_bytes_1000', flush1000.bytes, 'bytes');
figure('emf_flush_lines_1000', flush1000.lines, 'lines');
figure('response_bytes', responseBytes, 'bytes');
figure('cpu_ms_per_request_10', (cpu.user + cpu.system) / 1000 / REQUESTS, 'ms');
process.stderr.write(`${REQUESTS} requests in ${Math.round(wall)} ms wall\n`);
