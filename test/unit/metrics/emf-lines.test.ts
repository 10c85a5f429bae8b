import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { createIngestApp } from '../../../functions/ingest/app.ts';
import type { CollectDeps } from '../../../functions/ingest/collect.ts';
import { timedProducer, withIngestMetrics } from '../../../functions/ingest/ingest-metrics.ts';
import { PowertoolsMetrics, rejectionClass } from '../../../functions/lib/metrics.ts';
import { createSinkHandler } from '../../../functions/sink/handler.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { RecordingProducer, unavailableError } from '../../helpers/fake-producer.ts';
import { MemoryLog } from '../../helpers/silent-log.ts';
import { lambdaContext } from '../../helpers/lambda-context.ts';
import { emfLinesOf, metricsOf, printEmfInThisFile } from '../../helpers/emf.ts';
import { acceptAll, b64, kafkaEvent, record, setup, validRecords, INGEST_TIME } from '../sink/helpers.ts';

const NAMESPACE = 'clickstream-pipeline/test';
// These look at exactly what is printed.
printEmfInThisFile();

function ingest(producer = new RecordingProducer()) {
  const metrics = new PowertoolsMetrics({ namespace: NAMESPACE, serviceName: 'ingest' });
  let clock = 1_700_000_000_000;
  const deps: CollectDeps = {
    // The handler's composition: the producer port timed, the app wrapped.
    producer: timedProducer(producer, metrics, () => (clock += 7)),
    routeFor: async (appId) => (appId === 'demo-app' ? { topic: 'demo' } : undefined),
    isUnavailable: (err) => err instanceof Error && err.name === 'KafkaUnavailableError',
    ackTimeoutMs: 5000,
    retryAfterSeconds: 5,
    now: () => 1_700_000_000_900,
  };
  return withIngestMetrics(
    createIngestApp(() => deps, new MemoryLog()),
    metrics,
  );
}

describe('EMF metrics the functions print', () => {
  it('prints, for a POST /collect with one invalid event, the accepted count per app, the rejection by reason class and the produce latency', async () => {
    const event = fixture<APIGatewayProxyEventV2>('apigw/collect-post.json');
    event.body = JSON.stringify([
      { event_id: 'e-1', event_type: 'page_view', timestamp: 1700000000000, app_id: 'demo-app' },
      { event_id: 'e-2', event_type: 'click', timestamp: 1700000000100, app_id: 'demo-app' },
      { event_id: 'e-3', timestamp: 1700000000200, app_id: 'demo-app' },
    ]);
    const docs = await emfLinesOf(() => ingest()(event));
    for (const doc of docs) {
      expect(doc._aws.CloudWatchMetrics[0]!.Namespace).toBe(NAMESPACE);
      expect(doc.service).toBe('ingest');
    }
    expect(metricsOf(docs)).toEqual(
      expect.arrayContaining([
        {
          name: 'EventsAccepted',
          value: 2,
          unit: 'Count',
          dimensions: { service: 'ingest', app: 'demo-app' },
        },
        {
          name: 'EventsRejected',
          value: 1,
          unit: 'Count',
          dimensions: { service: 'ingest', reason: 'invalid_event_type' },
        },
        { name: 'ProduceLatency', value: 7, unit: 'Milliseconds', dimensions: { service: 'ingest' } },
      ]),
    );
    expect(metricsOf(docs)).toHaveLength(3);
  });

  it('prints a 503 and the refused request, without the caller-chosen appId as a dimension, when Kafka does not acknowledge', async () => {
    const producer = new RecordingProducer();
    producer.failWith = unavailableError();
    const event = fixture<APIGatewayProxyEventV2>('apigw/collect-post.json');
    const docs = await emfLinesOf(async () => expect((await ingest(producer)(event)).statusCode).toBe(503));
    const metrics = metricsOf(docs);
    expect(metrics).toEqual(
      expect.arrayContaining([
        { name: 'KafkaUnavailable', value: 1, unit: 'Count', dimensions: { service: 'ingest' } },
        {
          name: 'RequestsRejected',
          value: 1,
          unit: 'Count',
          dimensions: { service: 'ingest', status: '503' },
        },
      ]),
    );
    expect(metrics.find((m) => m.name === 'EventsAccepted')).toBeUndefined();
    expect(JSON.stringify(docs)).not.toContain('"app"');
  });

  it('prints nothing for GET /ping', async () => {
    expect(await emfLinesOf(() => ingest()(fixture<APIGatewayProxyEventV2>('apigw/ping.json')))).toEqual([]);
  });

  it('prints, for a sink batch, the records delivered and dead-lettered, the Firehose retries and the batch age per topic', async () => {
    const { deps, firehoseMock } = setup();
    let calls = 0;
    // The first call fails as a whole (throttled), the second accepts everything.
    firehoseMock.on(PutRecordBatchCommand).callsFake((input) => {
      calls += 1;
      if (calls === 1)
        throw Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
          $fault: 'client',
          $retryable: { throttling: true },
        });
      return acceptAll(input);
    });
    const event = kafkaEvent({
      'demo-0': [...validRecords('demo', 0, 3), record('demo', 0, 3, b64('not json'))],
    });
    const sink = createSinkHandler(() => deps, new PowertoolsMetrics({ namespace: NAMESPACE, serviceName: 'sink' }));
    const docs = await emfLinesOf(() => sink(event, { getRemainingTimeInMillis: () => 60_000 }));
    expect(docs).toHaveLength(1);
    expect(metricsOf(docs)).toEqual([
      { name: 'RecordsDelivered', value: 3, unit: 'Count', dimensions: { service: 'sink', topic: 'demo' } },
      {
        name: 'RecordsDeadLettered',
        value: 1,
        unit: 'Count',
        dimensions: { service: 'sink', topic: 'demo' },
      },
      { name: 'FirehoseRetries', value: 1, unit: 'Count', dimensions: { service: 'sink', topic: 'demo' } },
      { name: 'PartitionsReported', value: 0, unit: 'Count', dimensions: { service: 'sink', topic: 'demo' } },
      // now() is INGEST_TIME + 60 s; the oldest record (offset 0) has timestamp INGEST_TIME.
      {
        name: 'BatchAge',
        value: 60_000,
        unit: 'Milliseconds',
        dimensions: { service: 'sink', topic: 'demo' },
      },
    ]);
    expect(deps.now() - INGEST_TIME).toBe(60_000);
  });
});

