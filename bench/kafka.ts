/**
 * Throughput of the dev Kafka broker (local/kafka), measured with independent clients:
 * kcat (librdkafka) and @platformatic/kafka (the project's client). The broker runs in its own
 * process (`npm run kafka`), as in the local stack, so clients do not share its event loop.
 *
 * Figures: records/s and MB/s of 500-byte records, produce and fetch, each the median of
 * KAFKA_BENCH_RUNS runs (default 3; per-run values go to stderr) because the build machines are
 * shared and single runs swing widely. Sizes: KAFKA_BENCH_KCAT_RECORDS, KAFKA_BENCH_CLIENT_RECORDS.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Consumer, Producer, ProduceAcks, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { kcatProduce, seconds, startBroker, stopBroker, timed, type BrokerProcess as Broker } from './lib/processes.ts';

const RECORD_BYTES = 500;
const RUNS = Number(process.env.KAFKA_BENCH_RUNS ?? 3);
const KCAT_RECORDS = Number(process.env.KAFKA_BENCH_KCAT_RECORDS ?? 500_000);
const CLIENT_RECORDS = Number(process.env.KAFKA_BENCH_CLIENT_RECORDS ?? 200_000);

function report(metric: string, value: number, unit: string): void {
  process.stdout.write(`${JSON.stringify({ bench: 'kafka', metric, value: Math.round(value * 10) / 10, unit })}\n`);
}

/** Reports the median throughput of several timed runs. */
function reportThroughput(prefix: string, records: number, runs: readonly number[]): void {
  const rates = runs.map((seconds) => records / seconds).sort((a, b) => a - b);
  const median = rates[Math.floor(rates.length / 2)]!;
  process.stderr.write(`# ${prefix}: ${rates.map((r) => Math.round(r)).join(', ')} records/s\n`);
  report(`${prefix}_records_per_sec`, median, 'records/s');
  report(`${prefix}_mb_per_sec`, (median * RECORD_BYTES) / 1e6, 'MB/s');
}

function writeRecordsFile(dir: string): string {
  const file = join(dir, 'records.txt');
  const filler = 'x'.repeat(RECORD_BYTES - 8);
  const lines: string[] = [];
  for (let i = 0; i < KCAT_RECORDS; i++) lines.push(`${String(i).padStart(8, '0')}${filler}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

async function benchKcat(broker: Broker, file: string): Promise<void> {
  const produce: number[] = [];
  const fetch: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const topic = `bench-kcat-${run}`;
    produce.push((await kcatProduce(broker.bootstrap, topic, file)).seconds);
    // one offset printed per record: the count proves every produced record came back
    const fetched = await timed('kcat', [
      '-b',
      broker.bootstrap,
      '-C',
      '-t',
      topic,
      '-o',
      'beginning',
      '-e',
      '-q',
      '-f',
      '%o\n',
    ]);
    if (fetched.lines !== KCAT_RECORDS)
      throw new Error(`kcat fetched ${fetched.lines} records, expected ${KCAT_RECORDS}`);
    fetch.push(fetched.seconds);
    await broker.admin.deleteTopics({ topics: [topic] });
  }
  reportThroughput('kcat_produce', KCAT_RECORDS, produce);
  reportThroughput('kcat_fetch', KCAT_RECORDS, fetch);
}

/** The same kcat produce against a cluster persisting to a data dir (asynchronous batched appends). */
async function benchKcatDataDir(dir: string, file: string): Promise<void> {
  const broker = await startBroker(join(dir, 'data'));
  try {
    const produce: number[] = [];
    for (let run = 0; run < RUNS; run++) {
      const topic = `bench-kcat-dir-${run}`;
      produce.push((await kcatProduce(broker.bootstrap, topic, file)).seconds);
      await broker.admin.deleteTopics({ topics: [topic] });
    }
    reportThroughput('kcat_produce_data_dir', KCAT_RECORDS, produce);
  } finally {
    await stopBroker(broker);
  }
}

async function platformaticRun(broker: Broker, topic: string): Promise<{ produce: number; fetch: number }> {
  const brokers = broker.bootstrap.split(',');
  const producer = new Producer({
    clientId: 'bench',
    bootstrapBrokers: brokers,
    serializers: stringSerializers,
    acks: ProduceAcks.LEADER,
    autocreateTopics: true,
  });
  const value = 'y'.repeat(RECORD_BYTES);
  const batch = 1000;
  const inFlight = 4;
  let next = 0;
  const produceStarted = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < CLIENT_RECORDS) {
        const from = next;
        next += batch;
        const messages = Array.from({ length: Math.min(batch, CLIENT_RECORDS - from) }, (_, i) => ({
          topic,
          key: String(from + i),
          value,
        }));
        await producer.send({ messages });
      }
    }),
  );
  const produce = seconds(produceStarted);
  await producer.close();

  const consumer = new Consumer({
    groupId: `${topic}-reader`,
    clientId: 'bench',
    bootstrapBrokers: brokers,
    deserializers: stringDeserializers,
    maxWaitTime: 100,
  });
  const fetchStarted = process.hrtime.bigint();
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('data', () => {
      if (++received === CLIENT_RECORDS) resolve();
    });
    stream.once('error', reject);
  });
  const fetch = seconds(fetchStarted);
  await stream.close();
  await consumer.close(true);
  await broker.admin.deleteTopics({ topics: [topic] });
  return { produce, fetch };
}

async function benchPlatformatic(broker: Broker): Promise<void> {
  const runs: Array<{ produce: number; fetch: number }> = [];
  for (let run = 0; run < RUNS; run++) runs.push(await platformaticRun(broker, `bench-client-${run}`));
  reportThroughput(
    'platformatic_produce',
    CLIENT_RECORDS,
    runs.map((r) => r.produce),
  );
  reportThroughput(
    'platformatic_fetch',
    CLIENT_RECORDS,
    runs.map((r) => r.fetch),
  );
}

const hasKcat = spawnSync('kcat', ['-V']).status === 0;
if (!hasKcat) process.stderr.write('kcat not installed: skipping the kcat figures (apt-get install -y kcat)\n');
const dir = mkdtempSync(join(tmpdir(), 'kafka-bench-'));
try {
  const file = hasKcat ? writeRecordsFile(dir) : '';
  const broker = await startBroker();
  try {
    if (hasKcat) await benchKcat(broker, file);
    await benchPlatformatic(broker);
  } finally {
    await stopBroker(broker);
  }
  if (hasKcat) await benchKcatDataDir(dir, file);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
