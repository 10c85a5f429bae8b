/**
 * The bounds and defaults of a POST /pipelines request: the schema (schema.ts) and the rules
 * between fields (request-rules.ts) check against them, toSpec applies the defaults, and the cost
 * model (bin/cost.ts) prices a default pipeline.
 */
export const limits = {
  appIds: 50,
  allowedOrigins: 50,
  partitions: { min: 1, max: 1000 },
  replicationFactor: { min: 1, max: 32 },
  caPemChars: 32 * 1024,
  prefixChars: 512,
  /** Connector mode: `rotate.schedule.interval.ms` must be > 0; a day at most. */
  connectorMaxIntervalSeconds: { min: 1, max: 86_400 },
  /** Connector mode: `flush.size`. */
  connectorBatchSize: { min: 1, max: 1_000_000 },
  /** Bootstrap servers a Lambda event source mapping accepts. */
  lambdaBrokers: 10,
  /** MSK Connect autoscaling: workers per connector. */
  workers: { min: 1, max: 10 },
} as const;

export const defaults = {
  partitions: 3,
  auth: 'none',
  maxIntervalSeconds: 300,
  batchSize: 5000,
  mcuCount: 1,
  minWorkers: 1,
  maxWorkers: 2,
  kafkaConnectVersion: '2.7.1',
} as const;
