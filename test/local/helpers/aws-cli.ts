/**
 * The AWS CLI (v1, the Debian package) against a local endpoint, as people run it: local keys,
 * us-east-1, no pager and none of the user's own config or credential files, so the test sees
 * what the endpoint answers and nothing of the machine's setup.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `aws --endpoint-url <url> ...args`; a failing command resolves with its exit code and output. */
export async function awsCli(url: string, args: readonly string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run('aws', ['--endpoint-url', url, ...args], {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'AKIDLOCAL',
        AWS_SECRET_ACCESS_KEY: 'local-secret',
        AWS_DEFAULT_REGION: 'us-east-1',
        AWS_PAGER: '',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
