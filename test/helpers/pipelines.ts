import type { Pipeline, PipelineSpec } from '../../functions/pipelines/model.ts';

export const CLUSTER_ARN =
  'arn:aws:kafka:us-east-1:123456789012:cluster/clickstream-msk/751d2973-a626-431c-9d4e-d7975eb44dd7-2';
export const PLUGIN_ARN =
  'arn:aws:kafkaconnect:us-east-1:123456789012:custom-plugin/s3-sink/a1b2c3d4-5678-90ab-cdef-EXAMPLE11111-1';
export const SCRAM_SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:AmazonMSK_clickstream-AbCdEf';

/** A valid POST /pipelines body (MSK, lambda sink); override any part. */
export function mskRequest(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    projectId: 'shop',
    appIds: ['shop-web', 'shop-ios'],
    kafka: { type: 'msk', clusterArn: CLUSTER_ARN },
    sink: { mode: 'lambda', maxIntervalSeconds: 60, batchSize: 1000 },
    ...over,
  };
}

/** The `kafka` section of a valid self-hosted request: two brokers, an explicit topic. */
export const SELF_HOSTED_KAFKA = {
  type: 'self-hosted',
  brokers: 'kafka-1.internal:9092,kafka-2.internal:9092',
  securityGroupId: 'sg-0123456789abcdef0',
  topic: 'news-events',
  partitions: 6,
  replicationFactor: 2,
};

/** A valid POST /pipelines body (self-hosted Kafka, connector sink). */
export function selfHostedRequest(over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    projectId: 'news',
    appIds: ['news-web'],
    kafka: { ...SELF_HOSTED_KAFKA },
    sink: { mode: 'connector', connector: { pluginArn: PLUGIN_ARN } },
    ...over,
  };
}

export function spec(over: Partial<PipelineSpec> = {}): PipelineSpec {
  return {
    projectId: 'shop',
    appIds: ['shop-web', 'shop-ios'],
    kafka: {
      cluster: { type: 'msk', clusterArn: CLUSTER_ARN },
      topic: 'shop',
      partitions: 3,
      replicationFactor: undefined,
      auth: 'none',
    },
    sink: { mode: 'lambda', maxIntervalSeconds: 60, batchSize: 1000 },
    ...over,
  };
}

let counter = 0;

/** A new CREATING pipeline record with a unique id (and, by default, a unique project and apps). */
export function newPipeline(over: Partial<Pipeline> = {}, at = '2025-01-01T00:00:00.000Z'): Pipeline {
  counter += 1;
  const suffix = `${process.pid}-${counter}`;
  return {
    ...spec({ projectId: `project-${suffix}`, appIds: [`app-a-${suffix}`, `app-b-${suffix}`] }),
    id: `pl-${suffix}`,
    status: 'CREATING',
    steps: [],
    resources: {},
    createdAt: at,
    updatedAt: at,
    ...over,
  };
}
