import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { FirehoseClient, PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { Kafka, logLevel } from 'kafkajs';
import { startCluster, type DevCluster } from '../../../local/kafka/index.ts';
import { emfLinesOf, metricsOf } from '../../helpers/emf.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { lambdaContext } from '../../helpers/lambda-context.ts';

const NAMESPACE = 'clickstream-pipeline/emf-it';
const context = lambdaContext();

/**
 * The deployed handler modules, configured only by their environment as in Lambda: the ingest
 * writes to the dev Kafka cluster, the sink to a mocked Firehose. What they print on stdout is
 * what CloudWatch Logs would turn into metrics.
 */
describe('EMF lines of the deployed handlers', () => {
  const saved = { ...process.env };
  let cluster: DevCluster;

  beforeAll(async () => {
    cluster = await startCluster({ brokers: 2, port: 0, numPartitions: 2 });
    const admin = new Kafka({
      brokers: cluster.brokers,
      logLevel: logLevel.NOTHING,
      clientId: 'emf-it',
    }).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{ topic: 'emf-it', numPartitions: 2, replicationFactor: 2 }],
      waitForLeaders: true,
    });
    await admin.disconnect();
    Object.assign(process.env, {
      POWERTOOLS_METRICS_DISABLED: 'false',
      POWERTOOLS_METRICS_NAMESPACE: NAMESPACE,
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      KAFKA_BROKERS: cluster.bootstrap,
      ALLOWED_APP_IDS: 'demo-app',
      INGEST_TOPIC: 'emf-it',
      FIREHOSE_STREAM_NAME: 'events-stream',
      DLQ_BUCKET: 'data-bucket',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'x',
      AWS_SECRET_ACCESS_KEY: 'y',
    });
    delete process.env.PIPELINES_TABLE;
    delete process.env.POWERTOOLS_DEV;
  }, 30_000);

  afterAll(async () => {
    const { shutdown } = await import('../../../functions/ingest/handler.ts');
    await shutdown();
    await cluster?.close();
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  });

  it('ingest: one request prints the events accepted for its app, the rejected one by reason and the produce latency', async () => {
    process.env.POWERTOOLS_SERVICE_NAME = 'ingest';
    const { handler } = await import('../../../functions/ingest/handler.ts');
    const event = fixture<APIGatewayProxyEventV2>('apigw/collect-post.json');
    event.body = JSON.stringify([
      { event_id: 'e-1', event_type: 'page_view', timestamp: 1700000000000, app_id: 'demo-app' },
      { event_id: 'e-2', event_type: 'click', timestamp: 1700000000100, app_id: 'other-app' },
    ]);
    let status = 0;
    const docs = await emfLinesOf(async () => {
      status = ((await handler(event, context)) as { statusCode: number }).statusCode;
    });
    expect(status).toBe(200);
    const metrics = metricsOf(docs);
    expect(metrics.map((m) => [m.name, m.value, m.dimensions])).toEqual(
      expect.arrayContaining([
        ['EventsAccepted', 1, { service: 'ingest', app: 'demo-app' }],
        ['EventsRejected', 1, { service: 'ingest', reason: 'app_mismatch' }],
      ]),
    );
    const latency = metrics.find((m) => m.name === 'ProduceLatency')!;
    expect(latency.unit).toBe('Milliseconds');
    expect(latency.value).toEqual(expect.any(Number));
    expect(latency.value as number).toBeGreaterThanOrEqual(0);
    for (const doc of docs) expect(doc._aws.CloudWatchMetrics[0]!.Namespace).toBe(NAMESPACE);
  }, 30_000);

  it('sink: one batch prints the records delivered, retried and dead-lettered and the batch age for its topic', async () => {
    process.env.POWERTOOLS_SERVICE_NAME = 'sink';
    const firehose = mockClient(FirehoseClient);
    const s3 = mockClient(S3Client);
    try {
      // Firehose refuses the first record once (a per-record failure), then accepts everything.
      let first = true;
      firehose.on(PutRecordBatchCommand).callsFake((input) => {
        const responses = (input.Records ?? []).map((_: unknown, i: number) =>
          first && i === 0
            ? { ErrorCode: 'ServiceUnavailableException', ErrorMessage: 'Slow down.' }
            : { RecordId: `r-${i}` },
        );
        first = false;
        return {
          FailedPutCount: responses.filter((r: object) => 'ErrorCode' in r).length,
          RequestResponses: responses,
        };
      });
      s3.on(PutObjectCommand).resolves({});
      const { handler } = await import('../../../functions/sink/handler.ts');
      const event = fixture<Record<string, any>>('msk/msk-event.json');
      const docs = await emfLinesOf(() => handler(event, context));
      const byName = Object.fromEntries(metricsOf(docs).map((m) => [m.name, m]));
      const records = Object.values(event.records as Record<string, unknown[]>).flat().length;
      expect(byName.RecordsDelivered).toMatchObject({
        value: records,
        dimensions: { service: 'sink', topic: 'demo' },
      });
      expect(byName.FirehoseRetries).toMatchObject({ value: 1 });
      expect(byName.RecordsDeadLettered).toMatchObject({ value: 0 });
      expect(byName.PartitionsReported).toMatchObject({ value: 0 });
      expect(byName.BatchAge!.unit).toBe('Milliseconds');
      expect(byName.BatchAge!.value as number).toBeGreaterThan(0);
    } finally {
      firehose.restore();
      s3.restore();
    }
  }, 30_000);
});
