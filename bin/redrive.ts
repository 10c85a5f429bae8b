/**
 * `npm run redrive -- --pipeline <id> [--dry-run]` (a command-line tool, not Lambda code): replays a lambda-mode pipeline's stranded
 * records (on-failure batches, dead letters now deliverable) through the sink's delivery core;
 * see redrive.ts. Against the local stack with `--local`; against AWS with the stack's names
 * (`--table`, `--bucket`, `--stream`; the stack outputs and docs/configuration.md give them) and
 * the usual AWS credentials and region.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { parseArgs } from 'node:util';
import { awsClientConfig } from '../functions/lib/aws.ts';
import type { Log } from '../functions/lib/logger.ts';
import { createDocumentClient, DynamoPipelineStore } from '../functions/pipelines/registry.ts';
import { DEFAULT_DEAD_LETTER_PREFIX } from '../functions/sink/config.ts';
import { redrivePipeline } from '../functions/sink/redrive.ts';

const USAGE =
  'usage: npm run redrive -- --pipeline <id> [--dry-run] [--local [--endpoint URL] | --table T --bucket B --stream S] [--dead-letter-prefix P]';
const LOCAL = {
  endpoint: 'http://127.0.0.1:4566',
  table: 'clickstream-pipeline-local-pipelines',
  bucket: 'clickstream-local',
  stream: 'clickstream-pipeline-local-events',
};

function fail(message: string): never {
  console.error(`redrive: ${message}\n${USAGE}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      pipeline: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      local: { type: 'boolean', default: false },
      endpoint: { type: 'string' },
      table: { type: 'string' },
      bucket: { type: 'string' },
      stream: { type: 'string' },
      'dead-letter-prefix': { type: 'string', default: DEFAULT_DEAD_LETTER_PREFIX },
    },
  }));
} catch (err) {
  fail((err as Error).message);
}
if (!values.pipeline) fail('--pipeline is required');
if (values.local) {
  process.env.AWS_ENDPOINT_URL = values.endpoint ?? process.env.AWS_ENDPOINT_URL ?? LOCAL.endpoint;
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'local';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'local';
}
const table = values.table ?? (values.local ? LOCAL.table : fail('--table is required (or --local)'));
const bucket = values.bucket ?? (values.local ? LOCAL.bucket : fail('--bucket is required (or --local)'));
const stream = values.stream ?? (values.local ? LOCAL.stream : fail('--stream is required (or --local)'));

const quiet: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: (m, e) => console.error(`warn: ${m}`, e ?? ''),
  error: (m, e) => console.error(`error: ${m}`, e ?? ''),
};
const store = new DynamoPipelineStore({ client: createDocumentClient(), tableName: table });
const pipeline = await store
  .get(values.pipeline)
  .catch((err: unknown) =>
    fail(`cannot read pipeline ${values.pipeline} from table ${table}: ${(err as Error).message}`),
  );
if (!pipeline) fail(`no pipeline ${values.pipeline} in table ${table}`);
if (pipeline.sink.mode !== 'lambda')
  fail(`pipeline ${pipeline.id} uses the ${pipeline.sink.mode} sink: redrive replays lambda-mode sinks only`);

const report = await redrivePipeline(
  { pipelineId: pipeline.id, topic: pipeline.kafka.topic, mappingUuid: pipeline.resources.mappingUuid },
  { dryRun: values['dry-run'] },
  {
    bucket,
    s3: new S3Client(awsClientConfig()),
    firehose: new FirehoseClient(awsClientConfig({ maxAttempts: 1 })),
    streamName: stream,
    deadLetterBucket: bucket,
    deadLetterPrefix: values['dead-letter-prefix'],
    sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
    random: Math.random,
    now: Date.now,
    log: quiet,
    safetyMarginMs: 0,
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 5_000,
    requestTimeoutMs: 10_000,
  },
);
for (const o of report.objects) {
  console.log(
    `${o.status.padEnd(12)} ${String(o.records).padStart(6)} record(s)  ${o.kind.padEnd(11)} s3://${bucket}/${o.key}${o.movedTo ? ` -> ${o.movedTo}` : ''}${o.reason ? `  (${o.reason})` : ''}`,
  );
}
const verb = report.dryRun ? 'would replay' : 'replayed';
console.log(
  `${report.objects.length === 0 ? 'nothing stranded' : `${verb} ${report.replayedRecords} record(s)`}${report.keptRecords > 0 ? `, kept ${report.keptRecords}` : ''} for pipeline ${report.pipelineId}`,
);
process.exit(report.keptRecords > 0 && !report.dryRun ? 1 : 0);
