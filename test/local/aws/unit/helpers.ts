import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { parse } from 'yaml';
import type { AwsRequest } from '../../../../local/aws/server.ts';

export function tempDir(prefix = 'local-aws-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** An SDK v3 client configuration for the local endpoint at `url` (one attempt: tests see every error). */
export function localClientConfig<T extends object>(url: string, extra?: T) {
  return {
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' },
    maxAttempts: 1,
    ...extra,
  };
}

/** Every object under `<root>/<bucket>/`: key → content (gunzipped when the key ends with .gz). */
export function readObjects(root: string, bucket: string): Map<string, string> {
  const out = new Map<string, string>();
  const base = join(root, bucket);
  const walk = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else if (!entry.endsWith('.tmp')) {
        const bytes = readFileSync(path);
        out.set(
          relative(base, path).split('\\').join('/'),
          (entry.endsWith('.gz') ? gunzipSync(bytes) : bytes).toString('utf8'),
        );
      }
    }
  };
  walk(base);
  return out;
}

export const ACCOUNT = '000000000000';

/** A JSON 1.1 Firehose request for FirehoseService.handle. */
export function firehoseRequest(operation: string, body: unknown): AwsRequest {
  return {
    method: 'POST',
    path: '/',
    query: new URLSearchParams(),
    headers: {
      'x-amz-target': `Firehose_20150804.${operation}`,
      'content-type': 'application/x-amz-json-1.1',
    },
    body: Buffer.from(JSON.stringify(body)),
    region: 'us-east-1',
    accountId: ACCOUNT,
    requestId: 'req-1',
  };
}

/** A REST-JSON Lambda request for LambdaService.handle. */
export function lambdaRequest(
  method: string,
  path: string,
  body?: unknown,
  query: Record<string, string> = {},
): AwsRequest {
  return {
    method,
    path,
    query: new URLSearchParams(query),
    headers: { 'content-type': 'application/json' },
    body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
    region: 'us-east-1',
    accountId: ACCOUNT,
    requestId: 'req-1',
  };
}

/**
 * The project's dynamic-partitioning query, read from resources/firehose.yml (the one the stack
 * deploys), so the tests run the local Firehose's jq on exactly what AWS is given.
 */
export const PROJECT_QUERY: string = (() => {
  const template = parse(readFileSync(join(process.cwd(), 'resources', 'firehose.yml'), 'utf8')) as {
    DeliveryStream: {
      Properties: {
        ExtendedS3DestinationConfiguration: {
          ProcessingConfiguration: {
            Processors: Array<{ Parameters: Array<{ ParameterName: string; ParameterValue: string }> }>;
          };
        };
      };
    };
  };
  const parameters =
    template.DeliveryStream.Properties.ExtendedS3DestinationConfiguration.ProcessingConfiguration.Processors.flatMap(
      (p) => p.Parameters,
    );
  const query = parameters.find((p) => p.ParameterName === 'MetadataExtractionQuery')?.ParameterValue;
  if (query === undefined) throw new Error('resources/firehose.yml has no MetadataExtractionQuery');
  return query;
})();

export function partitionedDestination(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    RoleARN: `arn:aws:iam::${ACCOUNT}:role/firehose`,
    BucketARN: 'arn:aws:s3:::data-bucket',
    Prefix:
      'events/app_id=!{partitionKeyFromQuery:app_id}/year=!{partitionKeyFromQuery:year}/month=!{partitionKeyFromQuery:month}/day=!{partitionKeyFromQuery:day}/hour=!{partitionKeyFromQuery:hour}/',
    ErrorOutputPrefix: 'errors/firehose/!{firehose:error-output-type}/year=!{timestamp:yyyy}/',
    CompressionFormat: 'GZIP',
    BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 60 },
    DynamicPartitioningConfiguration: { Enabled: true },
    ProcessingConfiguration: {
      Enabled: true,
      Processors: [
        {
          Type: 'MetadataExtraction',
          Parameters: [
            { ParameterName: 'MetadataExtractionQuery', ParameterValue: PROJECT_QUERY },
            { ParameterName: 'JsonParsingEngine', ParameterValue: 'JQ-1.6' },
          ],
        },
      ],
    },
    ...overrides,
  };
}

/** A CreateEventSourceMapping body for an MSK topic as the pipelines create them; `overrides` win. */
export function mskMappingBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    FunctionName: 'sink',
    EventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/demo/0b8a-43b9-1',
    Topics: ['clicks'],
    StartingPosition: 'TRIM_HORIZON',
    BatchSize: 500,
    MaximumBatchingWindowInSeconds: 1,
    AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'pipeline-1' },
    FunctionResponseTypes: ['ReportBatchItemFailures'],
    ...overrides,
  };
}
