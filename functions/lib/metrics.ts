import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

/**
 * Every custom metric the functions emit, in one place: the dashboard and alarms
 * (resources/dashboard.yml, resources/alarms.yml) use these names and the template tests check
 * that they do. All are CloudWatch embedded metric format (EMF) lines on stdout: no API call.
 */
export const MetricName = {
  /** Ingest: events Kafka acknowledged (dimension app, only for apps with an ACTIVE pipeline). */
  EventsAccepted: 'EventsAccepted',
  /** Ingest: events refused inside an accepted request (dimension reason, a bounded class). */
  EventsRejected: 'EventsRejected',
  /** Ingest: requests refused as a whole (dimension status: 400, 403, 413, 415...). */
  RequestsRejected: 'RequestsRejected',
  /** Ingest: requests answered 503 because Kafka did not acknowledge in time. */
  KafkaUnavailable: 'KafkaUnavailable',
  /** Ingest: time from send to Kafka's acknowledgement (acks=all), per request. */
  ProduceLatency: 'ProduceLatency',
  /** Sink: records Firehose accepted (dimension pipeline = the topic). */
  RecordsDelivered: 'RecordsDelivered',
  /** Sink: records written to the S3 dead-letter prefix (dimension pipeline). */
  RecordsDeadLettered: 'RecordsDeadLettered',
  /** Sink: Firehose records resent after a per-record failure, plus whole calls retried. */
  FirehoseRetries: 'FirehoseRetries',
  /** Sink: partitions handed back to Lambda in the partial batch response (to be retried). */
  PartitionsReported: 'PartitionsReported',
  /** Sink: age of the oldest record of a batch when the batch is processed (ms). */
  BatchAge: 'BatchAge',
  /** Workflow: duration of a task invocation (dimension task). */
  TaskDuration: 'TaskDuration',
  /** Workflow: task invocations that failed (dimension task); retried ones included. */
  TaskFailed: 'TaskFailed',
} as const;

export type MetricNameValue = (typeof MetricName)[keyof typeof MetricName];

export type Dimensions = Record<string, string>;

/**
 * The metrics port the handlers and cores take, so cores stay testable without Powertools.
 * Dimension values must come from a bounded set (app ids of registered pipelines, topics, task
 * names, reason classes), never from raw request input.
 */
export interface MetricsPort {
  count(name: MetricNameValue, value: number, dimensions?: Dimensions): void;
  milliseconds(name: MetricNameValue, value: number, dimensions?: Dimensions): void;
  /** Writes what was recorded since the last flush (one EMF line per dimension set). */
  flush(): void;
}

/** A port that records nothing (tests of cores that do not look at metrics). */
export const noMetrics: MetricsPort = {
  count: () => undefined,
  milliseconds: () => undefined,
  flush: () => undefined,
};

interface Series {
  unit: Unit;
  /** One value for a count (summed as it is recorded), every recorded value for a latency. */
  values: number[];
}

/**
 * Values of one metric per EMF document. EMF takes up to 100; Powertools publishes by itself when
 * a metric reaches 100 and then drops the document's dimensions for what follows, so a document
 * is kept below that.
 */
const VALUES_PER_DOCUMENT = 99;

/**
 * Powertools Metrics behind the port. Metrics are grouped by their dimension set and each group
 * is published as EMF documents (Powertools applies one dimension set to all the metrics of a
 * document). Counts are summed until the flush (one value however many requests it covers: the
 * Sum statistic the alarms and dashboard use is unchanged); latencies keep every value, in
 * documents of at most 99 values each. The namespace comes from POWERTOOLS_METRICS_NAMESPACE,
 * the `service` dimension from POWERTOOLS_SERVICE_NAME (serverless.yml sets both).
 */
export class PowertoolsMetrics implements MetricsPort {
  private readonly groups = new Map<string, { dimensions: Dimensions; series: Map<MetricNameValue, Series> }>();

  private readonly options: { namespace?: string; serviceName?: string };

  constructor(options: { namespace?: string; serviceName?: string } = {}) {
    this.options = options;
  }

  count(name: MetricNameValue, value: number, dimensions: Dimensions = {}): void {
    const series = this.series(name, MetricUnit.Count, value, dimensions);
    if (series !== undefined) series.values[0] = (series.values[0] ?? 0) + value;
  }

  milliseconds(name: MetricNameValue, value: number, dimensions: Dimensions = {}): void {
    this.series(name, MetricUnit.Milliseconds, value, dimensions)?.values.push(value);
  }

  private series(name: MetricNameValue, unit: Unit, value: number, dimensions: Dimensions): Series | undefined {
    if (!Number.isFinite(value)) return undefined;
    const key = JSON.stringify(Object.entries(dimensions).sort(([a], [b]) => a.localeCompare(b)));
    let group = this.groups.get(key);
    if (!group) {
      group = { dimensions, series: new Map() };
      this.groups.set(key, group);
    }
    let series = group.series.get(name);
    if (!series) {
      series = { unit, values: [] };
      group.series.set(name, series);
    }
    return series;
  }

  flush(): void {
    const groups = [...this.groups.values()];
    this.groups.clear();
    for (const { dimensions, series } of groups) {
      const documents = Math.max(...[...series.values()].map((s) => Math.ceil(s.values.length / VALUES_PER_DOCUMENT)));
      for (let d = 0; d < documents; d++) {
        const metrics = new Metrics({
          ...(this.options.namespace !== undefined ? { namespace: this.options.namespace } : {}),
          ...(this.options.serviceName !== undefined ? { serviceName: this.options.serviceName } : {}),
        });
        for (const [name, value] of Object.entries(dimensions)) metrics.addDimension(name, value);
        for (const [name, { unit, values }] of series) {
          for (const value of values.slice(d * VALUES_PER_DOCUMENT, (d + 1) * VALUES_PER_DOCUMENT))
            metrics.addMetric(name, unit, value);
        }
        metrics.publishStoredMetrics();
      }
    }
  }
}

/** Bounded classes of the ingest's per-event rejection reasons (the reason texts name the field). */
export function rejectionClass(reason: string): string {
  if (/larger than/.test(reason)) return 'too_large';
  if (/does not match/.test(reason)) return 'app_mismatch';
  if (/must be a JSON object/.test(reason)) return 'not_object';
  const field = /^(event_id|event_type|timestamp|app_id):/.exec(reason)?.[1];
  return field === undefined ? 'other' : `invalid_${field}`;
}
