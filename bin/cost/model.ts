/**
 * The cost model of docs/cost.md: monthly AWS cost of the pipeline at a steady request rate, line
 * by line, for each ingest option the stack deploys and each sink mode. Pure: prices come from
 * prices.ts, the measured figures and the deployed settings are passed in (bin/cost.ts reads them
 * from bench/measured.json, serverless.yml and the pipeline defaults).
 */
import { prices } from './prices.ts';

export type IngestEndpoint = 'httpApi' | 'functionUrl';
export type SinkMode = 'lambda' | 'connector';

export interface Option {
  id: string;
  label: string;
  ingest: IngestEndpoint;
  sink: SinkMode;
  /** --param ingestPlatformLogs (default true: Lambda's START/END/REPORT lines for every request). */
  platformLogs: boolean;
  /** --param mskRetentionHours of the stack's cluster; default: the stack's default. */
  retentionHours?: number;
}

/** What was measured (bench/measured.json), each figure with where it came from. */
export interface Measured {
  /** Ingest handler CPU per request with a real producer (h-e2's `npm run bench -- ingest`). */
  cpuMsPerRequest: number;
  eventsPerMeasuredRequest: number;
  /** Ingest app CPU per 10-event request, no network (`npm run bench -- cost-inputs`). */
  cpuMsPerRequest10: number;
  /** Module initialisation of the packaged ingest bundle (cold start). */
  ingestInitMs: number;
  requestBodyBytes: number;
  kafkaBytesPerEvent: number;
  recordValueBytes: number;
  /** EMF bytes and log lines of an ingest metrics flush covering 1 and 1,000 requests. */
  emfFlush: { bytes1: number; lines1: number; bytes1000: number; lines1000: number };
  /** How often an ingest execution environment writes its metrics (METRICS_FLUSH_INTERVAL_MS). */
  emfFlushIntervalMs: number;
  responseBytes: number;
  /** Sink core (decode, validate, pack) records per CPU-second (`npm run bench -- sink`). */
  sinkRecordsPerCpuSecond: number;
}

/** Deployed settings (serverless.yml, resources/, the pipeline defaults). */
export interface Settings {
  ingestMemoryMb: number;
  sinkMemoryMb: number;
  firehoseBufferSeconds: number;
  firehoseBufferMb: number;
  mskVolumeGbMin: number;
  retentionHours: number;
  replicationFactor: number;
  brokers: number;
  sinkBatchSize: number;
  sinkMaxIntervalSeconds: number;
  topicPartitions: number;
  connectorMcuCount: number;
  connectorMaxWorkers: number;
}

/** Stated assumptions: what was neither measured here nor read from the stack. */
export const assumptions = {
  eventsPerRequest: 10,
  hoursPerMonth: 730,
  /** acks=all produce round trip to MSK inside a region (replication to the follower included). */
  kafkaAckMs: 8,
  /** Lambda's START, END and REPORT lines (text format), bytes and log events per invocation. */
  platformLogBytes: 255,
  platformLogEvents: 3,
  /** A Lambda execution environment serves this long before it is replaced (its init is billed). */
  containerLifetimeHours: 2,
  /** Route lookups per container per minute (the 15 s route cache, one app). */
  routeReadsPerContainerMinute: 4,
  /** Share of client-broker traffic that crosses AZs (2 AZs, leaders spread evenly). */
  crossAzShare: 0.5,
  /** gzip of JSON lines of real clickstream events (the synthetic bench events compress far better). */
  gzipRatio: 8,
  /** Bytes of one record in a Lambda Kafka event (base64 value and key, headers as byte arrays, JSON). */
  mskEventBytesPerRecord: 1000,
  lambdaPayloadBytes: 6 * 1024 * 1024,
  firehoseRecordsPerCall: 500,
  /** One PutRecordBatch round trip of the sink (calls are sequential per partition). */
  firehoseCallMs: 30,
  /** JQ processing hours of the dynamic partitioning: upper bound, as if the parser ran all month. */
  jqHoursPerMonth: 730,
  /** Producer MB/s one 1-MCU MSK Connect S3 sink worker sustains with headroom. */
  connectMBpsPerWorker: 4,
  /** Provisioned volume above what the retention needs. */
  volumeHeadroom: 1.25,
  /**
   * Producer MB/s a 2-broker, RF-2 cluster of each size holds: each broker receives and sends
   * about the producer rate (leader writes + follower copies in; copies + consumer reads out),
   * so its baseline network bandwidth (EC2 figures: t3.small 0.128, m7g.large 0.937,
   * m5.large 0.75 Gbit/s) over 2 directions and 2x headroom. t3.small is also bound by CPU
   * credits (20% baseline), which this rate leaves unused.
   */
  brokerProducerMBps: { 'kafka.t3.small': 4, 'kafka.m7g.large': 29, 'kafka.m5.large': 23 } as Record<string, number>,
};