describe('EMF metrics of the workflow tasks', () => {
  it('prints the task duration, and a failure with the task name, when a task fails', async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    const { taskHandler } = await import('../../../functions/pipelines/tasks/lambda.ts');
    const context = lambdaContext('f', 30_000);
    const metrics = new PowertoolsMetrics({ namespace: NAMESPACE, serviceName: 'pipelines-workflow' });
    const failing = taskHandler(
      'CreateTopic',
      async () => {
        throw Object.assign(new Error('no'), { name: 'TransientError' });
      },
      metrics,
    );
    const failed = metricsOf(await emfLinesOf(() => failing({ pipelineId: 'p-1' }, context).catch(() => undefined)));
    expect(failed.map((m) => [m.name, m.dimensions])).toEqual([
      ['TaskFailed', { service: 'pipelines-workflow', task: 'CreateTopic' }],
      ['TaskDuration', { service: 'pipelines-workflow', task: 'CreateTopic' }],
    ]);
    const ok = taskHandler('MarkActive', async () => ({ status: 'ACTIVE' }), metrics);
    const succeeded = metricsOf(await emfLinesOf(() => ok({ pipelineId: 'p-1' }, context)));
    expect(succeeded.map((m) => [m.name, m.unit, m.dimensions.task])).toEqual([
      ['TaskDuration', 'Milliseconds', 'MarkActive'],
    ]);
  });
});

describe('rejectionClass', () => {
  it('maps each rejection reason of the ingest to a bounded class', () => {
    expect(rejectionClass('event must be a JSON object')).toBe('not_object');
    expect(rejectionClass('timestamp: required, must be a millisecond epoch number')).toBe('invalid_timestamp');
    expect(rejectionClass("app_id: 'x' does not match the appId query parameter 'y'")).toBe('app_mismatch');
    expect(rejectionClass('event is larger than 1048576 bytes once enriched')).toBe('too_large');
    expect(rejectionClass('something new')).toBe('other');
  });
});
