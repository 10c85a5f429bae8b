/**
 * The function packages of `serverless package` (the zips `serverless deploy` uploads), unzipped
 * and run as Lambda runs them: each zip holds its own handler's files only and every file its code
 * may load (static and lazy chunks, the side files of esbuild-plugins.ts), the ingest's init-time
 * code fits its cold-start budget (docs/decisions.md D25), and the packaged ingest handler still
 * takes the lazily loaded paths (JKS and PKCS#12 truststores, SASL/SCRAM with the secret from
 * Secrets Manager, MSK IAM) over the dev brokers' secured listeners.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { parse } from 'yaml';
import { initTimeFiles, missingFiles } from '../../../bench/package-graph.ts';
import { startCluster, type DevCluster } from '../../../local/kafka/index.ts';
import { startLocalAws, type LocalAws } from '../../../local/aws/index.ts';
import { packageZips } from '../../helpers/package-template.ts';

const run = promisify(execFile);

/** Function name → handler module inside its package, from serverless.yml. */
async function functionModules(): Promise<Map<string, string>> {
  const doc = parse(await readFile(join(process.cwd(), 'serverless.yml'), 'utf8')) as {
    functions: Record<string, { handler: string }>;
  };
  return new Map(
    Object.entries(doc.functions).map(([name, fn]) => [
      name,
      `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.mjs`,
    ]),
  );
}

/** Imports the packaged module in a fresh Node process (Lambda's init) and prints its exports. */
const IMPORT_ONLY = 'const m = await import(process.argv[1]); process.stdout.write(Object.keys(m).join(","));';

/** Invokes the packaged ingest handler with one POST /collect and prints its response after RESULT. */
const RESULT = '__handler_result__';
const INVOKE = `const RESULT = ${JSON.stringify(RESULT)};
const { handler } = await import(process.argv[2]);
const event = JSON.parse(process.env.TEST_EVENT);
const context = { awsRequestId: 'pkg-test', functionName: 'ingest', functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ingest', memoryLimitInMB: '512',
  getRemainingTimeInMillis: () => 10000 };
const res = await handler(event, context);
process.stdout.write('\\n' + RESULT + JSON.stringify(res));
process.exit(0);
`;

