/**
 * `npm run cost`: prints the cost model of docs/cost.md (Markdown) from the measured figures
 * (bench/measured.json), the deployed settings (serverless.yml, resources/msk-cluster.yml, the
 * pipeline defaults) and the list prices (bin/cost/prices.ts). `npm run cost -- --write` puts the
 * output into docs/cost.md between its markers; test/unit/cost/cost-doc.test.ts fails while the
 * two disagree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { defaults } from '../functions/pipelines/request-limits.ts';
import { METRICS_FLUSH_INTERVAL_MS } from '../functions/ingest/ingest-metrics.ts';
import { assumptions, estimate, fmt, type Estimate, type Measured, type Option, type Settings } from './cost/model.ts';
import { anchor, prices, PRICES_AS_OF } from './cost/prices.ts';

export const RATES = [10, 100, 1000] as const;

export const OPTIONS: Option[] = [
  {
    id: 'httpApi+lambda',
    label: 'HTTP API + Lambda sink (Firehose)',
    ingest: 'httpApi',
    sink: 'lambda',
    platformLogs: true,
  },
  {
    id: 'httpApi+connector',
    label: 'HTTP API + connector sink',
    ingest: 'httpApi',
    sink: 'connector',
    platformLogs: true,
  },
  {
    id: 'functionUrl+lambda',
    label: 'Function URL + Lambda sink (Firehose)',
    ingest: 'functionUrl',
    sink: 'lambda',
    platformLogs: true,
  },
  {
    id: 'functionUrl+connector',
    label: 'Function URL + connector sink',
    ingest: 'functionUrl',
    sink: 'connector',
    platformLogs: true,
  },
  {
    id: 'functionUrl+connector+lean',
    label: 'Function URL + connector sink, no platform log lines, 24 h retention',
    ingest: 'functionUrl',
    sink: 'connector',
    platformLogs: false,
    retentionHours: 24,
  },
];

export const BEGIN = '<!-- npm run cost: begin (generated; `npm run cost -- --write` updates it) -->';
export const END = '<!-- npm run cost: end -->';

interface Inputs {
  measured: Measured;
  settings: Settings;
  sources: Record<string, string>;
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function readInputs(dir = root): Inputs {
  const file = JSON.parse(readFileSync(join(dir, 'bench/measured.json'), 'utf8'));
  const need = (obj: Record<string, unknown> | undefined, key: string, where: string): number => {
    const v = obj?.[key];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new Error(`bench/measured.json: ${where}.${key} must be a number`);
    return v;
  };
  const c = file.costInputs;
  const measured: Measured = {
    cpuMsPerRequest: need(file.ingest, 'cpu_ms_per_request', 'ingest'),
    eventsPerMeasuredRequest: file.ingest?.events_per_request ?? 100,
    cpuMsPerRequest10: need(c, 'cpu_ms_per_request_10', 'costInputs'),
    ingestInitMs: need(file.coldStart?.ingest, 'init_ms', 'coldStart.ingest'),
    requestBodyBytes: need(c, 'request_body_bytes', 'costInputs'),
    kafkaBytesPerEvent: need(c, 'kafka_bytes_per_event', 'costInputs'),
    recordValueBytes: need(c, 'record_value_bytes', 'costInputs'),
    emfFlush: {
      bytes1: need(c, 'emf_flush_bytes_1', 'costInputs'),
      lines1: need(c, 'emf_flush_lines_1', 'costInputs'),
      bytes1000: need(c, 'emf_flush_bytes_1000', 'costInputs'),
      lines1000: need(c, 'emf_flush_lines_1000', 'costInputs'),
    },
    emfFlushIntervalMs: METRICS_FLUSH_INTERVAL_MS,
    responseBytes: need(c, 'response_bytes', 'costInputs'),
    sinkRecordsPerCpuSecond: need(file.sink, 'records_per_cpu_s', 'sink'),
  };
  const sls = parse(readFileSync(join(dir, 'serverless.yml'), 'utf8'));
  const params = sls.params.default;
  const msk = readFileSync(join(dir, 'resources/msk-cluster.yml'), 'utf8');
  const setting = (re: RegExp, what: string): number => {
    const m = re.exec(msk);
    if (!m) throw new Error(`resources/msk-cluster.yml: no ${what}`);
    return Number(m[1]);
  };
  const settings: Settings = {
    ingestMemoryMb: sls.functions.ingest.memorySize ?? sls.provider.memorySize,
    sinkMemoryMb: sls.functions.sink.memorySize ?? sls.provider.memorySize,
    firehoseBufferSeconds: Number(params.firehoseBufferSeconds),
    firehoseBufferMb: Number(params.firehoseBufferMb),
    mskVolumeGbMin: Number(params.mskVolumeGb),
    brokers: Number(params.mskBrokerCount),
    retentionHours: Number(params.mskRetentionHours),
    replicationFactor: setting(/default\.replication\.factor=(\d+)/, 'default.replication.factor'),
    sinkBatchSize: defaults.batchSize,
    sinkMaxIntervalSeconds: defaults.maxIntervalSeconds,
    topicPartitions: defaults.partitions,
    connectorMcuCount: defaults.mcuCount,
    connectorMaxWorkers: defaults.maxWorkers,
  };
  const sources = Object.fromEntries(
    ['ingest', 'coldStart', 'costInputs', 'sink'].map((k) => [k, String(file[k]?.source ?? 'not stated')]),
  );
  return { measured, settings, sources };
}

const money = (n: number) => `$${fmt(n, n < 100 ? 2 : 1)}`;

export function render(inputs: Inputs = readInputs()): string {
  const { measured, settings } = inputs;
  const est = new Map<string, Estimate>();
  for (const o of OPTIONS) for (const r of RATES) est.set(`${o.id}@${r}`, estimate(o, r, measured, settings));
  const get = (o: Option, r: number) => est.get(`${o.id}@${r}`)!;
  const out: string[] = [];
  const rateHead = RATES.map((r) => `${fmt(r, 0)} req/s`);

  out.push('### Monthly cost (USD)', '');
  out.push(`| option | ${rateHead.join(' | ')} |`, `| --- | ${RATES.map(() => '---:').join(' | ')} |`);
  for (const o of OPTIONS) out.push(`| ${o.label} | ${RATES.map((r) => money(get(o, r).monthly)).join(' | ')} |`);
  for (const [name, by] of Object.entries(anchor.monthly))
    out.push(`| Clickstream Analytics on AWS, ${name} (published) | ${RATES.map((r) => money(by[r]!)).join(' | ')} |`);

  out.push('', '### Cost per million events (USD)', '');
  out.push(`| option | ${rateHead.join(' | ')} |`, `| --- | ${RATES.map(() => '---:').join(' | ')} |`);
  for (const o of OPTIONS)
    out.push(`| ${o.label} | ${RATES.map((r) => money(get(o, r).perMillionEvents)).join(' | ')} |`);
  for (const [name, by] of Object.entries(anchor.monthly))
    out.push(
      `| Clickstream Analytics on AWS, ${name} (published) | ${RATES.map((r) => money(by[r]! / ((r * assumptions.eventsPerRequest * assumptions.hoursPerMonth * 3600) / 1e6))).join(' | ')} |`,
    );

  out.push('', '### Against the goal (cheapest option at each rate)', '');
  out.push(
    '| rate | cheapest option | monthly | cheaper published | ratio | goal | met |',
    '| --- | --- | ---: | ---: | ---: | --- | --- |',
  );
  for (const r of RATES) {
    const best = OPTIONS.map((o) => get(o, r)).sort((x, y) => x.monthly - y.monthly)[0]!;
    const published = Math.min(...Object.values(anchor.monthly).map((by) => by[r]!));
    const ratio = best.monthly / published;
    const limit = r >= 1000 ? 1.2 : 1;
    out.push(
      `| ${fmt(r, 0)} req/s | ${best.option.label} | ${money(best.monthly)} | ${money(published)} | ${ratio.toFixed(2)} | ${limit === 1 ? '< 1' : '<= 1.2'} | ${ratio < limit || (limit > 1 && ratio <= limit) ? 'yes' : 'no'} |`,
    );
  }

  for (const o of OPTIONS) {
    out.push('', `### Line items: ${o.label}`, '');
    out.push(
      `| item | ${rateHead.join(' | ')} | at ${fmt(RATES.at(-1)!, 0)} req/s |`,
      `| --- | ${RATES.map(() => '---:').join(' | ')} | --- |`,
    );
    const items = get(o, RATES[0]).lines.map((l) => l.item);
    for (const item of items) {
      const row = RATES.map((r) => get(o, r).lines.find((l) => l.item === item)!);
      const details = row.map((l) => l.detail).filter((d) => d !== undefined);
      const label = details.length > 0 ? `${item} (${[...new Set(details)].join(' / ')})` : item;
      out.push(`| ${label} | ${row.map((l) => money(l.usd)).join(' | ')} | ${row.at(-1)!.note} |`);
    }
    out.push(`| **total** | ${RATES.map((r) => `**${money(get(o, r).monthly)}**`).join(' | ')} | |`);
  }

  out.push('', '### Inputs', '');
  out.push(`Prices: us-east-1 list prices, ${PRICES_AS_OF}, from the pages named in bin/cost/prices.ts:`);
  out.push(
    Object.values(prices)
      .map((p) => `<${p.source}>`)
      .join(', ') + '.',
  );
  out.push('', 'Measured (bench/measured.json):', '');
  const m = measured;
  out.push(
    `- ingest CPU: ${m.cpuMsPerRequest} ms a ${m.eventsPerMeasuredRequest}-event request with a real producer; ${m.cpuMsPerRequest10} ms a 10-event request without network (the larger of the two, scaled to 10 events, is used). Source: ${inputs.sources.ingest}; ${inputs.sources.costInputs}.`,
    `- ingest cold start: ${m.ingestInitMs} ms module initialisation. Source: ${inputs.sources.coldStart}.`,
    `- sizes: request body ${m.requestBodyBytes} B, Kafka record ${m.kafkaBytesPerEvent} B (key + enriched value + headers), enriched value ${m.recordValueBytes} B, EMF ${m.emfFlush.bytes1} B for a one-request flush and ${m.emfFlush.bytes1000} B for a 1,000-request flush (one flush per ${m.emfFlushIntervalMs / 1000} s per environment), response ${m.responseBytes} B.`,
    `- sink core: ${fmt(m.sinkRecordsPerCpuSecond, 0)} records per CPU-second. Source: ${inputs.sources.sink}.`,
  );
  const s = settings;
  out.push('', 'Deployed settings read from the stack:', '');
  out.push(
    `- ingest and sink Lambda memory ${s.ingestMemoryMb} / ${s.sinkMemoryMb} MB (serverless.yml); Firehose buffer ${s.firehoseBufferSeconds} s / ${s.firehoseBufferMb} MB; MSK volume at least ${s.mskVolumeGbMin} GB a broker, ${s.brokers} brokers;`,
    `- topic retention ${s.retentionHours} h (mskRetentionHours) and replication factor ${s.replicationFactor} (resources/msk-cluster.yml);`,
    `- pipeline defaults (functions/pipelines/request-limits.ts): batch size ${s.sinkBatchSize}, maximum interval ${s.sinkMaxIntervalSeconds} s, ${s.topicPartitions} partitions, connector ${s.connectorMcuCount} MCU x up to ${s.connectorMaxWorkers} workers.`,
  );
  out.push('', 'Assumptions (bin/cost/model.ts):', '');
  const a = assumptions;
  out.push(
    `- ${a.eventsPerRequest} events a request, ${a.hoursPerMonth} hours a month, steady rate; no free tier; one app (one pipeline).`,
    `- ${a.kafkaAckMs} ms acks=all wait a request; Lambda CPU in proportion to memory (1 vCPU at ${prices.lambda.mbPerVcpu} MB); environments replaced every ${a.containerLifetimeHours} h (init billed).`,
    `- logs: ${a.platformLogBytes} B of START/END/REPORT lines an invocation + the EMF lines, ${prices.cloudwatchLogs.eventOverheadBytes} B metered per log event.`,
    `- ${a.crossAzShare * 100}% of client-broker bytes cross AZs; broker sizes hold ${Object.entries(
      a.brokerProducerMBps,
    )
      .map(([k, v]) => `${k} ${v} MB/s`)
      .join(', ')} of producer traffic (2 brokers, RF 2, baseline network / 4).`,
    `- gzip ${a.gzipRatio}:1 in S3; ${a.mskEventBytesPerRecord} B per record in the sink's Lambda event; ${a.firehoseCallMs} ms a PutRecordBatch; JQ ${a.jqHoursPerMonth} h a month (upper bound); ${a.connectMBpsPerWorker} MB/s per connector worker.`,
  );
  return `${out.join('\n')}\n`;
}

/** docs/cost.md with the generated section replaced by `generated`. */
export function withGenerated(doc: string, generated: string): string {
  const start = doc.indexOf(BEGIN);
  const end = doc.indexOf(END);
  if (start < 0 || end < start) throw new Error(`docs/cost.md lacks the markers ${BEGIN} ... ${END}`);
  return `${doc.slice(0, start + BEGIN.length)}\n\n${generated}\n${doc.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const table = render();
  if (process.argv.includes('--write')) {
    const path = join(root, 'docs/cost.md');
    writeFileSync(path, withGenerated(readFileSync(path, 'utf8'), table));
    process.stderr.write('docs/cost.md updated\n');
  } else {
    process.stdout.write(table);
  }
}
