/**
 * End to end over the dev brokers' secured listeners (TLS, SASL_SSL SCRAM-SHA-512, SASL_SSL MSK
 * IAM), through the whole local stack:
 * - a pipeline created with each `auth` reaches ACTIVE: the workflow reads the listener from the
 *   local MSK's GetBootstrapBrokers, creates the topic over it, and the event source mapping
 *   consumes over the listener Lambda picks (TLS on a TLS-only cluster, SCRAM with the
 *   AmazonMSK_ secret, IAM); DELETE drains and deletes the topic over the same listener;
 * - the ingest's producer, configured with the ingest's own environment names, writes over each
 *   listener (TLS with PEM, JKS and PKCS#12 trust, SCRAM from the local Secrets Manager, IAM
 *   signed with the stack's keys), and what it wrote reaches S3;
 * - the workflow's admin client opens over TLS with JKS and PKCS#12 truststores; ValidateCluster of
 *   a self-hosted cluster reads its brokers over SASL/SCRAM;
 * - a wrong CA, a wrong SCRAM password and an expired IAM token each end the pipeline FAILED with
 *   a failureReason naming the cause;
 * - kcat (librdkafka) lists the brokers over TLS with the CA, and over SCRAM with the credentials
 *   read by the AWS CLI from the local Secrets Manager; a wrong password is refused.
 */
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Stack } from '../../local/stack.ts';
import { startTestStack, type TestStack } from '../helpers/test-stack.ts';
import type { PipelineView } from '../../local/demo-pipeline.ts';
import { awsCliSecretString, kcatScram, kcatTls } from '../helpers/cli-clients.ts';
import { createPipeline, deletePipeline, lambdaPipeline } from '../helpers/stack-api.ts';
import { readLocalObjects, waitFor } from '../helpers/local-s3.ts';
import { createEventProducer, parseClusterConfig, type ConfigSource } from '../../functions/lib/kafka/index.ts';
import { kafkaAdminFactory } from '../../functions/pipelines/tasks/kafka-admin.ts';

const UNTRUSTED_CA = readFileSync(fileURLToPath(new URL('../fixtures/tls/untrusted-ca.pem', import.meta.url)), 'utf8');
const EVENTS = 50;
const run = promisify(execFile);
/** CI installs kcat (.ci/run sets KCAT_REQUIRED=1 so a missing kcat fails instead of passing quietly). */
const hasKcat = spawnSync('kcat', ['-V']).status === 0;

/** A lambda-mode pipeline of `projectId` (app `<projectId>-web`) on `kafka`, once its workflow ended. */
function pipelineOn(stack: Stack, projectId: string, kafka: Record<string, unknown>): Promise<PipelineView> {
  return createPipeline(stack, lambdaPipeline(projectId, kafka, { batchSize: 100 }));
}

/** An MSK pipeline whose workflow is expected to fail: FAILED, with a failureReason matching `reason`. */
async function expectFailed(stack: Stack, projectId: string, kafka: Record<string, unknown>, reason: RegExp) {
  const pipeline = await pipelineOn(stack, projectId, { type: 'msk', ...kafka });
  expect(pipeline.status).toBe('FAILED');
  expect(pipeline.failureReason).toMatch(reason);
}

