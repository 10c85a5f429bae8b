/**
 * CI-only check (run by .ci/run): the sink's Firehose and S3 calls against an independent
 * implementation of those APIs, moto_server, instead of our own local endpoint. Starts
 * moto_server on a free port, creates a bucket and a DirectPut stream, invokes the real sink
 * handler with an MSK-shaped event (valid records plus one that is not JSON), and reads the
 * objects back from moto's S3: every valid record exactly once, the bad one as a dead letter.
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { CreateDeliveryStreamCommand, FirehoseClient } from '@aws-sdk/client-firehose';

const RECORDS = 1200;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

const port = await freePort();
const moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], {
  stdio: ['ignore', 'ignore', 'pipe'],
});
let motoLog = '';
moto.stderr.on('data', (d: Buffer) => (motoLog += d.toString()));
const endpoint = `http://127.0.0.1:${port}`;

try {
  for (let i = 0; ; i++) {
    try {
      await fetch(endpoint);
      break;
    } catch {
      if (i > 100) throw new Error(`moto_server did not start: ${motoLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    FIREHOSE_STREAM_NAME: 'moto-events',
    DLQ_BUCKET: 'moto-data',
    POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  const s3 = new S3Client({ forcePathStyle: true });
  const firehose = new FirehoseClient({});
  await s3.send(new CreateBucketCommand({ Bucket: 'moto-data' }));
  await firehose.send(
    new CreateDeliveryStreamCommand({
      DeliveryStreamName: 'moto-events',
      DeliveryStreamType: 'DirectPut',
      ExtendedS3DestinationConfiguration: {
        BucketARN: 'arn:aws:s3:::moto-data',
        RoleARN: 'arn:aws:iam::123456789012:role/firehose',
        Prefix: 'events/',
        ErrorOutputPrefix: 'errors/firehose/',
        CompressionFormat: 'UNCOMPRESSED',
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
      },
    }),
  );

  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const records = Array.from({ length: RECORDS }, (_, i) => ({
    topic: 'moto',
    partition: i % 3,
    offset: Math.floor(i / 3),
    timestamp: Date.now(),
    timestampType: 'CREATE_TIME',
    key: b64(`k${i}`),
    value: b64(
      JSON.stringify({
        event_id: `m-${i}`,
        event_type: 'click',
        app_id: 'a',
        timestamp: Date.now(),
        ingest_time: Date.now(),
        pad: 'x'.repeat(200),
      }),
    ),
    headers: [],
  }));
  records.push({ ...records[0]!, partition: 0, offset: RECORDS, value: b64('this is not json') });
  const event = {
    eventSource: 'aws:kafka',
    eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/moto/abc',
    bootstrapServers: 'b-1:9092',
    records: Object.groupBy(records, (r) => `${r.topic}-${r.partition}`),
  };
  const { handler } = await import('../../functions/sink/handler.ts');
  const context = { functionName: 'sink', awsRequestId: 'moto', getRemainingTimeInMillis: () => 60_000 };
  const result = await (handler as (e: unknown, c: unknown) => Promise<{ batchItemFailures: unknown[] }>)(
    event,
    context,
  );
  if (result.batchItemFailures.length > 0) throw new Error(`sink reported failures: ${JSON.stringify(result)}`);

  const listed = await s3.send(new ListObjectsV2Command({ Bucket: 'moto-data' }));
  const seen = new Map<string, number>();
  let deadLetters = 0;
  for (const obj of listed.Contents ?? []) {
    const got = await s3.send(new GetObjectCommand({ Bucket: 'moto-data', Key: obj.Key! }));
    let body = Buffer.from(await got.Body!.transformToByteArray());
    if (body[0] === 0x1f && body[1] === 0x8b) body = gunzipSync(body);
    if (obj.Key!.startsWith('errors/sink/')) {
      deadLetters += 1;
      if (!body.toString().includes(b64('this is not json')))
        throw new Error(`dead letter ${obj.Key} lacks the raw value`);
      continue;
    }
    for (const line of body.toString().split('\n').filter(Boolean)) {
      const id = (JSON.parse(line) as { event_id: string }).event_id;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
  }
  const missing = records.slice(0, RECORDS).filter((_, i) => seen.get(`m-${i}`) !== 1);
  if (missing.length > 0 || seen.size !== RECORDS)
    throw new Error(`moto S3 has ${seen.size}/${RECORDS} distinct events; ${missing.length} missing or duplicated`);
  if (deadLetters !== 1) throw new Error(`expected 1 dead letter, found ${deadLetters}`);
  console.log(
    `sink against moto_server: ${RECORDS} records delivered exactly once through Firehose to S3 (${listed.KeyCount} objects), 1 dead letter`,
  );
} finally {
  moto.kill('SIGTERM');
}
