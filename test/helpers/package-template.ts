import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
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

let cached: Promise<CfnTemplate> | undefined;

/**
 * Runs the real `serverless package` (osls) with no AWS credentials into a temp dir and returns
 * the generated CloudFormation template. Shared by the template test files of one jest worker.
 */
export function packageTemplate(): Promise<CfnTemplate> {
  cached ??= (async () => {
    const out = await mkdtemp(join(tmpdir(), 'sls-package-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_CONFIG_FILE: '/dev/null', SLS_TELEMETRY_DISABLED: '1' };
      for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete env[name];
      await run(join(process.cwd(), 'node_modules', '.bin', 'serverless'), ['package', '--stage', 'test', '--package', out], { env, cwd: process.cwd(), timeout: 240_000, maxBuffer: 16 * 1024 * 1024 });
      return JSON.parse(await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8')) as CfnTemplate;
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  })();
  return cached;
}

/** All IAM statements of a role's inline policies, flattening Fn::If branches (true side). */
export function roleStatements(template: CfnTemplate, roleId: string): { Sid?: string; Action: string | string[]; Resource: unknown; Effect: string }[] {
  const role = template.Resources[roleId];
  if (!role) throw new Error(`no resource ${roleId}`);
  const out: any[] = [];
  for (const policy of role.Properties.Policies ?? []) {
    for (const st of policy.PolicyDocument.Statement) out.push(st['Fn::If'] ? st['Fn::If'][1] : st);
  }
  return out;
}
