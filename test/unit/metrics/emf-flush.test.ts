import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { HttpResponse } from '../../../functions/lib/http.ts';
import { METRICS_FLUSH_INTERVAL_MS, withIngestMetrics } from '../../../functions/ingest/ingest-metrics.ts';
import { MetricName, PowertoolsMetrics } from '../../../functions/lib/metrics.ts';
import { fixture } from '../../helpers/fixtures.ts';
import { emfLinesOf, metricsOf, printEmfInThisFile } from '../../helpers/emf.ts';

// These look at exactly what is printed.
printEmfInThisFile();

/** The ingest wrapper around an app that answers what `answer` says, on a clock the test moves. */
function ingest(answer: () => HttpResponse) {
  const clock = { now: 1_700_000_000_000 };
  const metrics = new PowertoolsMetrics({ namespace: 'test', serviceName: 'ingest' });
  const app = withIngestMetrics(
    async () => {
      metrics.milliseconds(MetricName.ProduceLatency, 5);
      return answer();
    },
    metrics,
    { now: () => clock.now },
  );
  const event = fixture<APIGatewayProxyEventV2>('apigw/collect-post.json');
  return { clock, send: () => app(event), appId: event.queryStringParameters?.appId };
}

const accepted = (n: number): HttpResponse => ({
  statusCode: 200,
  headers: {},
  body: JSON.stringify({ accepted: n, rejected: [] }),
});

describe('withIngestMetrics flushing', () => {
  it('writes the first request at once, then sums the counts until the interval has passed, keeping every latency', async () => {
    const { clock, send, appId } = ingest(() => accepted(10));
    const first = await emfLinesOf(send);
    expect(metricsOf(first).find((m) => m.name === 'EventsAccepted')?.value).toBe(10);

    const quiet = await emfLinesOf(async () => {
      for (let i = 0; i < 250; i++) {
        clock.now += 10;
        await send();
      }
    });
    expect(quiet).toEqual([]); // 2.5 s: nothing written yet

    clock.now += METRICS_FLUSH_INTERVAL_MS;
    const docs = await emfLinesOf(send);
    const metrics = metricsOf(docs);
    expect(metrics.filter((m) => m.name === 'EventsAccepted')).toEqual([
      { name: 'EventsAccepted', value: 2510, unit: 'Count', dimensions: { service: 'ingest', app: appId } },
    ]);
    // 251 latencies in documents of at most 99 values, each document with its dimensions.
    const latencies = metrics.filter((m) => m.name === 'ProduceLatency');
    expect(latencies.map((m) => (m.value as number[]).length)).toEqual([99, 99, 53]);
    for (const m of latencies) expect(m.dimensions).toEqual({ service: 'ingest' });
  });

  it('writes a refused request at once, with what accumulated before it', async () => {
    let status = 200;
    const { clock, send } = ingest(() =>
      status === 200 ? accepted(3) : { statusCode: status, headers: {}, body: '{"message":"no"}' },
    );
    await emfLinesOf(send);
    await emfLinesOf(async () => {
      clock.now += 1;
      await send();
    });
    status = 503;
    clock.now += 1;
    const metrics = metricsOf(await emfLinesOf(send));
    expect(metrics).toEqual(
      expect.arrayContaining([
        { name: 'EventsAccepted', value: 3, unit: 'Count', dimensions: { service: 'ingest', app: expect.any(String) } },
        { name: 'RequestsRejected', value: 1, unit: 'Count', dimensions: { service: 'ingest', status: '503' } },
      ]),
    );
  });
});
