/**
 * Independent command-line clients the tests check the local stack with, as a person would use
 * them: the AWS CLI against the local endpoint, and kcat (librdkafka) against the dev brokers.
 * Their argument lists live here once, so every test reads a secret or opens a SCRAM session the
 * same way.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * `aws secretsmanager get-secret-value --query SecretString` against `endpoint`, with the local
 * keys and no config or credentials file of the machine (which could name another profile).
 */
export async function awsCliSecretString(endpoint: string, secretId: string): Promise<string> {
  const { stdout } = await run(
    'aws',
    [
      '--endpoint-url',
      endpoint,
      '--region',
      'us-east-1',
      'secretsmanager',
      'get-secret-value',
      '--secret-id',
      secretId,
      '--query',
      'SecretString',
      '--output',
      'text',
    ],
    {
      env: {
        ...process.env,
        AWS_ACCESS_KEY_ID: 'local',
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      },
    },
  );
  return stdout;
}

const kcatSecurity = (protocol: string, caLocation: string): string[] => [
  '-X',
  `security.protocol=${protocol}`,
  '-X',
  `ssl.ca.location=${caLocation}`,
];

/** kcat `-X` settings for TLS trusting the CA at `caLocation`. */
export function kcatTls(caLocation: string): string[] {
  return kcatSecurity('SSL', caLocation);
}

/** kcat `-X` settings for SASL_SSL with SCRAM-SHA-512 as `username`, trusting the CA at `caLocation`. */
export function kcatScram(caLocation: string, username: string, password: string): string[] {
  return [
    ...kcatSecurity('SASL_SSL', caLocation),
    '-X',
    'sasl.mechanisms=SCRAM-SHA-512',
    '-X',
    `sasl.username=${username}`,
    '-X',
    `sasl.password=${password}`,
  ];
}