/** POST /collect through the stack's ingest: `count` events with ids `<prefix>-<i>`. */
async function collect(stack: Stack, appId: string, prefix: string, count = EVENTS): Promise<string[]> {
  const events = Array.from({ length: count }, (_, i) => ({
    event_id: `${prefix}-${i}`,
    event_type: 'click',
    timestamp: Date.now(),
    app_id: appId,
  }));
  const res = await fetch(`${stack.api}/collect?appId=${appId}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(events),
  });
  expect(res.status).toBe(200);
  return events.map((e) => e.event_id);
}

/**
 * Writes enriched events (what the ingest writes: the sink partitions by app_id and ingest_time)
 * to `topic` with the ingest's producer, configured as the ingest is (environment names).
 */
async function produceAsIngest(env: ConfigSource, topic: string, appId: string, prefix: string): Promise<string[]> {
  const producer = createEventProducer(parseClusterConfig(env), {
    autocreateTopics: false,
    timeoutMs: 20_000,
  });
  try {
    const ids = Array.from({ length: 10 }, (_, i) => `${prefix}-${i}`);
    await producer.send(
      topic,
      ids.map((id) => ({
        key: `${appId}:d`,
        value: JSON.stringify({
          event_id: id,
          event_type: 'click',
          timestamp: Date.now(),
          app_id: appId,
          ingest_time: Date.now(),
        }),
        headers: { app_id: appId },
      })),
    );
    return ids;
  } finally {
    await producer.close();
  }
}

/**
 * The round trip of one auth: the pipeline of `projectId` ACTIVE with its topic created; events
 * sent through the stack's ingest and through the ingest's producer configured with each of
 * `producers` (id prefix → environment) reach S3; DELETE drains and deletes.
 */
async function expectRoundTrip(
  stack: Stack,
  projectId: string,
  kafka: Record<string, unknown>,
  producers: Record<string, ConfigSource>,
): Promise<void> {
  const pipeline = await pipelineOn(stack, projectId, { type: 'msk', ...kafka });
  expect(pipeline).toMatchObject({ status: 'ACTIVE', resources: { topic: projectId, topicCreated: true } });
  const appId = `${projectId}-web`;
  const ids = await collect(stack, appId, `${projectId}-collect`);
  for (const [prefix, env] of Object.entries(producers))
    ids.push(...(await produceAsIngest(env, projectId, appId, prefix)));
  await waitForInS3(stack, ids);
  expect((await deletePipeline(stack, pipeline.id)).status).toBe('DELETED');
}

async function waitForInS3(stack: Stack, ids: readonly string[]): Promise<void> {
  const wanted = new Set(ids);
  let missing: string[] = [];
  try {
    await waitFor(
      async () => {
        const found = new Set(
          (await readLocalObjects(stack.s3Dir, stack.bucket))
            .map((o) => o.event.event_id)
            .filter((id) => wanted.has(id)),
        );
        missing = [...wanted].filter((id) => !found.has(id));
        return missing.length === 0 ? true : undefined;
      },
      30_000,
      `${wanted.size} events in S3`,
    );
  } catch (error) {
    const mappings = stack.localAws.eventSourceMappings.list().map((m) => ({
      uuid: m.UUID,
      state: m.State,
      result: m.LastProcessingResult,
      poller: stack.localAws.eventSourceMappings.stats(String(m.UUID)),
    }));
    throw new Error(
      `${String(error)}; missing ${missing.length}: ${missing.slice(0, 5).join(', ')}...; mappings ${JSON.stringify(mappings)}`,
    );
  }
}

describe('end to end over TLS, SASL/SCRAM and IAM listeners', () => {
  let started: TestStack;
  let stack: Stack;
  let iamClockOffsetMs = 0;
  let tlsOnlyClusterArn: string;

  beforeAll(async () => {
    started = await startTestStack('e2e-secure-kafka-', {
      demo: false,
      kafkaIamClock: () => Date.now() + iamClockOffsetMs,
    });
    stack = started.stack;
    // The dev brokers described as a cluster with TLS-only client traffic and neither SCRAM nor
    // IAM: Lambda's pollers then consume over the TLS listener.
    const res = await fetch(`${stack.aws}/_local/msk/clusters`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'clickstream-local-tls',
        clientBroker: 'TLS',
        clientAuthentication: { unauthenticated: true, scram: false, iam: false },
      }),
    });
    expect(res.status).toBe(201);
    tlsOnlyClusterArn = ((await res.json()) as { clusterInfo: { clusterArn: string } }).clusterInfo.clusterArn;
  }, 90_000);

  afterAll(async () => {
    await started?.close();
  });

  it('auth tls (CA as PEM): ACTIVE on a TLS-only cluster; ingest over TLS with PEM, JKS and PKCS#12 trust; the mapping consumes over TLS; DELETE drains and deletes', async () => {
    const tls = stack.kafka.tls!;
    const base = { KAFKA_BROKERS: stack.kafka.listeners.tls!, KAFKA_SECURITY_PROTOCOL: 'SSL' };
    const truststore = (location: string, type: string) => ({
      ...base,
      KAFKA_TRUSTSTORE_LOCATION: location,
      KAFKA_TRUSTSTORE_PASSWORD: tls.truststorePassword,
      KAFKA_TRUSTSTORE_TYPE: type,
    });
    await expectRoundTrip(
      stack,
      'sec-tls',
      { clusterArn: tlsOnlyClusterArn, auth: 'tls', caPem: tls.caPem },
      {
        'tls-pem': { ...base, KAFKA_CA_LOCATION: tls.caLocation },
        'tls-jks': truststore(tls.jksLocation, 'JKS'),
        'tls-p12': truststore(tls.pkcs12Location, 'PKCS12'),
      },
    );
  }, 120_000);

  it("the workflow's admin client works over TLS with JKS and PKCS#12 truststores", async () => {
    const tls = stack.kafka.tls!;
    const open = kafkaAdminFactory({ timeoutMs: 15_000, retries: 0 });
    for (const [type, location] of [
      ['JKS', tls.jksLocation],
      ['PKCS12', tls.pkcs12Location],
    ] as const) {
      const admin = await open({
        brokers: stack.kafka.listeners.tls!.split(','),
        auth: 'tls',
        truststore: { location, password: tls.truststorePassword, type },
      });
      try {
        const topic = `admin-${type.toLowerCase()}`;
        await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
        expect(await admin.listTopics()).toContain(topic);
        await admin.deleteTopics({ topics: [topic] });
        expect(await admin.listTopics()).not.toContain(topic);
      } finally {
        await admin.close();
      }
    }
  }, 60_000);

  it('auth scram: ACTIVE with the AmazonMSK_ secret; ingest and the mapping use SCRAM; DELETE drains and deletes', async () => {
    await expectRoundTrip(
      stack,
      'sec-scram',
      {
        clusterArn: stack.clusterArn,
        auth: 'scram',
        scramSecretArn: stack.kafka.scramSecret.arn,
        caPem: stack.kafka.tls!.caPem,
      },
      {
        'scram-ingest': {
          KAFKA_BROKERS: stack.kafka.listeners.scram,
          KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
          KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
          KAFKA_SCRAM_SECRET_ARN: stack.kafka.scramSecret.arn,
          KAFKA_CA_LOCATION: stack.kafka.tls!.caLocation,
        },
      },
    );
  }, 120_000);

  it('auth iam: ACTIVE; ingest and the mapping authenticate with MSK IAM tokens; DELETE drains and deletes', async () => {
    await expectRoundTrip(
      stack,
      'sec-iam',
      { clusterArn: stack.clusterArn, auth: 'iam', caPem: stack.kafka.tls!.caPem },
      {
        'iam-ingest': {
          KAFKA_BROKERS: stack.kafka.listeners.iam,
          KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
          KAFKA_SASL_MECHANISM: 'AWS_MSK_IAM',
          AWS_REGION: 'us-east-1',
          KAFKA_CA_LOCATION: stack.kafka.tls!.caLocation,
        },
      },
    );
  }, 120_000);

  it('self-hosted cluster with auth scram: ValidateCluster reads the brokers over SASL/SCRAM, the topic is created and deleted over it', async () => {
    const pipeline = await pipelineOn(stack, 'sec-self', {
      type: 'self-hosted',
      brokers: stack.kafka.listeners.scram,
      securityGroupId: 'sg-00000000000000001',
      auth: 'scram',
      scramSecretArn: stack.kafka.scramSecret.arn,
      caPem: stack.kafka.tls!.caPem,
    });
    expect(pipeline).toMatchObject({
      status: 'ACTIVE',
      resources: { topic: 'sec-self', topicCreated: true },
    });
    // ValidateCluster connects to the listed (SCRAM) brokers and quotes what Metadata told it; an
    // unreachable or refused cluster would have ended FAILED.
    expect(JSON.stringify(pipeline)).toMatch(/self-hosted cluster with 3 brokers, auth scram/);
    expect((await deletePipeline(stack, pipeline.id)).status).toBe('DELETED');
  }, 120_000);

  it('a wrong CA fails the pipeline with a TLS failureReason', async () => {
    await expectFailed(
      stack,
      'sec-bad-ca',
      { clusterArn: stack.clusterArn, auth: 'tls', caPem: UNTRUSTED_CA },
      /tls failure \(unable to verify the first certificate/,
    );
  }, 90_000);

  it('a wrong SCRAM password fails the pipeline with a failureReason naming invalid credentials', async () => {
    const secrets = new SecretsManagerClient({ endpoint: stack.aws, region: 'us-east-1' });
    const { ARN } = await secrets.send(
      new CreateSecretCommand({
        Name: 'AmazonMSK_wrong-password',
        SecretString: JSON.stringify({ username: 'clickstream', password: 'not-the-password' }),
      }),
    );
    secrets.destroy();
    await expectFailed(
      stack,
      'sec-bad-password',
      { clusterArn: stack.clusterArn, auth: 'scram', scramSecretArn: ARN, caPem: stack.kafka.tls!.caPem },
      /invalid credentials with SASL mechanism SCRAM-SHA-512/,
    );
  }, 90_000);

  it('an expired IAM token fails the pipeline with a failureReason saying it expired', async () => {
    iamClockOffsetMs = 20 * 60_000; // the brokers' clock is past every token's 15 minutes
    try {
      await expectFailed(
        stack,
        'sec-expired',
        { clusterArn: stack.clusterArn, auth: 'iam', caPem: stack.kafka.tls!.caPem },
        /MSK IAM token expired at/,
      );
    } finally {
      iamClockOffsetMs = 0;
    }
  }, 90_000);

  it('kcat lists the brokers over TLS with the CA and over SCRAM with the secret read by the AWS CLI; a wrong password is refused', async () => {
    if (!hasKcat) {
      console.warn('kcat not installed: the kcat checks did not run (apt-get install -y kcat)');
      expect(process.env.KCAT_REQUIRED).not.toBe('1');
      return;
    }
    const tls = stack.kafka.tls!;
    const kcat = (args: string[]) => run('kcat', args, { timeout: 30_000 });
    const ports = (text: string) =>
      [...text.matchAll(/broker \d+ at 127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1])).sort();
    const listed = (bootstrap: string) =>
      bootstrap
        .split(',')
        .map((b) => Number(b.split(':')[1]))
        .sort();

    const overTls = await kcat(['-b', stack.kafka.listeners.tls!.split(',')[0]!, ...kcatTls(tls.caLocation), '-L']);
    expect(ports(overTls.stdout)).toEqual(listed(stack.kafka.listeners.tls!));

    const secret = await awsCliSecretString(stack.aws, stack.kafka.scramSecret.name);
    const { username, password } = JSON.parse(secret) as { username: string; password: string };
    const scram = (pw: string) => [
      '-b',
      stack.kafka.listeners.scram!,
      ...kcatScram(tls.caLocation, username, pw),
      '-L',
      '-m',
      '5',
    ];
    expect(ports((await kcat(scram(password))).stdout)).toEqual(listed(stack.kafka.listeners.scram!));
    await expect(kcat(scram(`${password}-wrong`))).rejects.toMatchObject({
      stderr: expect.stringMatching(/invalid credentials with SASL mechanism SCRAM-SHA-512/),
    });
  }, 90_000);
});
