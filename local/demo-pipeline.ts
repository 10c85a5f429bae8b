/**
 * The demo pipeline of `npm start` (until the pipelines API creates it): topic `demo`, a
 * Firehose stream built from resources/firehose.yml itself, and an event source mapping built
 * by the same function the pipelines workflow uses. Every step is idempotent, so a restart over
 * the persisted state finds them and creates nothing twice.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CreateDeliveryStreamCommand, DescribeDeliveryStreamCommand, FirehoseClient, ResourceNotFoundException } from '@aws-sdk/client-firehose';
import { CreateEventSourceMappingCommand, LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { createAdmin, parseClusterConfig } from '../functions/lib/kafka/index.ts';
import { buildEventSourceMapping } from '../functions/pipelines/build-event-source-mapping.ts';
import { resolveString, type ServiceConfig } from './serverless-config.ts';

export interface DemoSettings {
  appId: string;
  topic: string;
  bucket: string;
  streamName: string;
  sinkFunction: string;
  windowSeconds: number;
  batchSize: number;
}

/** Replaces the CloudFormation references of the Firehose resource with their local values. */
function localize(value: unknown, refs: Record<string, unknown>): unknown {
  if (Array.isArray(value)) return value.map((v) => localize(v, refs));
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const [first] = entries;
    if (entries.length === 1 && first && (first[0] === 'Fn::GetAtt' || first[0] === 'Ref')) {
      const target = Array.isArray(first[1]) ? (first[1] as string[]).join('.') : String(first[1]);
      return refs[target];
    }
    const out: Record<string, unknown> = {};
    for (const [k, v] of entries) {
      const localized = localize(v, refs);
      if (localized !== undefined) out[k] = localized;
    }
    return out;
  }
  return value;
}

/** The CreateDeliveryStream request equivalent to resources/firehose.yml for this stack. */
export async function firehoseRequestFromResource(root: string, config: ServiceConfig, bucket: string, streamName: string) {
  const doc = parse(await readFile(join(root, 'resources', 'firehose.yml'), 'utf8')) as Record<string, { Properties: Record<string, unknown> }>;
  const props = doc.DeliveryStream!.Properties;
  const resolved = JSON.parse(JSON.stringify(props), (_k, v: unknown) => (typeof v === 'string' ? resolveString(v, config) : v)) as Record<string, unknown>;
  const dest = localize(resolved.ExtendedS3DestinationConfiguration, {
    'DataBucket.Arn': `arn:aws:s3:::${bucket}`,
    'FirehoseRole.Arn': 'arn:aws:iam::000000000000:role/firehose-local',
  }) as Record<string, unknown>;
  delete dest.CloudWatchLoggingOptions;
  const hints = dest.BufferingHints as { IntervalInSeconds: unknown; SizeInMBs: unknown };
  dest.BufferingHints = { IntervalInSeconds: Number(hints.IntervalInSeconds), SizeInMBs: Number(hints.SizeInMBs) };
  return { DeliveryStreamName: streamName, DeliveryStreamType: 'DirectPut' as const, ExtendedS3DestinationConfiguration: dest as never };
}

export async function ensureDemoPipeline(opts: { root: string; config: ServiceConfig; brokers: string[]; demo: DemoSettings; say: (line: string) => void }): Promise<{ mappingUuid: string }> {
  const { demo, say } = opts;
  const admin = await createAdmin(parseClusterConfig({ 'bootstrap.servers': opts.brokers.join(',') }));
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(demo.topic)) {
      await admin.createTopics({ topics: [demo.topic], partitions: 3, replicas: Math.min(3, opts.brokers.length) });
      say(`created topic ${demo.topic} (3 partitions)`);
    }
  } finally {
    await admin.close();
  }

  const firehose = new FirehoseClient({});
  try {
    await firehose.send(new DescribeDeliveryStreamCommand({ DeliveryStreamName: demo.streamName }));
  } catch (err) {
    if (!(err instanceof ResourceNotFoundException)) throw err;
    await firehose.send(new CreateDeliveryStreamCommand(await firehoseRequestFromResource(opts.root, opts.config, demo.bucket, demo.streamName)));
    say(`created Firehose stream ${demo.streamName}`);
  }
  firehose.destroy();

  const lambda = new LambdaClient({});
  try {
    const listed = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: demo.sinkFunction }));
    const found = listed.EventSourceMappings?.find((m) => m.Topics?.includes(demo.topic));
    if (found?.UUID) return { mappingUuid: found.UUID };
    const created = await lambda.send(
      new CreateEventSourceMappingCommand(
        buildEventSourceMapping({
          pipelineId: 'demo',
          functionName: demo.sinkFunction,
          topic: demo.topic,
          sink: { maxIntervalSeconds: demo.windowSeconds, batchSize: demo.batchSize },
          // The stack's VPC parameters (placeholders locally), as a deploy would pass them.
          source: { kind: 'self-managed', bootstrapServers: opts.brokers, subnetIds: (opts.config.params.subnetIds ?? '').split(','), securityGroupIds: [opts.config.params.securityGroupId ?? ''] },
          onFailureDestinationArn: `arn:aws:s3:::${demo.bucket}`,
        }),
      ),
    );
    say(`created event source mapping ${created.UUID} (batch ${demo.batchSize}, window ${demo.windowSeconds} s)`);
    return { mappingUuid: created.UUID! };
  } finally {
    lambda.destroy();
  }
}
