import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import { MESSAGE_COUNT, keyedMessages } from './helpers.ts';
import { kcatScram, kcatTls } from '../../../helpers/cli-clients.ts';

/**
 * librdkafka compatibility through kcat. CI installs kcat (`apt-get install -y kcat`); on a
 * machine without it the suite reports that instead of running the checks.
 */
const hasKcat = spawnSync('kcat', ['-V']).status === 0;

const TOPIC = 'clicks-kcat';
const GROUP = 'sink-kcat';
/** Settings that keep librdkafka's group protocol quick in tests. */
const FAST = [
  '-X',
  'session.timeout.ms=6000',
  '-X',
  'heartbeat.interval.ms=300',
  '-X',
  'fetch.wait.max.ms=100',
  '-X',
  'auto.offset.reset=earliest',
];

const children = new Set<ChildProcess>();

function kcat(args: string[], input?: string, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kcat ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) resolve(stdout);
      else reject(new Error(`kcat ${args.join(' ')} exited with ${code}: ${stderr}`));
    });
    child.stdin.end(input ?? '');
  });
}

/** Output lines of kcat -f '%p %o %k %s\n' as { partition, offset, key, seq }. */
function parseLines(out: string): Array<{ partition: number; offset: number; key: string; seq: number }> {
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [p, o, k, ...rest] = l.split(' ');
      return {
        partition: Number(p),
        offset: Number(o),
        key: k!,
        seq: (JSON.parse(rest.join(' ')) as { seq: number }).seq,
      };
    });
}

