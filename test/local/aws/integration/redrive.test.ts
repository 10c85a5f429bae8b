/**
 * Redrive through the unchanged AWS SDK against the local endpoint (S3 + the project's Firehose
 * stream definition): on-failure batches and now-deliverable dead letters reach the pipeline's
 * S3 prefix exactly once; still-undeliverable dead letters are kept; a dry run changes nothing.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { MemoryPipelineStore } from '../../../helpers/memory-store.ts';
import { createRedriveRoute } from '../../../../functions/sink/redrive-handler.ts';
import { redrivePipeline, type RedriveDeps } from '../../../../functions/sink/redrive.ts';
import { pipelineFixture } from '../../../workflow/harness.ts';
import { useLocalAws } from '../../helpers/local-aws.ts';
import { streamFromResource } from '../../../helpers/firehose-stream.ts';
import { MemoryLog } from '../../../helpers/silent-log.ts';
import { readObjects } from '../unit/helpers.ts';

const BUCKET = 'clickstream-local';
const STREAM = 'redrive-events';
const UUID = '6f1c1b9e-2a0c-4a53-9a59-000000000001';
const T = Date.UTC(2026, 11, 4, 10);

const event = (id: string) => ({
  event_id: id,
  event_type: 'click',
  timestamp: T,
  app_id: 'shop-web',
  ingest_time: T,
  client_ip: '10.0.0.1',
});
const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');

function kafkaRecord(offset: number, value: string) {
  return {
    topic: 'shop',
    partition: 0,
    offset,
    timestamp: T,
    timestampType: 'CREATE_TIME',
    key: b64('shop-web:u1'),
    value,
    headers: [],
  };
}

function deadLetterLine(offset: number, value: string, reason: string) {
  return JSON.stringify({
    topic: 'shop',
    partition: 1,
    offset,
    timestamp: T,
    timestampType: 'CREATE_TIME',
    reason,
    detail: 'was undeliverable',
    key: null,
    value,
    headers: [{ name: 'app_id', value: 'shop-web' }],
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/dev/x',
    failedAt: new Date(T).toISOString(),
  });
}

describe('redrive (functions/sink/redrive.ts) against the local endpoint', () => {
  const local = useLocalAws();
  let s3: S3Client;
  let deps: RedriveDeps;

  beforeAll(async () => {
    // the SDK's default retries for S3, as redrive is deployed
    s3 = local.client(S3Client, { forcePathStyle: true, maxAttempts: 3 });
    const firehose = local.client(FirehoseClient);
    await firehose.send(streamFromResource(STREAM, BUCKET));
    deps = {
      bucket: BUCKET,
      s3,
      firehose,
      streamName: STREAM,
      deadLetterBucket: BUCKET,
      deadLetterPrefix: 'errors/sink/',
      sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      random: Math.random,
      now: Date.now,
      log: new MemoryLog(),
      safetyMarginMs: 0,
      retryBaseDelayMs: 10,
      retryMaxDelayMs: 100,
      requestTimeoutMs: 5_000,
    };
    // What Lambda writes to an on-failure destination: the invocation record with the Kafka event.
    const payload = {
      eventSource: 'aws:kafka',
      eventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/dev/x',
      records: { 'shop-0': [0, 1, 2].map((o) => kafkaRecord(o, b64(event(`of-${o}`)))) },
    };
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: `aws/lambda/${UUID}/shop-0/2026/12/04/2026-12-04T10.00.00-a`,
        Body: JSON.stringify({
          requestContext: { condition: 'RetryAttemptsExhausted' },
          KafkaBatchInfo: { topic: 'shop', partition: 0, firstOffset: 0, lastOffset: 2 },
          payload,
        }),
      }),
    );
    // Dead letters: one object deliverable now, one still not JSON.
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'errors/sink/topic=shop/partition=1/year=2026/month=12/day=04/shop-1-5-6.jsonl',
        Body: `${deadLetterLine(5, b64(event('dl-5')), 'RECORD_TOO_LARGE')}\n${deadLetterLine(6, b64(event('dl-6')), 'RECORD_TOO_LARGE')}\n`,
      }),
    );
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'errors/sink/topic=shop/partition=1/year=2026/month=12/day=04/shop-1-9-9.jsonl',
        Body: `${deadLetterLine(9, b64('not json {'), 'VALUE_NOT_JSON')}\n`,
      }),
    );
    // Another pipeline's dead letters are not touched.
    await s3.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: 'errors/sink/topic=other/partition=0/year=2026/month=12/day=04/other-0-1-1.jsonl',
        Body: `${deadLetterLine(1, b64(event('x')), 'RECORD_TOO_LARGE')}\n`,
      }),
    );
  });

  /** Redrives pipeline p-1 (topic shop, the on-failure batches of mapping UUID). */
  const redriveShop = (dryRun: boolean) =>
    redrivePipeline({ pipelineId: 'p-1', topic: 'shop', mappingUuid: UUID }, { dryRun }, deps);
  const keys = async (prefix: string) =>
    ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map((o) => o.Key!);
  const delivered = () => {
    local.aws.firehose.flush();
    const ids: string[] = [];
    for (const [key, text] of readObjects(local.aws.s3Dir, BUCKET)) {
      if (key.startsWith('events/'))
        for (const line of text.split('\n').filter(Boolean)) ids.push(JSON.parse(line).event_id);
    }
    return ids.sort();
  };

  it('dry run: lists what it would replay and what it keeps, and changes nothing', async () => {
    const report = await redriveShop(true);
    expect(report.objects.map((o) => [o.kind, o.records, o.status])).toEqual([
      ['on-failure', 3, 'would replay'],
      ['dead-letter', 2, 'would replay'],
      ['dead-letter', 1, 'kept'],
    ]);
    expect(report.objects[2]!.reason).toMatch(/1 of 1 record\(s\) still undeliverable \(VALUE_NOT_JSON\)/);
    expect(delivered()).toEqual([]);
    expect(await keys('redriven/')).toEqual([]);
  });

  it('replays on-failure batches and deliverable dead letters into the pipeline prefix exactly once', async () => {
    const first = await redriveShop(false);
    expect(first).toMatchObject({ replayedRecords: 5, keptRecords: 1 });
    expect(delivered()).toEqual(['dl-5', 'dl-6', 'of-0', 'of-1', 'of-2']);
    for (const [key, text] of readObjects(local.aws.s3Dir, BUCKET)) {
      if (!key.startsWith('events/')) continue;
      expect(key.startsWith('events/app_id=shop-web/year=2026/month=12/day=04/hour=10/')).toBe(true);
      expect(text).toContain('"app_id":"shop-web"');
    }
    expect((await keys('redriven/')).length).toBe(2);
    expect(await keys(`aws/lambda/${UUID}/`)).toEqual([]);
    expect(await keys('errors/sink/topic=shop/')).toEqual([
      'errors/sink/topic=shop/partition=1/year=2026/month=12/day=04/shop-1-9-9.jsonl',
    ]);
    expect(await keys('errors/sink/topic=other/')).toHaveLength(1);

    // A second run finds nothing more to replay: nothing is delivered twice.
    const second = await redriveShop(false);
    expect(second).toMatchObject({ replayedRecords: 0, keptRecords: 1 });
    expect(delivered()).toEqual(['dl-5', 'dl-6', 'of-0', 'of-1', 'of-2']);
  });

  it('POST /pipelines/{id}/redrive: 200 with the report, 404 unknown, 409 connector mode, 400 bad body', async () => {
    const store = new MemoryPipelineStore();
    const lambdaMode = (await store.create(pipelineFixture({ kafka: { ...pipelineFixture().kafka, topic: 'shop' } })))
      .pipeline;
    const connector = pipelineFixture();
    const connectorMode = (
      await store.create({
        ...connector,
        id: 'p-conn',
        projectId: 'other',
        appIds: ['other-app'],
        sink: { ...connector.sink, mode: 'connector' },
      })
    ).pipeline;
    const route = createRedriveRoute(() => ({ store, redrive: deps }), new MemoryLog());
    const call = async (id: string, body?: string) => {
      const res = await route({
        pathParameters: { id },
        body,
        requestContext: { requestId: 'r' },
      } as unknown as APIGatewayProxyEventV2);
      return { status: res.statusCode, body: JSON.parse(res.body ?? '{}') };
    };
    expect(lambdaMode.sink.mode).toBe('lambda');
    const dry = await call(lambdaMode.id, '{"dryRun":true}');
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({
      pipelineId: lambdaMode.id,
      dryRun: true,
      keptRecords: 1,
      remainingObjects: 0,
    });
    expect(await call('no-such-pipeline')).toMatchObject({
      status: 404,
      body: { message: expect.stringMatching(/does not exist/) },
    });
    expect(await call(connectorMode.id)).toMatchObject({
      status: 409,
      body: { message: expect.stringMatching(/lambda-mode sinks only/) },
    });
    expect(await call(lambdaMode.id, '{"dryRun":"yes"}')).toMatchObject({
      status: 400,
      body: { message: 'dryRun must be true or false' },
    });
    expect(await call(lambdaMode.id, '[1]')).toMatchObject({ status: 400 });
  });
});
