/**
 * Secrets are never logged: each code path that handles one (SCRAM credentials from Secrets
 * Manager, the MSK IAM token and the AWS credentials that sign it, truststore passwords) runs
 * through its real Lambda handler in a child process with debug logging on, against
 * moto_server's Secrets Manager and DynamoDB (an independent implementation of both APIs) and the
 * dev Kafka cluster; everything the process writes is scanned for the secret values. The dev
 * brokers speak PLAINTEXT only, so every TLS/SASL connection fails: the failure paths, where a
 * secret most easily slips into a message, run every time.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { parse } from 'yaml';
import { DynamoPipelineStore } from '../../../functions/pipelines/registry.ts';
import { startCluster, type DevCluster } from '../../../local/kafka/index.ts';
import { newPipeline } from '../../helpers/pipelines.ts';

const run = promisify(execFile);
const TABLE = 'pipelines-secrets';
const secret = (what: string) => `${what}-${randomBytes(12).toString('hex')}`;

/** The values that must never appear in any output. */
const values = {
  scramUser: secret('scram-user'),
  scramPassword: secret('scram-password'),
  malformedSecretString: secret('malformed-secret-string'),
  misnamedPassword: secret('misnamed-password'),
  wrongTruststorePassword: secret('truststore-password'),
  awsSecretAccessKey: secret('aws-secret-access-key'),
  awsSessionToken: secret('aws-session-token'),
};
/** The fixtures' truststore password (test/fixtures/tls/README.md): committed, yet must not be logged either. */
const TRUSTSTORE_PASSWORD = 'changeit';
const TRUSTSTORE = join(process.cwd(), 'test', 'fixtures', 'tls', 'truststore.jks');
const PKCS12 = join(process.cwd(), 'test', 'fixtures', 'tls', 'truststore.p12');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Every spelling of a value a log could carry: as is, JSON-escaped, base64 and base64url. */
function spellings(value: string): string[] {
  const b = Buffer.from(value);
  return [value, JSON.stringify(value).slice(1, -1), b.toString('base64').replace(/=+$/, ''), b.toString('base64url')];
}

/** Signed MSK IAM tokens (base64url presigned URLs) or pieces of SigV4 found in the text. */
function signedTokens(text: string): string[] {
  const found = [...text.matchAll(/X-Amz-(Signature|Security-Token|Credential)/g)].map((m) => m[0]);
  for (const [candidate] of text.matchAll(/[A-Za-z0-9_-]{80,}/g)) {
    const decoded = Buffer.from(candidate, 'base64url').toString('latin1');
    if (/X-Amz-|kafka-cluster/.test(decoded)) found.push(`${candidate.slice(0, 20)}… (decodes to a signed token)`);
  }
  return found;
}

