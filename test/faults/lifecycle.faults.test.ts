/**
 * The stack's own lifecycle under load: `npm start` stopped with SIGINT and killed with SIGKILL
 * mid-load, then started again on the same state; a pipeline DELETEd while its apps send.
 * Every acknowledged event reaches S3.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectAcknowledgedStoredOnce, load, outcome, sleep, type LoadResult } from './harness.ts';
import { startTestStack } from '../helpers/test-stack.ts';
import { waitFor } from '../helpers/local-s3.ts';

interface Running {
  child: ChildProcess;
  api: string;
  aws: string;
  s3Dir: string;
  exited: Promise<number | null>;
}

/**
 * The local stack on free ports and the given state directory: through `npm start` (a signal to
 * npm's pid must reach the stack), or as the `node local/start.ts` process npm execs (SIGKILL
 * cannot be forwarded: killing the stack's own process is the crash).
 */
async function startLocalStack(dataDir: string, via: 'npm' | 'node', ports: Ports): Promise<Running> {
  // The same ports on every start, as a person's `npm start` has: pipelines store their
  // cluster's broker addresses (MSK's are stable), so a restart must keep the brokers' ports.
  const flags = [
    '--data-dir',
    dataDir,
    '--api-port',
    String(ports.api),
    '--aws-port',
    String(ports.aws),
    '--kafka-port',
    String(ports.kafka),
  ];
  const [command, args] =
    via === 'npm'
      ? (['npm', ['start', '--', ...flags]] as const)
      : ([process.execPath, ['local/start.ts', ...flags]] as const);
  const child = spawn(command, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = await Promise.race([
    waitFor(
      async () => (out.includes('is running locally') && out.includes('Ctrl-C stops everything') ? true : undefined),
      120_000,
      'npm start to be ready',
    ),
    exited.then((code) => {
      throw new Error(`npm start exited with ${code}:\n${out}`);
    }),
  ]);
  expect(ready).toBe(true);
  const api = /HTTP API\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  const aws = /AWS endpoint\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1];
  if (!api || !aws) throw new Error(`no URLs in the banner:\n${out}`);
  return { child, api, aws, s3Dir: join(dataDir, 's3'), exited };
}

interface Ports {
  api: number;
  aws: number;
  /** First of the 3 brokers' consecutive ports. */
  kafka: number;
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Free ports for the stack (3 consecutive ones for the brokers), kept for its restarts. */
async function freePorts(): Promise<Ports> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 20_000);
    const wanted = [base, base + 1, base + 2, base + 10, base + 11];
    const free = await Promise.all(wanted.map(portFree));
    if (free.every(Boolean)) return { kafka: base, api: base + 10, aws: base + 11 };
  }
  throw new Error('no free ports for the stack');
}

describe('faults: stack lifecycle', () => {
  let dataDir: string;
  let ports: Ports;
  let running: Running | undefined;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'faults-life-'));
    ports = await freePorts();
  });
  afterAll(async () => {
    if (running && running.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    await rm(dataDir, { recursive: true, force: true });
  });

  it.each([['SIGINT'], ['SIGKILL']] as const)(
    'stack stopped with %s mid-load, then restarted: nothing acknowledged is missing',
    async (signal) => {
      running = await startLocalStack(dataDir, signal === 'SIGINT' ? 'npm' : 'node', ports);
      const tag = `life-${signal}`;
      // Long enough that the signal lands mid-load (asserted below: some events are not acknowledged).
      const traffic = load(running.api, { tag, requests: 2000, pauseMs: 10, timeoutMs: 10_000 });
      await sleep(1500);
      running.child.kill(signal);
      const code = await running.exited;
      if (signal === 'SIGINT') expect(code).toBe(0);
      const result: LoadResult = await traffic;
      running = await startLocalStack(dataDir, 'node', ports);
      const counts = await outcome(`stack ${signal} mid-load, restarted`, running.s3Dir, [result], 120_000);
      expect(counts.acknowledged).toBeGreaterThan(0);
      expect(counts.acknowledged).toBeLessThan(counts.sent);
      expect(counts.missing).toBe(0);
      running.child.kill('SIGINT');
      expect(await running.exited).toBe(0);
    },
    300_000,
  );
});

describe('faults: DELETE of a pipeline under traffic', () => {
  it('every event acknowledged before, during and after DELETE reaches S3; the app is refused afterwards', async () => {
    const { stack, close } = await startTestStack('faults-');
    try {
      const id = stack.demo!.pipeline.id;
      const traffic = load(stack.api, { tag: 'delete', requests: 400, perRequest: 10, pauseMs: 10 });
      await sleep(1000);
      const del = await fetch(`${stack.api}/pipelines/${id}`, { method: 'DELETE' });
      expect(del.status).toBe(202);
      const result = await traffic;
      const final = await waitFor(
        async () => {
          const p = (await (await fetch(`${stack.api}/pipelines/${id}`)).json()) as { status: string };
          return p.status === 'DELETED' || p.status === 'FAILED' ? p : undefined;
        },
        120_000,
        'the pipeline to be DELETED',
      );
      expect(final.status).toBe('DELETED');
      const counts = await outcome('DELETE of a pipeline under traffic', stack.s3Dir, [result], 60_000);
      expect(counts.acknowledged).toBeGreaterThan(0);
      expectAcknowledgedStoredOnce(counts);
      const after = await fetch(`${stack.api}/collect?appId=demo-app`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify([{ event_id: 'late', event_type: 'x', timestamp: Date.now(), app_id: 'demo-app' }]),
      });
      expect(after.status).toBe(403);
    } finally {
      await close();
    }
  }, 300_000);
});
