import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties: Record<string, any>; Condition?: string }>;
  Parameters?: Record<string, any>;
  Conditions?: Record<string, any>;
  Outputs?: Record<string, any>;
}

const cached = new Map<string, Promise<CfnTemplate>>();

/** Every input of the template: a change to any of them means packaging again. */
const INPUTS = ['serverless.yml', 'package-lock.json', 'resources', 'statemachines', 'functions', 'esbuild-plugins.ts'];

async function inputsHash(root: string): Promise<string> {
  const hash = createHash('sha256');
  const visit = async (path: string): Promise<void> => {
    const info = await stat(path).catch(() => undefined);
    if (!info) return;
    if (info.isDirectory()) {
      for (const name of (await readdir(path)).sort()) await visit(join(path, name));
      return;
    }
    hash.update(path).update(await readFile(path));
  };
  for (const input of INPUTS) await visit(join(root, input));
  return hash.digest('hex').slice(0, 16);
}

const paramsKey = (params: Record<string, string>) =>
  Object.entries(params)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');

/** Where the result of one package run is kept: under the hash of every input and of the params. */
async function resultFile(params: Record<string, string>): Promise<string> {
  const key = paramsKey(params);
  const suffix = key === '' ? '' : `-${createHash('sha256').update(key).digest('hex').slice(0, 8)}`;
  return join(tmpdir(), `clickstream-template-${await inputsHash(process.cwd())}${suffix}.json`);
}

async function runPackage(params: Record<string, string>, keepZipsIn: string): Promise<string> {
  const out = await mkdtemp(join(tmpdir(), 'sls-package-'));
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_CONFIG_FILE: '/dev/null',
      SLS_TELEMETRY_DISABLED: '1',
    };
    for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'])
      delete env[name];
    await run(
      join(process.cwd(), 'node_modules', '.bin', 'serverless'),
      [
        'package',
        '--stage',
        'test',
        '--package',
        out,
        ...Object.entries(params).flatMap(([k, v]) => ['--param', `${k}=${v}`]),
      ],
      { env, cwd: process.cwd(), timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
    );
    // The function packages too, for the tests of what each zip holds (package-contents.test.ts).
    await mkdir(keepZipsIn, { recursive: true });
    for (const name of (await readdir(out)).filter((f) => f.endsWith('.zip'))) {
      await rename(join(out, name), join(keepZipsIn, name));
    }
    return await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8');
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/**
 * Runs the real `serverless package` (osls) with no AWS credentials into a temp dir and returns
 * the generated CloudFormation template. The template files of all jest workers share one run:
 * the first takes a lock (an atomic mkdir) and packages; the others wait for its result, which is
 * kept under the hash of every input, so an unchanged tree is not packaged again. `params` are
 * passed as `--param k=v` (each set of params is its own package run).
 */
export function packageTemplate(params: Record<string, string> = {}): Promise<CfnTemplate> {
  const key = paramsKey(params);
  const hit = cached.get(key);
  if (hit) return hit;
  const pending = (async () => {
    const file = await resultFile(params);
    const lock = `${file}.lock`;
    const deadline = Date.now() + 300_000;
    for (;;) {
      const done = await readFile(file, 'utf8').catch(() => undefined);
      if (done !== undefined) return JSON.parse(done) as CfnTemplate;
      const locked = await mkdir(lock).then(
        () => true,
        () => false,
      );
      if (locked) {
        try {
          const template = await runPackage(params, `${file}.zips`);
          await writeFile(`${file}.tmp`, template);
          await rename(`${file}.tmp`, file);
          return JSON.parse(template) as CfnTemplate;
        } finally {
          await rm(lock, { recursive: true, force: true });
        }
      }
      // Another worker packages; a lock older than 5 minutes belongs to a run that died.
      const age = await stat(lock).then(
        (s) => Date.now() - s.mtimeMs,
        () => 0,
      );
      if (age > 300_000) await rm(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for another worker to run serverless package');
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  cached.set(key, pending);
  return pending;
}

/**
 * The directory holding every function's zip of the same `serverless package` run as
 * `packageTemplate(params)` (`<function>.zip`, as `serverless deploy` uploads them).
 */
export async function packageZips(params: Record<string, string> = {}): Promise<string> {
  await packageTemplate(params);
  return `${await resultFile(params)}.zips`;
}

/** All IAM statements of a role's inline policies, flattening Fn::If branches (true side). */
export function roleStatements(
  template: CfnTemplate,
  roleId: string,
): { Sid?: string; Action: string | string[]; Resource: unknown; Effect: string }[] {
  const role = template.Resources[roleId];
  if (!role) throw new Error(`no resource ${roleId}`);
  const out: any[] = [];
  for (const policy of role.Properties.Policies ?? []) {
    for (const st of policy.PolicyDocument.Statement) out.push(st['Fn::If'] ? st['Fn::If'][1] : st);
  }
  return out;
}
