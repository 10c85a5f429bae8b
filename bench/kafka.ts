/**
 * Throughput of the dev Kafka broker (local/kafka), measured with independent clients:
 * kcat (librdkafka) and @platformatic/kafka (the project's client). The broker runs in its own
 * process (`npm run kafka`), as in the local stack, so clients do not share its event loop.
 *
 * Figures: records/s and MB/s of 500-byte records for produce and fetch. Sizes can be changed with
 * KAFKA_BENCH_KCAT_RECORDS and KAFKA_BENCH_CLIENT_RECORDS.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Consumer, Producer, ProduceAcks, stringDeserializers, stringSerializers } from '@platformatic/kafka';

const RECORD_BYTES = 500;
const KCAT_RECORDS = Number(process.env.KAFKA_BENCH_KCAT_RECORDS ?? 500_000);
const CLIENT_RECORDS = Number(process.env.KAFKA_BENCH_CLIENT_RECORDS ?? 200_000);
const cli = join(dirname(fileURLToPath(import.meta.url)), '..', 'local', 'kafka', 'cli.ts');

function report(metric: string, value: number, unit: string): void {
  process.stdout.write(`${JSON.stringify({ bench: 'kafka', metric, value: Math.round(value * 10) / 10, unit })}\n`);
}

function reportThroughput(prefix: string, records: number, seconds: number): void {
  report(`${prefix}_records_per_sec`, records / seconds, 'records/s');
  report(`${prefix}_mb_per_sec`, (records * RECORD_BYTES) / seconds / 1e6, 'MB/s');
}

function startBroker(dataDir?: string): Promise<{ child: ChildProcess; bootstrap: string }> {
  return new Promise((resolve, reject) => {
    const args = [cli, '--brokers', '3', '--port', '0', '--num-partitions', '3', ...(dataDir === undefined ? [] : ['--data-dir', dataDir])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve({ child, bootstrap: out.slice(0, nl) });
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
}

/** Runs a command; resolves with its wall time and the number of lines it printed. */
function timed(command: string, args: string[]): Promise<{ seconds: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let lines = 0;
    child.stdout!.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
      else resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, lines });
    });
  });
}

function kcatProduce(bootstrap: string, file: string): Promise<{ seconds: number }> {
  return timed('kcat', [
    '-b', bootstrap, '-P', '-t', 'bench-kcat', '-l', file,
    '-X', 'linger.ms=5', '-X', 'batch.num.messages=10000', '-X', 'queue.buffering.max.messages=1000000', '-X', 'queue.buffering.max.kbytes=2097151',
  ]);
}

async function benchKcat(bootstrap: string, dir: string): Promise<void> {
  const file = join(dir, 'records.txt');
  const filler = 'x'.repeat(RECORD_BYTES - 8);
  const lines: string[] = [];
  for (let i = 0; i < KCAT_RECORDS; i++) lines.push(`${String(i).padStart(8, '0')}${filler}`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  const produced = await kcatProduce(bootstrap, file);
  reportThroughput('kcat_produce', KCAT_RECORDS, produced.seconds);
  // prints one offset per record, so the count proves every produced record came back
  const fetched = await timed('kcat', ['-b', bootstrap, '-C', '-t', 'bench-kcat', '-o', 'beginning', '-e', '-q', '-f', '%o\n']);
  if (fetched.lines !== KCAT_RECORDS) throw new Error(`kcat fetched ${fetched.lines} records, expected ${KCAT_RECORDS}`);
  reportThroughput('kcat_fetch', KCAT_RECORDS, fetched.seconds);
}

/** The same kcat produce against a cluster persisting to a data dir (asynchronous batched appends). */
async function benchKcatDataDir(dir: string): Promise<void> {
  const broker = await startBroker(join(dir, 'data'));
  try {
    const produced = await kcatProduce(broker.bootstrap, join(dir, 'records.txt'));
    reportThroughput('kcat_produce_data_dir', KCAT_RECORDS, produced.seconds);
  } finally {
    broker.child.removeAllListeners('exit');
    await new Promise((resolve) => {
      broker.child.once('exit', resolve);
      broker.child.kill('SIGINT');
    });
  }
}

async function benchPlatformatic(bootstrap: string): Promise<void> {
  const brokers = bootstrap.split(',');
  const producer = new Producer({ clientId: 'bench', bootstrapBrokers: brokers, serializers: stringSerializers, acks: ProduceAcks.LEADER, autocreateTopics: true });
  const value = 'y'.repeat(RECORD_BYTES);
  const batch = 1000;
  const inFlight = 4;
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < CLIENT_RECORDS) {
        const from = next;
        next += batch;
        const messages = Array.from({ length: Math.min(batch, CLIENT_RECORDS - from) }, (_, i) => ({ topic: 'bench-client', key: String(from + i), value }));
        await producer.send({ messages });
      }
    }),
  );
  reportThroughput('platformatic_produce', CLIENT_RECORDS, Number(process.hrtime.bigint() - started) / 1e9);
  await producer.close();

  const consumer = new Consumer({ groupId: 'bench-fetch', clientId: 'bench', bootstrapBrokers: brokers, deserializers: stringDeserializers, maxWaitTime: 100 });
  const fetchStarted = process.hrtime.bigint();
  const stream = await consumer.consume({ topics: ['bench-client'], mode: 'earliest', autocommit: false });
  let received = 0;
  await new Promise<void>((resolve, reject) => {
    stream.on('data', () => {
      if (++received === CLIENT_RECORDS) resolve();
    });
    stream.once('error', reject);
  });
  reportThroughput('platformatic_fetch', CLIENT_RECORDS, Number(process.hrtime.bigint() - fetchStarted) / 1e9);
  await stream.close();
  await consumer.close(true);
}

const hasKcat = spawnSync('kcat', ['-V']).status === 0;
if (!hasKcat) process.stderr.write('kcat not installed: skipping the kcat figures (apt-get install -y kcat)\n');
const dir = mkdtempSync(join(tmpdir(), 'kafka-bench-'));
const { child, bootstrap } = await startBroker();
try {
  if (hasKcat) await benchKcat(bootstrap, dir);
  await benchPlatformatic(bootstrap);
} finally {
  child.removeAllListeners('exit');
  await new Promise((resolve) => {
    child.once('exit', resolve);
    child.kill('SIGINT');
  });
}
try {
  if (hasKcat) await benchKcatDataDir(dir);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
