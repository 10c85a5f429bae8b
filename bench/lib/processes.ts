/**
 * What the benchmarks share: a dev Kafka cluster in its own process (`npm run kafka`), so clients
 * never share its event loop, and timed runs of external commands (kcat).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'local', 'kafka', 'cli.ts');

export interface BrokerProcess {
  child: ChildProcess;
  bootstrap: string;
  admin: Admin;
}

export function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

export const median = (xs: readonly number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Three brokers on free ports in a child process (3 partitions per auto-created topic); `dataDir` persists. */
export function startBroker(dataDir?: string): Promise<BrokerProcess> {
  return new Promise((resolve, reject) => {
    const args = [
      cli,
      '--brokers',
      '3',
      '--port',
      '0',
      '--num-partitions',
      '3',
      ...(dataDir === undefined ? [] : ['--data-dir', dataDir]),
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        const bootstrap = out.slice(0, nl);
        resolve({
          child,
          bootstrap,
          admin: new Admin({ clientId: 'bench-admin', bootstrapBrokers: bootstrap.split(',') }),
        });
      }
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
}

export async function stopBroker(broker: BrokerProcess): Promise<void> {
  await broker.admin.close();
  broker.child.removeAllListeners('exit');
  await new Promise((resolve) => {
    broker.child.once('exit', resolve);
    broker.child.kill('SIGINT');
  });
}

/** Runs a command; resolves with its wall time and the number of lines it printed. */
export function timed(command: string, args: string[]): Promise<{ seconds: number; lines: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let lines = 0;
    child.stdout!.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    child.once('close', (code) => {
      if (code !== 0) reject(new Error(`${command} ${args.join(' ')} exited with ${code}`));
      else resolve({ seconds: seconds(started), lines });
    });
  });
}

/** kcat producing every line of `file` (acks=all unless `extra` says otherwise), batched as librdkafka batches. */
export function kcatProduce(
  bootstrap: string,
  topic: string,
  file: string,
  extra: string[] = [],
): Promise<{ seconds: number }> {
  return timed('kcat', [
    '-b',
    bootstrap,
    '-P',
    '-t',
    topic,
    '-l',
    file,
    '-X',
    'linger.ms=5',
    '-X',
    'batch.num.messages=10000',
    '-X',
    'queue.buffering.max.messages=1000000',
    '-X',
    'queue.buffering.max.kbytes=2097151',
    ...extra,
  ]);
}
