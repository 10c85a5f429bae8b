/**
 * Redrive: replays what a lambda-mode pipeline's sink could not deliver back through the sink's
 * own delivery core (so the records reach Firehose, and S3 under the pipeline's prefix, exactly as
 * if the sink had delivered them):
 *
 * - on-failure batches of its event source mapping (`aws/lambda/<mapping uuid>/…`: what Lambda
 *   writes after a mapping exhausted its retries — mappings made before D15, or configured by
 *   hand with an on-failure destination); each holds the Kafka event the function was given;
 * - the sink's dead letters of its topic (`<dead-letter prefix>topic=<topic>/…`), but only when
 *   every record of the object is deliverable now (the reason it was dead-lettered is gone, e.g.
 *   a raised limit); otherwise the object is kept and its reasons are reported.
 *
 * A replayed object is moved under `redriven/` (copy, then delete), so a second run finds nothing
 * to do: each stranded event reaches S3 once. If the process stops between delivering an object
 * and moving it, the next run delivers it again (at least once; duplicates carry the same
 * `event_id`). `dryRun` lists what would be replayed and changes nothing.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { DeadLetter } from './dead-letter.ts';
import { deliverKafkaEvent, type DeliverDeps } from './deliver.ts';
import { prepareRecord } from './prepare-record.ts';

export const REDRIVEN_PREFIX = 'redriven/';

export interface RedriveTarget {
  pipelineId: string;
  topic: string;
  /** The pipeline's event source mapping, when it has (or had) one. */
  mappingUuid?: string | undefined;
}

export interface RedriveDeps extends Omit<DeliverDeps, 'remainingTimeMs'> {
  /** The data bucket: on-failure batches, dead letters and the `redriven/` archive live there. */
  bucket: string;
}

export interface RedriveObject {
  key: string;
  kind: 'on-failure' | 'dead-letter';
  records: number;
  status: 'would replay' | 'replayed' | 'kept';
  /** Why an object was kept (not replayable now, or the delivery failed). */
  reason?: string;
  /** Where a replayed object was moved. */
  movedTo?: string;
}

export interface RedriveReport {
  pipelineId: string;
  dryRun: boolean;
  objects: RedriveObject[];
  replayedRecords: number;
  keptRecords: number;
  /** Objects not looked at because `maxObjects` was reached: run again. */
  remainingObjects: number;
}

interface KafkaEventShape {
  eventSource?: string;
  eventSourceArn?: string;
  bootstrapServers?: string;
  records: Record<string, Array<Record<string, unknown>>>;
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        Prefix: prefix,
        ...(token ? { ContinuationToken: token } : {}),
      }),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys.sort();
}

async function readText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return (await object.Body?.transformToString('utf8')) ?? '';
}

const recordCount = (event: KafkaEventShape) => Object.values(event.records).reduce((n, list) => n + list.length, 0);

/** The Kafka event a dead-letter object's records came from (one topic partition). */
function eventOfDeadLetters(letters: readonly DeadLetter[]): KafkaEventShape {
  const records: KafkaEventShape['records'] = {};
  for (const l of letters) {
    const list = (records[`${l.topic}-${l.partition}`] ??= []);
    list.push({
      topic: l.topic,
      partition: l.partition,
      offset: l.offset,
      timestamp: l.timestamp,
      timestampType: l.timestampType ?? 'CREATE_TIME',
      ...(l.key !== null ? { key: l.key } : {}),
      value: l.value,
      headers: l.headers.map((h) => ({ [h.name]: Array.from(Buffer.from(h.value, 'utf8')) })),
    });
  }
  const first = letters[0];
  return {
    eventSource: first?.eventSource ?? 'aws:kafka',
    ...(first?.eventSourceArn ? { eventSourceArn: first.eventSourceArn } : {}),
    records,
  };
}

/** Runs the sink core on one stored event; a reason when anything stayed undelivered. */
async function deliver(event: KafkaEventShape, deps: RedriveDeps): Promise<string | undefined> {
  const report = await deliverKafkaEvent(event, { ...deps, remainingTimeMs: () => 600_000 });
  if (report.response.batchItemFailures.length > 0) {
    return `delivery stopped at ${report.response.batchItemFailures.length} partition(s)${report.stats.permanentError ? `: ${report.stats.permanentError}` : ''}; run again later`;
  }
  return undefined;
}

async function move(s3: S3Client, bucket: string, key: string): Promise<string> {
  const to = `${REDRIVEN_PREFIX}${key}`;
  await s3.send(
    new CopyObjectCommand({
      Bucket: bucket,
      Key: to,
      CopySource: `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`,
    }),
  );
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  return to;
}

/**
 * `maxObjects` bounds the work of one call (the admin route answers within API Gateway's 30 s);
 * what is left is counted in `remainingObjects`.
 */
export async function redrivePipeline(
  target: RedriveTarget,
  options: { dryRun: boolean; maxObjects?: number },
  deps: RedriveDeps,
): Promise<RedriveReport> {
  const report: RedriveReport = {
    pipelineId: target.pipelineId,
    dryRun: options.dryRun,
    objects: [],
    replayedRecords: 0,
    keptRecords: 0,
    remainingObjects: 0,
  };
  const max = options.maxObjects ?? Number.POSITIVE_INFINITY;
  const sources: Array<{ kind: RedriveObject['kind']; prefix: string }> = [
    ...(target.mappingUuid ? [{ kind: 'on-failure' as const, prefix: `aws/lambda/${target.mappingUuid}/` }] : []),
    { kind: 'dead-letter', prefix: `${deps.deadLetterPrefix}topic=${target.topic}/` },
  ];
  for (const source of sources) {
    for (const key of await listKeys(deps.s3, deps.bucket, source.prefix)) {
      if (report.objects.length >= max) {
        report.remainingObjects++;
        continue;
      }
      const text = await readText(deps.s3, deps.bucket, key);
      let event: KafkaEventShape;
      let unfit: string | undefined;
      if (source.kind === 'on-failure') {
        event = (JSON.parse(text) as { payload: KafkaEventShape }).payload;
      } else {
        const letters = text
          .split('\n')
          .filter((l) => l.trim() !== '')
          .map((l) => JSON.parse(l) as DeadLetter);
        const still = letters
          .map((l) => prepareRecord(l.value))
          .filter((p) => !p.ok)
          .map((p) => (p.ok ? '' : p.reason));
        if (still.length > 0)
          unfit = `${still.length} of ${letters.length} record(s) still undeliverable (${[...new Set(still)].join(', ')})`;
        event = eventOfDeadLetters(letters);
      }
      const entry: RedriveObject = {
        key,
        kind: source.kind,
        records: recordCount(event),
        status: options.dryRun ? 'would replay' : 'replayed',
      };
      if (unfit !== undefined) {
        Object.assign(entry, { status: 'kept', reason: unfit });
      } else if (!options.dryRun) {
        const failed = await deliver(event, deps);
        if (failed !== undefined) Object.assign(entry, { status: 'kept', reason: failed });
        else entry.movedTo = await move(deps.s3, deps.bucket, key);
      }
      if (entry.status === 'kept') report.keptRecords += entry.records;
      else report.replayedRecords += entry.records;
      report.objects.push(entry);
      deps.log.info('redrive', { pipelineId: target.pipelineId, ...entry });
    }
  }
  return report;
}
