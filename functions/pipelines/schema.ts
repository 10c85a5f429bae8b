/**
 * Validation of POST /pipelines bodies into a PipelineSpec (defaults applied).
 *
 * Two passes, both always run, so one answer names every violated rule with its JSON path:
 * 1. a zod schema (compiled once) for each field's type, format and range, and unknown fields;
 * 2. the cross-field rules (auth vs cluster type, SCRAM secret, connector vs sink mode, the sink
 *    bounds of each mode, …) over the raw input, written defensively because the input may be
 *    malformed. Zod skips object-level refinements once a field has a type error; this pass does
 *    not, which is the point. A cross-field problem on a path zod already reported is dropped.
 */
import { X509Certificate } from 'node:crypto';
import * as z from 'zod';
import { originPatternProblem } from '../lib/origins.ts';
import { sinkSettingsProblems } from './build-event-source-mapping.ts';
import { InvalidPipelineRequestError, type RequestViolation } from './errors.ts';
import type { ConnectorSpec, KafkaSpec, PipelineSpec, SinkSpec } from './model.ts';
import { quoted, shown } from '../lib/shown.ts';
import { APP_ID, isMskScramSecretArn, SECRET_ARN } from '../lib/ids.ts';
import { topicNameProblem } from './topic-name.ts';

export const PROJECT_ID = /^[a-z][a-z0-9_-]{2,62}$/;
const MSK_CLUSTER_ARN =
  /^arn:aws[a-z-]*:kafka:[a-z]{2}(-[a-z]+)+-\d:\d{12}:cluster\/[A-Za-z0-9-]{1,64}\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(-\d+)?$/;
const PLUGIN_ARN =
  /^arn:aws[a-z-]*:kafkaconnect:[a-z]{2}(-[a-z]+)+-\d:\d{12}:custom-plugin\/[A-Za-z0-9-]+\/[A-Za-z0-9-]+$/;
const S3_BUCKET_ARN = /^arn:aws[a-z-]*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const S3_BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const SECURITY_GROUP = /^sg-[0-9a-f]{8,17}$/;
const HOSTNAME =
  /^(?=.{1,253}$)([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9])(\.([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9]))*$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/;
const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

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

/** Each problem of a broker list ("host:port,host:port"), or none. */
export function brokerListProblems(brokers: string): string[] {
  const entries = brokers.split(',').map((s) => s.trim());
  if (entries.length === 0 || entries.every((e) => e === '')) return ['must list at least one host:port'];
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const colon = entry.lastIndexOf(':');
    const host = colon > 0 ? entry.slice(0, colon) : '';
    const port = colon > 0 ? entry.slice(colon + 1) : '';
    const portNumber = /^\d{1,5}$/.test(port) ? Number(port) : NaN;
    if (entry === '') problems.push('has an empty entry');
    else if (!(HOSTNAME.test(host) || IPV6.test(host)) || !(portNumber >= 1 && portNumber <= 65535))
      problems.push(`${quoted(entry)} is not host:port (port 1-65535)`);
    else if (seen.has(entry)) problems.push(`${quoted(entry)} is listed twice`);
    seen.add(entry);
  }
  return problems;
}

/** Why a CA bundle is unusable (no certificate, or a block that is not an X.509 certificate), or undefined. */
export function pemProblem(pem: string): string | undefined {
  const blocks = [...pem.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) return 'must contain at least one PEM certificate (-----BEGIN CERTIFICATE-----)';
  for (const [index, block] of blocks.entries()) {
    try {
      new X509Certificate(Buffer.from((block[1] ?? '').replace(/\s+/g, ''), 'base64'));
    } catch {
      return `certificate #${index + 1} is not a valid X.509 certificate`;
    }
  }
  return undefined;
}

const int = (range: { min: number; max: number }) => {
  const error = `must be an integer between ${range.min} and ${range.max}`;
  return z.int({ error }).min(range.min, { error }).max(range.max, { error });
};
const pattern = (re: RegExp, what: string) => z.string().regex(re, { error: `must be ${what}` });

const connectorSchema = z.strictObject({
  pluginArn: pattern(
    PLUGIN_ARN,
    'an MSK Connect custom plugin ARN (arn:aws:kafkaconnect:<region>:<account>:custom-plugin/<name>/<id>)',
  ).optional(),
  pluginLocation: z
    .strictObject({
      bucketArn: pattern(S3_BUCKET_ARN, 'an S3 bucket ARN (arn:aws:s3:::<bucket>)'),
      fileKey: z.string().min(1, { error: 'must be the S3 key of the connector ZIP or JAR' }).max(1024),
      objectVersion: z.string().min(1).max(1024).optional(),
    })
    .optional(),
  mcuCount: z
    .union([z.literal(1), z.literal(2), z.literal(4), z.literal(8)], { error: 'must be 1, 2, 4 or 8' })
    .default(defaults.mcuCount),
  minWorkers: int(limits.workers).default(defaults.minWorkers),
  maxWorkers: int(limits.workers).optional(),
  kafkaConnectVersion: z
    .enum(['2.7.1', '3.7.x'], {
      error: "must be '2.7.1' or '3.7.x' (the MSK Connect Kafka Connect versions)",
    })
    .default(defaults.kafkaConnectVersion),
});

