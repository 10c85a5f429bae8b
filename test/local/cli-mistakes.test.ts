import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

/** Runs a local CLI on the project's Node (the one running jest) with the given environment. */
function run(args: string[], env: Record<string, string> = {}) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => !k.startsWith('npm_config_') && k !== 'npm_lifecycle_event'),
  );
  const r = spawnSync(process.execPath, args, { env: { ...clean, ...env }, encoding: 'utf8', timeout: 30_000 });
  return { status: r.status, stderr: r.stderr.trim(), stdout: r.stdout.trim() };
}

describe('local CLI mistakes (one line saying what to do)', () => {
  it('local/start.ts on a Node that cannot run TypeScript says to use npm start', () => {
    const r = run(['--no-experimental-strip-types', 'local/start.ts']);
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n')).toHaveLength(1);
    expect(r.stderr).toContain("use 'npm start'");
  });

  it('an unknown flag of npm start names it and where the flags are listed', () => {
    const r = run(['local/start.ts', '--bogus']);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "npm start: Unknown option '--bogus'; 'npm start -- --help' lists the flags (they go after '--')",
    );
  });

  it('npm start --fresh without -- (npm keeps the flag as npm_config_fresh) says to put it after --', () => {
    const r = run(['local/start.ts'], { npm_lifecycle_event: 'start', npm_config_fresh: 'true', npm_config_demo: '' });
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(
      "npm start: npm took --fresh --no-demo as its own settings and did not pass them on; put the flags after '--': npm start -- --fresh --no-demo",
    );
  });

  it('npm run kafka on a busy port names the port and the flag that moves it', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const r = run(['local/kafka/cli.ts', '--brokers', '1', '--port', String(port)]);
      expect(r.status).toBe(1);
      expect(r.stderr.split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(`npm run kafka: port ${port} on 127.0.0.1 is in use`);
      expect(r.stderr).toContain('npm run kafka -- --port N');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
