import { PutRecordBatchCommand } from '@aws-sdk/client-firehose';
import { createSinkHandler } from '../../../functions/sink/handler.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { lambdaContext } from '../../helpers/lambda-context.ts';
import { acceptAll, rejectWhere, setup } from './helpers.ts';

describe('sink handler', () => {
  it('answers an MSK event with an empty partial batch response when everything is delivered', async () => {
    const { deps, firehoseMock, log } = setup();
    firehoseMock.on(PutRecordBatchCommand).callsFake(acceptAll);
    const sink = createSinkHandler(() => deps);
    const response = await sink(fixture('msk/msk-event.json'), { getRemainingTimeInMillis: () => 60_000 });
    expect(response).toEqual({ batchItemFailures: [] });
    expect(log.entries.find((e) => e.message === 'batch processed')?.extra).toMatchObject({
      records: 3,
      delivered: 3,
    });
  });

  it('uses the Lambda context for the time budget and reports the first undelivered record in the partial batch shape', async () => {
    const { deps, firehoseMock } = setup();
    firehoseMock.on(PutRecordBatchCommand).callsFake(rejectWhere(() => true));
    const sink = createSinkHandler(() => deps);
    let remaining = 3_000;
    const response = await sink(fixture('msk/self-managed-kafka-event.json'), {
      getRemainingTimeInMillis: () => (remaining -= 500),
    });
    expect(response).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'demo-2', offset: 40 } }],
    });
    expect(JSON.parse(JSON.stringify(response))).toEqual({
      batchItemFailures: [{ itemIdentifier: { partition: 'demo-2', offset: 40 } }],
    });
  });

  it('fails the invocation naming the missing variable when the deployment is misconfigured', async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    const saved = { stream: process.env.FIREHOSE_STREAM_NAME, bucket: process.env.DLQ_BUCKET };
    delete process.env.FIREHOSE_STREAM_NAME;
    process.env.DLQ_BUCKET = 'data-bucket';
    try {
      const { handler } = await import('../../../functions/sink/handler.ts');
      const context = lambdaContext('sink');
      await expect(handler(fixture('msk/msk-event.json'), context)).rejects.toThrow(
        'FIREHOSE_STREAM_NAME is required but not set',
      );
    } finally {
      if (saved.stream === undefined) delete process.env.FIREHOSE_STREAM_NAME;
      else process.env.FIREHOSE_STREAM_NAME = saved.stream;
      if (saved.bucket === undefined) delete process.env.DLQ_BUCKET;
      else process.env.DLQ_BUCKET = saved.bucket;
    }
  });
});
