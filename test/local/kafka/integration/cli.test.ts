import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { join } from 'node:path';
import kafkajs from 'kafkajs';

const { Kafka, logLevel } = kafkajs;
const CLI = join(process.cwd(), 'local', 'kafka', 'cli.ts');

function firstLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.once('exit', (code) => reject(new Error(`CLI exited early with ${code}`)));
  });
}

function refused(hostPort: string): Promise<boolean> {
  const [host, port] = hostPort.split(':');
  return new Promise((resolve) => {
    const s = connect({ host, port: Number(port) });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('dev broker CLI', () => {
  let child: ChildProcess | undefined;

  afterEach(() => {
    if (child !== undefined && child.exitCode === null) child.kill('SIGKILL');
  });

  it('prints the bootstrap string, serves clients and stops cleanly on SIGINT', async () => {
    child = spawn(process.execPath, [CLI, '--brokers', '2', '--port', '0', '--num-partitions', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const bootstrap = await firstLine(child);
    const brokers = bootstrap.split(',');
    expect(brokers).toHaveLength(2);
    expect(brokers.every((b) => b.startsWith('127.0.0.1:'))).toBe(true);

    const kafka = new Kafka({ brokers, logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'from-cli', messages: [{ value: 'hi' }] }); // auto-creates the topic
    await producer.disconnect();
    const admin = kafka.admin();
    await admin.connect();
    const described = await admin.describeCluster();
    expect(described.brokers.map((b) => b.nodeId).sort()).toEqual([0, 1]);
    const { topics } = await admin.fetchTopicMetadata({ topics: ['from-cli'] });
    expect(topics[0]!.partitions).toHaveLength(2);
    await admin.disconnect();

    const exited = new Promise<number | null>((resolve) => child!.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await refused(brokers[0]!)).toBe(true);
  });

  it('rejects invalid options with a usage message', async () => {
    child = spawn(process.execPath, [CLI, '--brokers', 'many'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child!.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(stderr).toContain('--brokers must be a non-negative integer');
    expect(stderr.trim().split('\n')).toHaveLength(1); // one line saying what to do, not the whole usage
    expect(stderr).toContain("'npm run kafka -- --help' lists the flags");
  });
});