const requestSchema = z.strictObject({
  projectId: pattern(PROJECT_ID, 'a project id: 3-63 of lowercase letters, digits, _ and -, starting with a letter'),
  appIds: z
    .array(pattern(APP_ID, 'an app id: 1-128 of letters, digits, _ . and -, starting with a letter or digit'))
    .min(1, { error: 'must list at least one app id' })
    .max(limits.appIds, { error: `must list at most ${limits.appIds} app ids` }),
  allowedOrigins: z
    .array(
      z.string().check((ctx) => {
        const problem = originPatternProblem(ctx.value.toLowerCase());
        if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
      }),
    )
    .min(1, { error: 'must list at least one origin (omit the field to allow any origin the stack allows)' })
    .max(limits.allowedOrigins, { error: `must list at most ${limits.allowedOrigins} origins` })
    .optional(),
  kafka: z.strictObject({
    type: z.enum(['msk', 'self-hosted'], { error: "must be 'msk' or 'self-hosted'" }),
    clusterArn: pattern(
      MSK_CLUSTER_ARN,
      'an MSK cluster ARN (arn:aws:kafka:<region>:<account>:cluster/<name>/<uuid>)',
    ).optional(),
    brokers: z
      .string()
      .check((ctx) => {
        for (const message of brokerListProblems(ctx.value))
          ctx.issues.push({ code: 'custom', message, input: ctx.value });
      })
      .optional(),
    securityGroupId: pattern(SECURITY_GROUP, 'a security group id (sg- and 8 or 17 hex digits)').optional(),
    topic: z
      .string()
      .check((ctx) => {
        const problem = topicNameProblem(ctx.value);
        if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
      })
      .optional(),
    partitions: int(limits.partitions).default(defaults.partitions),
    replicationFactor: int(limits.replicationFactor).optional(),
    auth: z
      .enum(['none', 'tls', 'scram', 'iam'], { error: "must be 'none', 'tls', 'scram' or 'iam'" })
      .default(defaults.auth),
    caPem: z
      .string()
      .max(limits.caPemChars, { error: `must be at most ${limits.caPemChars} characters` })
      .check((ctx) => {
        const problem = pemProblem(ctx.value);
        if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
      })
      .optional(),
    scramSecretArn: pattern(
      SECRET_ARN,
      'a Secrets Manager secret ARN (arn:aws:secretsmanager:<region>:<account>:secret:<name>)',
    ).optional(),
  }),
  sink: z.strictObject({
    mode: z.enum(['lambda', 'connector'], { error: "must be 'lambda' or 'connector'" }),
    bucket: pattern(S3_BUCKET, 'an S3 bucket name').optional(),
    prefix: z
      .string()
      .max(limits.prefixChars, { error: `must be at most ${limits.prefixChars} characters` })
      .refine((p) => !p.startsWith('/'), { error: "must not start with '/'" })
      .optional(),
    maxIntervalSeconds: z
      .int({ error: 'must be a whole number of seconds' })
      .min(0, { error: 'must not be negative' })
      .default(defaults.maxIntervalSeconds),
    batchSize: z
      .int({ error: 'must be an integer number of records' })
      .min(1, { error: 'must be at least 1' })
      .default(defaults.batchSize),
    connector: connectorSchema.optional(),
  }),
});

type Request = z.output<typeof requestSchema>;

/** `$.kafka.clusterArn`, `$.appIds[2]`, `$["odd key"]`. */
export function jsonPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, key) => {
    if (typeof key === 'number') return `${out}[${key}]`;
    const name = String(key);
    return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `${out}.${name}` : `${out}[${JSON.stringify(name)}]`;
  }, '$');
}

/** Messages for the issues no schema-level message covers (missing fields, wrong JSON types). */
function genericMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if (issue.code === 'invalid_type') {
    if (issue.input === undefined) return 'is required';
    const expected =
      issue.expected === 'int'
        ? 'an integer'
        : issue.expected === 'array' || issue.expected === 'object'
          ? `an ${issue.expected}`
          : `a ${issue.expected}`;
    return `must be ${expected}`;
  }
  return undefined;
}

function zodViolations(issues: readonly z.core.$ZodIssue[]): RequestViolation[] {
  const out: RequestViolation[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: jsonPath([...issue.path, key]), message: 'is not a known field' });
    } else {
      out.push({ path: jsonPath(issue.path), message: issue.message });
    }
  }
  return out;
}