export interface Line {
  item: string;
  part: 'ingest' | 'kafka' | 'sink';
  usd: number;
  note: string;
  /** What differs by rate inside a line (the broker size). */
  detail?: string;
}

export interface Estimate {
  option: Option;
  rps: number;
  eventsPerMonth: number;
  lines: Line[];
  monthly: number;
  perMillionEvents: number;
}

const GB = 1024 ** 3;
const MB = 1024 ** 2;

function tiered(quantity: number, limit: number, first: number, rest: number): number {
  return Math.min(quantity, limit) * first + Math.max(0, quantity - limit) * rest;
}

/** The broker size the load needs: the cheapest whose producer MB/s holds it. */
export function brokerSize(producerMBps: number): string {
  const sizes = Object.entries(assumptions.brokerProducerMBps)
    .filter(([, mbps]) => mbps >= producerMBps)
    .sort(([a], [b]) => prices.msk.brokerHour[a]! - prices.msk.brokerHour[b]!);
  if (sizes.length === 0) throw new Error(`no broker size in the model holds ${producerMBps} MB/s`);
  return sizes[0]![0];
}

export function estimate(option: Option, rps: number, m: Measured, s: Settings): Estimate {
  const a = assumptions;
  const seconds = a.hoursPerMonth * 3600;
  const requests = rps * seconds;
  const events = requests * a.eventsPerRequest;
  const lines: Line[] = [];
  const add = (part: Line['part'], item: string, usd: number, note: string, detail?: string) =>
    lines.push({ item, part, usd, note, ...(detail !== undefined ? { detail } : {}) });

  // --- Ingest
  if (option.ingest === 'httpApi') {
    const millions = requests / 1e6;
    add(
      'ingest',
      'API Gateway HTTP API requests',
      tiered(millions, 300, prices.apiGatewayHttp.perMillionFirst300M, prices.apiGatewayHttp.perMillionAfter300M),
      `${fmt(millions)} M requests (one 512 KB unit each)`,
    );
  }
  add(
    'ingest',
    'Ingest Lambda requests',
    (requests / 1e6) * prices.lambda.perMillionRequests,
    `${fmt(requests / 1e6)} M`,
  );
  const cpuShare = s.ingestMemoryMb / prices.lambda.mbPerVcpu;
  const cpuMs = Math.max(m.cpuMsPerRequest10, (m.cpuMsPerRequest * a.eventsPerRequest) / m.eventsPerMeasuredRequest);
  const billedMs = Math.ceil(cpuMs / cpuShare + a.kafkaAckMs);
  const gbSeconds = requests * (billedMs / 1000) * (s.ingestMemoryMb / 1024);
  const concurrency = Math.max(1, Math.ceil(rps * (billedMs / 1000)));
  const inits = concurrency * (a.hoursPerMonth / a.containerLifetimeHours);
  const initGbSeconds = inits * (m.ingestInitMs / cpuShare / 1000) * (s.ingestMemoryMb / 1024);
  add(
    'ingest',
    'Ingest Lambda duration (arm64)',
    (gbSeconds + initGbSeconds) * prices.lambda.armPerGbSecond,
    `${billedMs} ms billed a request at ${s.ingestMemoryMb} MB (CPU ${fmt(cpuMs, 2)} ms / ${fmt(cpuShare, 2)} vCPU + ${a.kafkaAckMs} ms ack wait); ${concurrency} warm, inits billed`,
  );
  const platformBytes = option.platformLogs ? a.platformLogBytes : 0;
  const platformEvents = option.platformLogs ? a.platformLogEvents : 0;
  // Each warm environment flushes its metrics once an interval, covering the requests it served.
  const perFlush = Math.max(1, (rps / concurrency) * (m.emfFlushIntervalMs / 1000));
  const between = (one: number, thousand: number) => (one + ((thousand - one) * (perFlush - 1)) / 999) / perFlush;
  const emfBytes = between(m.emfFlush.bytes1, m.emfFlush.bytes1000);
  const emfEvents = between(m.emfFlush.lines1, m.emfFlush.lines1000);
  const logBytes =
    requests * (platformBytes + emfBytes + (platformEvents + emfEvents) * prices.cloudwatchLogs.eventOverheadBytes);
  add(
    'ingest',
    option.platformLogs
      ? 'Ingest CloudWatch Logs (platform lines + EMF metrics)'
      : 'Ingest CloudWatch Logs (EMF metrics)',
    (logBytes / GB) * prices.cloudwatchLogs.ingestPerGb,
    `${fmt(logBytes / requests)} B a request, ${fmt(logBytes / GB)} GB`,
  );
  const outGb = (requests * m.responseBytes) / GB;
  add(
    'ingest',
    'Internet data out (responses)',
    tiered(
      outGb,
      10 * 1024,
      prices.dataTransfer.internetOutPerGbFirst10Tb,
      prices.dataTransfer.internetOutPerGbNext40Tb,
    ),
    `${m.responseBytes} B a response, ${fmt(outGb)} GB`,
  );
  const routeReads = concurrency * a.routeReadsPerContainerMinute * a.hoursPerMonth * 60 * 0.5;
  add(
    'ingest',
    'DynamoDB route reads',
    (routeReads / 1e6) * prices.dynamodb.perMillionReadUnits,
    `${fmt(routeReads / 1e6, 2)} M read units`,
  );

  // --- Kafka (MSK)
  const producerMBps = (rps * a.eventsPerRequest * m.kafkaBytesPerEvent) / MB;
  const size = brokerSize(producerMBps);
  add(
    'kafka',
    'MSK brokers',
    s.brokers * prices.msk.brokerHour[size]! * a.hoursPerMonth,
    `${s.brokers} x ${size}: cheapest size holding ${fmt(producerMBps, 2)} MB/s produced`,
    `${s.brokers} x ${size}`,
  );
  const retentionHours = option.retentionHours ?? s.retentionHours;
  const retainedGb = (events * m.kafkaBytesPerEvent * s.replicationFactor * (retentionHours / a.hoursPerMonth)) / GB;
  const volumeGb = Math.max(s.mskVolumeGbMin, Math.ceil((retainedGb * a.volumeHeadroom) / s.brokers));
  add(
    'kafka',
    'MSK storage',
    s.brokers * volumeGb * prices.msk.storageGbMonth,
    `${s.brokers} x ${volumeGb} GB provisioned (${retentionHours} h retention x RF ${s.replicationFactor} = ${fmt(retainedGb)} GB)`,
  );
  const kafkaGb = (events * m.kafkaBytesPerEvent) / GB;
  add(
    'kafka',
    'Cross-AZ transfer (producer and consumer to brokers)',
    2 * kafkaGb * a.crossAzShare * 2 * prices.dataTransfer.crossAzPerGbEachWay,
    `${fmt(kafkaGb)} GB written and read once, ${a.crossAzShare * 100}% across AZs, charged both ways`,
  );

  // --- Sink
  const valueGb = (events * (m.recordValueBytes + 1)) / GB;
  if (option.sink === 'lambda') {
    add(
      'sink',
      'Event source mapping pollers (provisioned mode)',
      Math.max(1, Math.ceil(producerMBps / prices.lambda.kafkaEpuMBps)) * prices.lambda.kafkaEpuHour * a.hoursPerMonth,
      'one EPU a mapping at least (the mappings use ProvisionedPollerConfig)',
    );
    const perInvocation = Math.min(
      s.sinkBatchSize,
      Math.floor(a.lambdaPayloadBytes / a.mskEventBytesPerRecord),
      Math.max(1, rps * a.eventsPerRequest * s.sinkMaxIntervalSeconds),
    );
    const invocations = events / perInvocation;
    const sinkCpuShare = s.sinkMemoryMb / prices.lambda.mbPerVcpu;
    const sinkSeconds =
      perInvocation / m.sinkRecordsPerCpuSecond / sinkCpuShare +
      (Math.ceil(perInvocation / a.firehoseRecordsPerCall) * a.firehoseCallMs) / 1000;
    add(
      'sink',
      'Sink Lambda requests and duration',
      (invocations / 1e6) * prices.lambda.perMillionRequests +
        invocations * sinkSeconds * (s.sinkMemoryMb / 1024) * prices.lambda.armPerGbSecond,
      `${fmt(invocations / 1e6, 2)} M invocations of ${perInvocation} records, ${fmt(sinkSeconds * 1000)} ms each`,
    );
    const roundedBytes =
      Math.ceil((m.recordValueBytes + 1) / prices.firehose.recordRoundingBytes) * prices.firehose.recordRoundingBytes;
    const billedGb = (events * roundedBytes) / GB;
    add(
      'sink',
      'Firehose ingestion (one record per event, 5 KB rounding)',
      billedGb * prices.firehose.directPutPerGb,
      `${fmt(billedGb)} GB billed for ${fmt(valueGb)} GB of data`,
    );
    const objects = Math.max(seconds / s.firehoseBufferSeconds, (valueGb * GB) / (s.firehoseBufferMb * MB));
    add(
      'sink',
      'Firehose dynamic partitioning',
      valueGb * prices.firehose.dynamicPartitioningPerGb +
        (objects / 1000) * prices.firehose.dynamicPartitioningPer1000Objects +
        a.jqHoursPerMonth * prices.firehose.jqHour,
      `${fmt(valueGb)} GB, ${fmt(objects / 1000)} k objects (one app), JQ ${a.jqHoursPerMonth} h (upper bound)`,
    );
    add('sink', 'S3 PUTs and storage', s3(objects, valueGb), s3Note(objects, valueGb));
  } else {
    const workers = Math.max(1, Math.ceil(producerMBps / a.connectMBpsPerWorker));
    if (workers > s.connectorMaxWorkers) throw new Error(`${workers} connector workers exceed the maximum`);
    add(
      'sink',
      'MSK Connect (S3 sink connector)',
      workers * s.connectorMcuCount * prices.msk.connectMcuHour * a.hoursPerMonth,
      `${workers} worker(s) of ${s.connectorMcuCount} MCU`,
    );
    const objects = Math.max(
      events / s.sinkBatchSize,
      (s.topicPartitions * seconds) / Math.max(1, s.sinkMaxIntervalSeconds),
    );
    add('sink', 'S3 PUTs and storage', s3(objects, valueGb), s3Note(objects, valueGb));
  }

  const monthly = lines.reduce((n, l) => n + l.usd, 0);
  return { option, rps, eventsPerMonth: events, lines, monthly, perMillionEvents: monthly / (events / 1e6) };
}

function s3(objects: number, valueGb: number): number {
  return (objects / 1000) * prices.s3.per1000Puts + (valueGb / assumptions.gzipRatio) * prices.s3.standardGbMonth;
}

function s3Note(objects: number, valueGb: number): string {
  return `${fmt(objects / 1000)} k PUTs; one month of data, gzip ${assumptions.gzipRatio}:1 = ${fmt(valueGb / assumptions.gzipRatio)} GB`;
}

export function fmt(n: number, digits = n < 10 ? 1 : 0): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
