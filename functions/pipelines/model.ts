/**
 * The pipeline as the admin API, the registry and the workflow tasks share it. A request is
 * validated into a `PipelineSpec` (defaults applied); the registry stores a `Pipeline` (the spec
 * plus status, step history and the resources the workflow created). Tasks and handlers take a
 * `PipelineStore` port, so they are testable without DynamoDB.
 */

import type { ClusterDescription, KafkaAuth } from '../lib/kafka/config.ts';

/**
 * What a pipeline id can look like: the admin API makes them with `randomUUID()`; anything longer
 * or with other characters cannot name a pipeline (and an 8,000-character id would exceed
 * DynamoDB's 2,048-byte partition key), so it is answered 404 without reaching the registry.
 */
export const PIPELINE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function isPipelineId(id: string): boolean {
  return PIPELINE_ID_PATTERN.test(id);
}

export type PipelineStatus = 'CREATING' | 'ACTIVE' | 'FAILED' | 'DELETING' | 'DELETED';

/** Transitions the registry allows (anything else is an IllegalTransitionError → HTTP 409). */
export const allowedTransitions: Readonly<Record<PipelineStatus, readonly PipelineStatus[]>> = {
  CREATING: ['ACTIVE', 'FAILED'],
  ACTIVE: ['DELETING'],
  FAILED: ['DELETING'],
  DELETING: ['DELETED', 'FAILED'],
  DELETED: [],
};

export interface MskKafka {
  type: 'msk';
  clusterArn: string;
}

export interface SelfHostedKafka {
  type: 'self-hosted';
  /** "host:port,host:port" as the user gave it. */
  brokers: string;
  securityGroupId: string;
}

export interface KafkaSpec {
  cluster: MskKafka | SelfHostedKafka;
  /** Default: the project id (seed rule). */
  topic: string;
  /** Default 3. */
  partitions: number;
  /** Default: min(3, broker count) — decided by ValidateCluster when not given. */
  replicationFactor: number | undefined;
  auth: KafkaAuth;
  /** PEM CA bundle for TLS to brokers with a private CA. */
  caPem?: string;
  /** Secrets Manager secret with {"username","password"} for SCRAM (name must start with AmazonMSK_ on MSK). */
  scramSecretArn?: string;
}

export interface ConnectorSpec {
  /** An existing custom plugin, or the S3 location of the connector ZIP to create one from. */
  pluginArn?: string;
  pluginLocation?: { bucketArn: string; fileKey: string; objectVersion?: string };
  /** MSK Connect capacity: MCUs per worker (1, 2, 4, 8) and autoscaled worker range. */
  mcuCount: number;
  minWorkers: number;
  maxWorkers: number;
  kafkaConnectVersion: string;
}

export interface SinkSpec {
  mode: 'lambda' | 'connector';
  /** Default: the stack's data bucket. */
  bucket?: string;
  /** Default: `events/`. */
  prefix?: string;
  /** Seconds records may wait before delivery (seed "sink maximum interval"). Default 300. */
  maxIntervalSeconds: number;
  /** Maximum records per delivered batch (seed "batch size"). Default 5000. */
  batchSize: number;
  connector?: ConnectorSpec;
}

export interface PipelineSpec {
  projectId: string;
  /** The ingest allowlist: events for these apps are accepted once the pipeline is ACTIVE. */
  appIds: string[];
  /**
   * Browser origins allowed to send the apps' events (exact `https://shop.example.com` or
   * `*.example.com` wildcards), within the stack's corsAllowedOrigins; absent = any of those.
   */
  allowedOrigins?: string[];
  kafka: KafkaSpec;
  sink: SinkSpec;
}

export interface StepRecord {
  name: string;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED';
  startedAt: string;
  endedAt?: string;
  detail?: string;
  /**
   * Position of the step in the pipeline's history: 1 + the highest `seq` recorded when it
   * started. Steps run one after another, so this is the real order even when two steps start
   * in the same millisecond (which `startedAt` cannot tell apart).
   */
  seq?: number;
}

/** What this pipeline's workflow created (and therefore what rollback/teardown may delete). */
export interface PipelineResources {
  topic?: string;
  /** True only when this pipeline created the topic (an existing topic is reused, never deleted). */
  topicCreated?: boolean;
  pluginArn?: string;
  /** True only when this pipeline created the plugin (a reused plugin is not deleted). */
  pluginCreated?: boolean;
  connectorArn?: string;
  mappingUuid?: string;
  /**
   * How ingest reaches the pipeline's cluster, resolved by ValidateCluster: MSK's bootstrap
   * brokers for the pipeline's auth (GetBootstrapBrokers), or the self-hosted broker list, plus
   * the auth settings. Copied into the app routes, so ingest needs one GetItem per app.
   */
  cluster?: ClusterDescription;
}

/** What ingest reads for an app whose pipeline is ACTIVE. */
export interface ActiveRoute {
  pipelineId: string;
  topic: string;
  /** The pipeline's cluster; absent only on routes written before it was stored. */
  cluster?: ClusterDescription;
  allowedOrigins?: string[];
}

export interface Pipeline extends PipelineSpec {
  id: string;
  status: PipelineStatus;
  currentStep?: string;
  steps: StepRecord[];
  failureReason?: string;
  /** Every violated cluster rule, when ValidateCluster failed. */
  violations?: string[];
  resources: PipelineResources;
  executionArn?: string;
  createdAt: string;
  updatedAt: string;
}

/** The registry port (DynamoDB in production). Errors are the named classes of ./errors.ts. */
export interface PipelineStore {
  /**
   * Stores a new pipeline in CREATING. Fails with ProjectConflictError when the project already
   * has a pipeline that is not DELETED. With an idempotency key, a repeated call returns the
   * pipeline the first call created (`created: false`).
   */
  create(pipeline: Pipeline, idempotencyKey?: string): Promise<{ pipeline: Pipeline; created: boolean }>;
  get(id: string): Promise<Pipeline | undefined>;
  list(): Promise<Pipeline[]>;
  /** Guarded status change; IllegalTransitionError unless the current status allows `to`. */
  transition(
    id: string,
    to: PipelineStatus,
    patch?: Partial<Pick<Pipeline, 'failureReason' | 'violations' | 'executionArn' | 'currentStep'>>,
  ): Promise<Pipeline>;
  /** Appends/updates the step history entry of `step.name` and sets currentStep. */
  recordStep(id: string, step: StepRecord): Promise<void>;
  /** Merges resource identifiers as the workflow creates them. */
  setResources(id: string, resources: Partial<PipelineResources>): Promise<void>;
  /**
   * Records the Step Functions execution now driving the pipeline (the create or the teardown
   * workflow) without changing its status; PipelineNotFoundError when the id is unknown.
   */
  setExecutionArn(id: string, executionArn: string): Promise<void>;
  /** Where an app writes to (topic, cluster, origins), when its pipeline is ACTIVE (the ingest routing). */
  activeRoute(appId: string): Promise<ActiveRoute | undefined>;
  /**
   * The pipeline holding an app id whose route is not active (CREATING, DELETING, FAILED), so the
   * ingest's 403 can say why; undefined for an app no pipeline holds (or one that is ACTIVE).
   */
  inactiveRoute(appId: string): Promise<{ pipelineId: string; status: PipelineStatus } | undefined>;
}