type Raw = Record<string, unknown>;
const obj = (v: unknown): Raw | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** The rules between fields, over the raw (possibly malformed) request. */
function crossFieldViolations(input: unknown): RequestViolation[] {
  const out: RequestViolation[] = [];
  const add = (path: string, message: string) => out.push({ path, message });
  const root = obj(input);
  if (!root) return out;

  if (Array.isArray(root.appIds)) {
    const first = new Map<unknown, number>();
    root.appIds.forEach((appId, i) => {
      const j = first.get(appId);
      if (j !== undefined) add(`$.appIds[${i}]`, `duplicates $.appIds[${j}]`);
      else first.set(appId, i);
    });
  }

  const kafka = obj(root.kafka);
  const sink = obj(root.sink);
  const type = kafka?.type;
  const auth = kafka?.auth ?? defaults.auth;
  const mode = sink?.mode;
  if (kafka) {
    if (type === 'msk') {
      if (kafka.clusterArn === undefined) add('$.kafka.clusterArn', 'is required when type is msk');
      if (kafka.brokers !== undefined)
        add('$.kafka.brokers', 'is only used with type self-hosted (MSK brokers come from the cluster)');
      if (kafka.securityGroupId !== undefined)
        add('$.kafka.securityGroupId', 'is only used with type self-hosted (MSK clusters carry their own)');
    } else if (type === 'self-hosted') {
      if (kafka.brokers === undefined) add('$.kafka.brokers', 'is required when type is self-hosted');
      if (kafka.securityGroupId === undefined) add('$.kafka.securityGroupId', 'is required when type is self-hosted');
      if (kafka.clusterArn !== undefined) add('$.kafka.clusterArn', 'is only used with type msk');
      if (auth === 'iam') add('$.kafka.auth', "'iam' is only available with Amazon MSK (type msk)");
      if (
        mode === 'lambda' &&
        typeof kafka.brokers === 'string' &&
        kafka.brokers.split(',').length > limits.lambdaBrokers
      ) {
        add(
          '$.kafka.brokers',
          `must list at most ${limits.lambdaBrokers} bootstrap servers in lambda mode (event source mapping limit)`,
        );
      }
    }
    if (auth === 'scram' && kafka.scramSecretArn === undefined)
      add('$.kafka.scramSecretArn', 'is required when auth is scram');
    if (kafka.scramSecretArn !== undefined && auth !== 'scram')
      add('$.kafka.scramSecretArn', 'is only used when auth is scram');
    if (
      auth === 'scram' &&
      typeof kafka.scramSecretArn === 'string' &&
      SECRET_ARN.test(kafka.scramSecretArn) &&
      !isMskScramSecretArn(kafka.scramSecretArn)
    ) {
      add(
        '$.kafka.scramSecretArn',
        type === 'msk'
          ? 'must name a secret whose name starts with AmazonMSK_ (MSK only accepts SCRAM secrets named AmazonMSK_*, encrypted with a customer managed KMS key)'
          : "must name a secret whose name starts with AmazonMSK_ (the stack's roles read only AmazonMSK_* secrets, as MSK requires for SCRAM)",
      );
    }
    if (type === 'self-hosted' && auth === 'tls' && mode === 'lambda') {
      add(
        '$.kafka.auth',
        "'tls' with type self-hosted is not available in lambda mode: a self-managed Kafka event source mapping would need the brokers' root CA as a Secrets Manager secret (SERVER_ROOT_CA_CERTIFICATE), which pipelines do not provision; use sink mode 'connector', or auth 'scram'",
      );
    }
    if (kafka.caPem !== undefined && auth === 'none')
      add('$.kafka.caPem', 'is only used with TLS (auth tls, scram or iam); auth none is plaintext');
    if (mode === 'connector' && auth === 'scram')
      add('$.kafka.auth', "MSK Connect supports auth 'none', 'tls' or 'iam', not 'scram'");
  }

  if (sink) {
    const connector = obj(sink.connector);
    if (mode === 'lambda') {
      if (sink.connector !== undefined) add('$.sink.connector', 'is only used when mode is connector');
      // The event source mapping's bounds, from the function that builds it.
      const settings = {
        batchSize: sink.batchSize ?? defaults.batchSize,
        maxIntervalSeconds: sink.maxIntervalSeconds ?? defaults.maxIntervalSeconds,
      };
      for (const p of sinkSettingsProblems(settings as { batchSize: number; maxIntervalSeconds: number }, '$.sink')) {
        add(
          p.field,
          p.message.includes(';') ? p.message.replace(';', ' in lambda mode;') : `${p.message} in lambda mode`,
        );
      }
    } else if (mode === 'connector') {
      const interval = sink.maxIntervalSeconds ?? defaults.maxIntervalSeconds;
      const { min: iMin, max: iMax } = limits.connectorMaxIntervalSeconds;
      if (!isInt(interval) || interval < iMin || interval > iMax)
        add(
          '$.sink.maxIntervalSeconds',
          `must be an integer between ${iMin} and ${iMax} in connector mode; got ${shown(interval)}`,
        );
      const batch = sink.batchSize ?? defaults.batchSize;
      const { min: bMin, max: bMax } = limits.connectorBatchSize;
      if (!isInt(batch) || batch < bMin || batch > bMax)
        add(
          '$.sink.batchSize',
          `must be an integer between ${bMin} and ${bMax} in connector mode; got ${shown(batch)}`,
        );
      if (sink.connector === undefined)
        add('$.sink.connector', 'is required when mode is connector (pluginArn or pluginLocation)');
      else if (connector) {
        if (connector.pluginArn === undefined && connector.pluginLocation === undefined)
          add('$.sink.connector', 'needs pluginArn or pluginLocation');
        if (connector.pluginArn !== undefined && connector.pluginLocation !== undefined)
          add('$.sink.connector.pluginLocation', 'give pluginArn or pluginLocation, not both');
        const min = connector.minWorkers ?? defaults.minWorkers;
        if (isInt(min) && isInt(connector.maxWorkers) && connector.maxWorkers < min)
          add('$.sink.connector.maxWorkers', `must be at least minWorkers (${min})`);
      }
    }
  }
  return out;
}