describe('function packages (serverless package)', () => {
  let zips: string;
  let work: string;
  let modules: Map<string, string>;

  beforeAll(async () => {
    zips = await packageZips();
    modules = await functionModules();
    work = await mkdtemp(join(tmpdir(), 'package-contents-'));
    for (const name of modules.keys()) execFileSync('unzip', ['-q', join(zips, `${name}.zip`), '-d', join(work, name)]);
  }, 300_000);

  afterAll(async () => {
    await rm(work, { recursive: true, force: true });
  });

  it("holds in each function's zip only its own handler's files, and every file its code may load", async () => {
    for (const [name, module] of modules) {
      const dir = join(work, name);
      const { init, lazy } = await initTimeFiles(dir, module);
      const own = `${module.slice(0, -'.mjs'.length)}.`;
      expect({ name, foreign: [...init, ...lazy].filter((f) => f !== module && !f.startsWith(own)) }).toEqual({
        name,
        foreign: [],
      });
      expect({ name, missing: missingFiles(dir) }).toEqual({ name, missing: [] });
      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', IMPORT_ONLY, join(dir, module)], {
        cwd: dir,
        env: { ...process.env, NODE_OPTIONS: '', AWS_REGION: 'us-east-1' },
      });
      expect({ name, exports: stdout.split(',') }).toEqual({ name, exports: expect.arrayContaining(['handler']) });
    }
  }, 120_000);

  it("keeps the ingest's init-time code (handler and static chunks) within 500 KB, the lazy paths in chunks", async () => {
    const dir = join(work, 'ingest');
    const { init, lazy } = await initTimeFiles(dir, modules.get('ingest')!);
    const bytes = (files: string[]) => files.reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    expect(bytes(init)).toBeLessThanOrEqual(500_000);
    expect(lazy.some((f) => f.endsWith('.ajv.cjs'))).toBe(true);
    expect(lazy.some((f) => f.endsWith('.native.wasm'))).toBe(true);
  }, 60_000);

  describe('the packaged ingest handler over secured listeners', () => {
    const REGION = 'us-east-1';
    const KEYS = { accessKeyId: 'AKIDPACKAGE', secretAccessKey: 'package-secret' };
    let cluster: DevCluster;
    let aws: LocalAws;
    let awsDir: string;
    let scramSecretArn: string;
    const TOPICS = ['pkg-tls-jks', 'pkg-tls-pkcs12', 'pkg-scram', 'pkg-iam'];

    beforeAll(async () => {
      cluster = await startCluster({
        brokers: 2,
        port: 0,
        autoCreateTopics: true,
        listeners: { tls: { port: 0 }, scram: { port: 0 }, iam: { port: 0 } },
        scramUsers: { packaged: 'packaged-password' },
        iamCredentials: [KEYS],
      });
      awsDir = await mkdtemp(join(tmpdir(), 'package-aws-'));
      aws = await startLocalAws({ port: 0, dataDir: awsDir, dynamodb: { inMemory: true } });
      scramSecretArn = aws.secretsManager.ensure('AmazonMSK_packaged', () =>
        JSON.stringify({ username: 'packaged', password: 'packaged-password' }),
      ).arn;
      // The ingest never creates topics (a pipeline's workflow does).
      const admin = new Kafka({ brokers: cluster.brokers, logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      try {
        await admin.createTopics({
          topics: TOPICS.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 2 })),
        });
      } finally {
        await admin.disconnect();
      }
    }, 60_000);

    afterAll(async () => {
      await aws?.close();
      await cluster?.close();
      await rm(awsDir, { recursive: true, force: true });
    });

    /** POST /collect through the packaged handler in its own process, with the ingest's env names. */
    async function collect(kafkaEnv: Record<string, string>, topic: string) {
      const dir = join(work, 'ingest');
      const event = JSON.parse(await readFile(join(process.cwd(), 'test/fixtures/apigw/collect-post.json'), 'utf8'));
      const driver = join(dir, 'invoke.mjs');
      await writeFile(driver, INVOKE);
      const { stdout } = await run(process.execPath, [driver, join(dir, modules.get('ingest')!)], {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          NODE_OPTIONS: '',
          AWS_REGION: REGION,
          AWS_ACCESS_KEY_ID: KEYS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: KEYS.secretAccessKey,
          AWS_ENDPOINT_URL: aws.url,
          POWERTOOLS_SERVICE_NAME: 'ingest',
          POWERTOOLS_LOG_LEVEL: 'ERROR',
          POWERTOOLS_METRICS_DISABLED: 'true',
          INGEST_TOPIC: topic,
          ALLOWED_APP_IDS: 'demo-app',
          KAFKA_ACK_TIMEOUT_MS: '20000',
          TEST_EVENT: JSON.stringify(event),
          ...kafkaEnv,
        },
        timeout: 60_000,
      });
      return JSON.parse(stdout.slice(stdout.lastIndexOf(RESULT) + RESULT.length)) as {
        statusCode: number;
        body: string;
      };
    }

    it.each([
      ['JKS', () => cluster.tls!.jksLocation],
      ['PKCS12', () => cluster.tls!.pkcs12Location],
    ])(
      'writes over TLS with a %s truststore (node-forge / jks-js chunks)',
      async (type, location) => {
        const res = await collect(
          {
            KAFKA_BROKERS: cluster.listeners.tls!,
            KAFKA_SECURITY_PROTOCOL: 'SSL',
            KAFKA_TRUSTSTORE_LOCATION: location(),
            KAFKA_TRUSTSTORE_PASSWORD: cluster.tls!.truststorePassword,
            KAFKA_TRUSTSTORE_TYPE: type,
          },
          `pkg-tls-${type.toLowerCase()}`,
        );
        expect(res).toMatchObject({ statusCode: 200 });
      },
      90_000,
    );

    it('writes over SASL/SCRAM with the secret read from Secrets Manager (Secrets Manager chunk)', async () => {
      const res = await collect(
        {
          KAFKA_BROKERS: cluster.listeners.scram!,
          KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
          KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
          KAFKA_SCRAM_SECRET_ARN: scramSecretArn,
          KAFKA_CA_LOCATION: cluster.tls!.caLocation,
        },
        'pkg-scram',
      );
      expect(res).toMatchObject({ statusCode: 200 });
    }, 90_000);

    it('writes over MSK IAM with a token signed by aws-msk-iam-sasl-signer-js (signer chunk)', async () => {
      const res = await collect(
        {
          KAFKA_BROKERS: cluster.listeners.iam!,
          KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
          KAFKA_SASL_MECHANISM: 'AWS_MSK_IAM',
          KAFKA_CA_LOCATION: cluster.tls!.caLocation,
        },
        'pkg-iam',
      );
      expect(res).toMatchObject({ statusCode: 200 });
    }, 90_000);
  });
});