describe('secrets are never logged (real handlers, debug logging, moto_server, dev Kafka)', () => {
  let moto: ChildProcess;
  let endpoint: string;
  let cluster: DevCluster;
  const arns: Record<string, string> = {};
  let pipelineId: string;

  beforeAll(async () => {
    const port = await freePort();
    moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let motoLog = '';
    moto.stderr!.on('data', (d: Buffer) => (motoLog += d.toString()));
    moto.on('error', (error) => (motoLog += `cannot run moto_server (pip install 'moto[server]'): ${error.message}`));
    endpoint = `http://127.0.0.1:${port}`;
    const aws = {
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'test' },
    };
    const sm = new SecretsManagerClient(aws);
    const createSecret = async (Name: string, SecretString: string) =>
      (await sm.send(new CreateSecretCommand({ Name, SecretString }))).ARN!;
    for (let i = 0; ; i++) {
      try {
        arns.good = await createSecret(
          'AmazonMSK_ingest',
          JSON.stringify({ username: values.scramUser, password: values.scramPassword }),
        );
        break;
      } catch (error) {
        if (i > 150) throw new Error(`moto_server did not start: ${String(error)} ${motoLog}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    arns.malformed = await createSecret(
      'AmazonMSK_malformed',
      `{"username": "u", "password": ${values.malformedSecretString}`,
    );
    arns.misnamed = await createSecret(
      'AmazonMSK_misnamed',
      JSON.stringify({ user: values.scramUser, pass: values.misnamedPassword }),
    );
    sm.destroy();

    const ddb = new DynamoDBClient(aws);
    const resource = parse(readFileSync(join(process.cwd(), 'resources', 'pipelines-table.yml'), 'utf8')) as {
      Properties: Record<string, unknown>;
    };
    const { PointInTimeRecoverySpecification: _pitr, TimeToLiveSpecification: _ttl, ...props } = resource.Properties;
    await ddb.send(new CreateTableCommand({ ...(props as unknown as CreateTableCommandInput), TableName: TABLE }));
    cluster = await startCluster({ brokers: 2, port: 0 });
    const store = new DynamoPipelineStore({ client: DynamoDBDocumentClient.from(ddb), tableName: TABLE });
    const pipeline = newPipeline();
    pipeline.kafka = {
      cluster: { type: 'self-hosted', brokers: cluster.bootstrap, securityGroupId: 'sg-0123456789abcdef0' },
      topic: 'secrets',
      partitions: 3,
      replicationFactor: 2,
      auth: 'scram',
      scramSecretArn: arns.good,
    };
    await store.create(pipeline);
    pipelineId = pipeline.id;
    ddb.destroy();
  }, 60_000);

  afterAll(async () => {
    await cluster?.close();
    moto?.kill();
  });

  /**
   * Runs every scenario in one child process of secret-paths.ts (stderr into stdout, so each line
   * stays under its scenario's `=== <name>` marker); returns each scenario's output.
   */
  async function captureAll(
    scenarios: {
      name: string;
      kind: 'ingest' | 'create-topic';
      env: Record<string, string>;
      pipelineId?: string;
      brokers?: string;
    }[],
  ): Promise<Map<string, string>> {
    const base = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !k.startsWith('AWS_') && !k.startsWith('KAFKA_') && !k.startsWith('POWERTOOLS_'),
      ),
    );
    const node = join(process.cwd(), 'node_modules', '.bin', 'node');
    const { stdout } = await run(
      '/bin/sh',
      [
        '-c',
        'exec "$0" "$@" 2>&1',
        node,
        join('test', 'integration', 'security', 'secret-paths.ts'),
        JSON.stringify(scenarios),
      ],
      {
        cwd: process.cwd(),
        timeout: 120_000,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...base,
          POWERTOOLS_LOG_LEVEL: 'DEBUG',
          DEBUG: '*',
          AWS_ENDPOINT_URL: endpoint,
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'ASIAEXAMPLESECRETTEST',
          AWS_SECRET_ACCESS_KEY: values.awsSecretAccessKey,
          AWS_SESSION_TOKEN: values.awsSessionToken,
          KAFKA_ACK_TIMEOUT_MS: '3000',
        },
      },
    );
    const out = new Map<string, string>();
    for (const part of stdout.split(/^=== /m).slice(1)) {
      const newline = part.indexOf('\n');
      out.set(part.slice(0, newline), part.slice(newline + 1));
    }
    expect(out.has('end')).toBe(true);
    return out;
  }

  function expectNoSecret(output: string): void {
    const leaked = [...Object.entries(values), ['truststorePassword', TRUSTSTORE_PASSWORD] as const]
      .filter(([, value]) => spellings(value).some((s) => output.includes(s)))
      .map(([name]) => name);
    expect(leaked).toEqual([]);
    expect(signedTokens(output)).toEqual([]);
  }

  /** The path ran and logged: a line of the project's JSON logger, the Kafka library's debug output, and the outcome line. */
  function expectRan(output: string, outcome: RegExp, level = 'ERROR|WARN|DEBUG'): void {
    expect(output).toMatch(new RegExp(`"level":"(${level})".*"service":"`));
    expect(output).toMatch(outcome);
  }

  const ingestEnv = (env: Record<string, string>) => ({
    ALLOWED_APP_IDS: 'demo-app',
    INGEST_TOPIC: 'secrets',
    KAFKA_BROKERS: cluster.bootstrap,
    ...env,
  });
  let outputs: Map<string, string>;
  const output = (name: string) => {
    const text = outputs.get(name);
    if (text === undefined) throw new Error(`scenario ${name} did not run`);
    return text;
  };

  beforeAll(async () => {
    outputs = await captureAll([
      {
        name: 'scram',
        kind: 'ingest',
        env: ingestEnv({
          KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
          KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
          KAFKA_SCRAM_SECRET_ARN: arns.good!,
          KAFKA_TRUSTSTORE_LOCATION: TRUSTSTORE,
          KAFKA_TRUSTSTORE_PASSWORD: TRUSTSTORE_PASSWORD,
        }),
      },
      {
        name: 'malformed',
        kind: 'ingest',
        env: ingestEnv({
          KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
          KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
          KAFKA_SCRAM_SECRET_ARN: arns.malformed!,
        }),
      },
      {
        name: 'misnamed',
        kind: 'ingest',
        env: ingestEnv({
          KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
          KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
          KAFKA_SCRAM_SECRET_ARN: arns.misnamed!,
        }),
      },
      {
        name: 'jks-wrong-password',
        kind: 'ingest',
        env: ingestEnv({
          KAFKA_SECURITY_PROTOCOL: 'SSL',
          KAFKA_TRUSTSTORE_LOCATION: TRUSTSTORE,
          KAFKA_TRUSTSTORE_PASSWORD: values.wrongTruststorePassword,
        }),
      },
      {
        name: 'pkcs12-wrong-password',
        kind: 'ingest',
        env: ingestEnv({
          KAFKA_SECURITY_PROTOCOL: 'SSL',
          KAFKA_TRUSTSTORE_LOCATION: PKCS12,
          KAFKA_TRUSTSTORE_PASSWORD: values.wrongTruststorePassword,
        }),
      },
      {
        name: 'iam',
        kind: 'ingest',
        env: ingestEnv({ KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'AWS_MSK_IAM' }),
      },
      {
        name: 'create-topic',
        kind: 'create-topic',
        env: { PIPELINES_TABLE: TABLE, POWERTOOLS_SERVICE_NAME: 'pipelines-workflow' },
        pipelineId,
        brokers: cluster.bootstrap,
      },
    ]);
  }, 150_000);

  it('ingest with SCRAM and a JKS truststore: the credentials are fetched and used, never written', () => {
    const text = output('scram');
    expectRan(text, /"scenario":"scram","status":503/, 'DEBUG');
    expect(text).toMatch(/Kafka connection options resolved/);
    expect(text).toMatch(/plt:kafka/);
    expectNoSecret(text);
  });

  it.each([
    ['a SecretString that is not JSON', 'malformed'],
    ['a secret without username/password fields', 'misnamed'],
  ])('ingest with SCRAM and %s: the error names the secret, not its content', (_what, key) => {
    const text = output(key);
    expectRan(text, new RegExp(`"scenario":"${key}","status":500`));
    expect(text).toContain(`AmazonMSK_${key}`);
    expectNoSecret(text);
  });

  it.each([
    ['JKS', 'jks-wrong-password'],
    ['PKCS#12', 'pkcs12-wrong-password'],
  ])(
    'ingest with a %s truststore and a wrong password: the error names the password property, not the password',
    (_what, name) => {
      const text = output(name);
      expectRan(text, new RegExp(`"scenario":"${name}","status":500`));
      expect(text).toContain('KAFKA_TRUSTSTORE_PASSWORD');
      expectNoSecret(text);
    },
  );

  it('ingest with MSK IAM: neither the signed token nor the AWS credentials that sign it are written', () => {
    const text = output('iam');
    expectRan(text, /"scenario":"iam","status":503/);
    expect(text).toMatch(/"auth":"iam"/);
    expectNoSecret(text);
  });

  it('the CreateTopic task of a SCRAM pipeline: the secret is read for the admin client, and neither its logs nor the error it hands Step Functions carry it', () => {
    const text = output('create-topic');
    expectRan(text, /"scenario":"create-topic","errorType":"(TransientError|KafkaUnavailableError)"/, 'WARN');
    expect(text).toMatch(/CreateTopic failed/);
    expectNoSecret(text);
  });

  it('writes nothing secret outside the scenarios either (module loading, shutdown)', () => {
    expectNoSecret([...outputs.values()].join('\n'));
  });

  it('would see a leak: the scan finds each secret when it is written, in every spelling', () => {
    for (const value of Object.values(values)) {
      for (const spelled of spellings(value))
        expect(() => expectNoSecret(`{"level":"DEBUG","x":"${spelled}"}`)).toThrow();
    }
    const token = Buffer.from(
      'https://kafka.us-east-1.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Signature=abc',
    ).toString('base64url');
    expect(signedTokens(`{"token":"${token}"}`)).toHaveLength(1);
  });
});