function toSpec(r: Request): PipelineSpec {
  const k = r.kafka;
  const kafka: KafkaSpec = {
    cluster:
      k.type === 'msk'
        ? { type: 'msk', clusterArn: k.clusterArn! }
        : {
            type: 'self-hosted',
            brokers: k
              .brokers!.split(',')
              .map((s) => s.trim())
              .join(','),
            securityGroupId: k.securityGroupId!,
          },
    topic: k.topic ?? r.projectId,
    partitions: k.partitions,
    replicationFactor: k.replicationFactor,
    auth: k.auth,
    ...(k.caPem !== undefined ? { caPem: k.caPem } : {}),
    ...(k.scramSecretArn !== undefined ? { scramSecretArn: k.scramSecretArn } : {}),
  };
  const s = r.sink;
  const c = s.connector;
  const connector: ConnectorSpec | undefined = c && {
    ...(c.pluginArn !== undefined ? { pluginArn: c.pluginArn } : {}),
    ...(c.pluginLocation !== undefined ? { pluginLocation: c.pluginLocation } : {}),
    mcuCount: c.mcuCount,
    minWorkers: c.minWorkers,
    maxWorkers: c.maxWorkers ?? Math.max(defaults.maxWorkers, c.minWorkers),
    kafkaConnectVersion: c.kafkaConnectVersion,
  };
  const sink: SinkSpec = {
    mode: s.mode,
    ...(s.bucket !== undefined ? { bucket: s.bucket } : {}),
    ...(s.prefix !== undefined ? { prefix: s.prefix } : {}),
    maxIntervalSeconds: s.maxIntervalSeconds,
    batchSize: s.batchSize,
    ...(connector ? { connector } : {}),
  };
  return {
    projectId: r.projectId,
    appIds: [...r.appIds],
    ...(r.allowedOrigins !== undefined ? { allowedOrigins: r.allowedOrigins.map((o) => o.toLowerCase()) } : {}),
    kafka,
    sink,
  };
}

export type ValidationResult = { ok: true; spec: PipelineSpec } | { ok: false; errors: RequestViolation[] };

/** Validates a parsed request body; every violation, each with its JSON path, or the spec. */
export function validatePipelineRequest(input: unknown): ValidationResult {
  if (obj(input) === undefined) return { ok: false, errors: [{ path: '$', message: 'must be a JSON object' }] };
  const parsed = requestSchema.safeParse(input, { error: genericMessage });
  const errors = parsed.success ? [] : zodViolations(parsed.error.issues);
  const reported = new Set(errors.map((e) => e.path));
  for (const v of crossFieldViolations(input)) {
    if (!reported.has(v.path)) errors.push(v);
  }
  // By path (stable: a field's own problems keep their order), so a field's problems sit together.
  errors.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  if (errors.length > 0 || !parsed.success) return { ok: false, errors };
  return { ok: true, spec: toSpec(parsed.data) };
}

/** validatePipelineRequest that throws InvalidPipelineRequestError (→ 400). */
export function parsePipelineRequest(input: unknown): PipelineSpec {
  const result = validatePipelineRequest(input);
  if (!result.ok) throw new InvalidPipelineRequestError(result.errors);
  return result.spec;
}