if (!hasKcat) {
  describe('dev broker with kcat (librdkafka)', () => {
    it('kcat not installed: skipping kcat checks', () => {
      console.warn('kcat not installed: skipping kcat checks (apt-get install -y kcat to run them)');
      expect(hasKcat).toBe(false);
      // .ci/run installs kcat and sets KCAT_REQUIRED=1: there a missing kcat is a failure.
      expect(process.env.KCAT_REQUIRED).not.toBe('1');
    });
  });
} else {
  describe('dev broker with kcat (librdkafka)', () => {
    let cluster: DevCluster;

    beforeAll(async () => {
      cluster = await startCluster({
        brokers: 3,
        port: 0,
        numPartitions: 3,
        groupInitialRebalanceDelayMs: 500,
      });
    });

    afterAll(async () => {
      for (const child of children) child.kill('SIGKILL');
      await cluster?.close();
    });

    function groupConsumer(): Promise<string> {
      return kcat(['-b', cluster.bootstrap, '-G', GROUP, TOPIC, '-e', '-q', '-f', '%p %o %k %s\n', ...FAST]);
    }

    it('lists the brokers, the controller and topics with -L', async () => {
      const metadata = JSON.parse(await kcat(['-b', cluster.bootstrap, '-L', '-J'])) as {
        brokers: Array<{ id: number }>;
        controllerid: number;
      };
      expect(metadata.brokers.map((b) => b.id).sort()).toEqual([0, 1, 2]);
      expect(metadata.controllerid).toBe(0);
    });

    it('produces 10,000 keyed gzip messages with -P (auto-creating the topic)', async () => {
      const input = keyedMessages(MESSAGE_COUNT)
        .map((m) => `${m.key}\t${m.value}`)
        .join('\n');
      await kcat(
        ['-b', cluster.bootstrap, '-P', '-t', TOPIC, '-K', '\t', '-z', 'gzip', '-X', 'linger.ms=20'],
        `${input}\n`,
      );
      const metadata = JSON.parse(await kcat(['-b', cluster.bootstrap, '-L', '-J', '-t', TOPIC])) as {
        topics: Array<{ partitions: unknown[] }>;
      };
      expect(metadata.topics[0]!.partitions).toHaveLength(3);
    });

    it('reads every message back with -C', async () => {
      const lines = parseLines(
        await kcat(['-b', cluster.bootstrap, '-C', '-t', TOPIC, '-o', 'beginning', '-e', '-q', '-f', '%p %o %k %s\n']),
      );
      expect(lines).toHaveLength(MESSAGE_COUNT);
      expect(new Set(lines.map((l) => l.seq)).size).toBe(MESSAGE_COUNT);
      const partitionsByKey = new Map<string, Set<number>>();
      for (const l of lines) partitionsByKey.set(l.key, (partitionsByKey.get(l.key) ?? new Set()).add(l.partition));
      expect([...partitionsByKey.values()].every((s) => s.size === 1)).toBe(true);
    });

    it('consumes everything in a group of 2 with -G and resumes from the committed offsets', async () => {
      const [a, b] = await Promise.all([groupConsumer(), groupConsumer()]);
      const first = [...parseLines(a!), ...parseLines(b!)];
      expect(new Set(first.map((l) => `${l.partition}:${l.offset}`)).size).toBe(MESSAGE_COUNT);
      expect(parseLines(a!).length).toBeGreaterThan(0);
      expect(parseLines(b!).length).toBeGreaterThan(0);

      const more = keyedMessages(500, MESSAGE_COUNT)
        .map((m) => `${m.key}\t${m.value}`)
        .join('\n');
      await kcat(['-b', cluster.bootstrap, '-P', '-t', TOPIC, '-K', '\t', '-z', 'gzip'], `${more}\n`);
      const second = parseLines(await groupConsumer());
      expect(second).toHaveLength(500);
      expect(Math.min(...second.map((l) => l.seq))).toBe(MESSAGE_COUNT);
    });
  });

  describe('dev broker secured listeners with kcat (librdkafka)', () => {
    let cluster: DevCluster;
    const USER = 'kcat-user';
    const PASSWORD = 'kcat-secret';

    beforeAll(async () => {
      cluster = await startCluster({
        brokers: 2,
        port: 0,
        listeners: { tls: { port: 0 }, scram: { port: 0 } },
        scramUsers: { [USER]: PASSWORD },
      });
    }, 30_000);

    afterAll(async () => {
      for (const child of children) child.kill('SIGKILL');
      await cluster?.close();
    });

    const tls = (): string[] => kcatTls(cluster.tls!.caLocation);
    const scram = (password: string): string[] => kcatScram(cluster.tls!.caLocation, USER, password);
    const brokerPorts = (out: string): number[] =>
      (JSON.parse(out) as { brokers: Array<{ name: string }> }).brokers
        .map((b) => Number(b.name.split(':').pop()))
        .sort();
    const ports = (bootstrap: string): number[] =>
      bootstrap
        .split(',')
        .map((b) => Number(b.split(':')[1]))
        .sort();

    it('lists the brokers over TLS with the local CA, advertised on the TLS ports', async () => {
      const out = await kcat(['-b', cluster.listeners.tls!.split(',')[0]!, ...tls(), '-L', '-J']);
      expect(brokerPorts(out)).toEqual(ports(cluster.listeners.tls!));
    });

    it('fails the TLS handshake without the local CA', async () => {
      await expect(
        kcat(['-b', cluster.listeners.tls!, '-X', 'security.protocol=SSL', '-L', '-m', '3']),
      ).rejects.toThrow(/certificate verify failed|SSL handshake failed/i);
    });

    it('authenticates with SCRAM-SHA-512, produces and consumes over SASL_SSL', async () => {
      const out = await kcat(['-b', cluster.listeners.scram!, ...scram(PASSWORD), '-L', '-J']);
      expect(brokerPorts(out)).toEqual(ports(cluster.listeners.scram!));
      await kcat(['-b', cluster.listeners.scram!, ...scram(PASSWORD), '-P', '-t', 'kcat-scram'], 'one\ntwo\n');
      const read = await kcat([
        '-b',
        cluster.listeners.scram!,
        ...scram(PASSWORD),
        '-C',
        '-t',
        'kcat-scram',
        '-o',
        'beginning',
        '-e',
        '-q',
      ]);
      expect(read.trim().split('\n')).toEqual(['one', 'two']);
    });

    it('is refused with a wrong SCRAM password', async () => {
      await expect(kcat(['-b', cluster.listeners.scram!, ...scram('wrong'), '-L', '-m', '3'])).rejects.toThrow(
        /invalid credentials with SASL mechanism SCRAM-SHA-512/,
      );
    });
  });
}
