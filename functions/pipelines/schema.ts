/**
 * Validation of POST /pipelines bodies into a PipelineSpec (defaults applied).
 *
 * Two passes, both always run, so one answer names every violated rule with its JSON path:
 * 1. a zod schema (compiled once) for each field's type, format and range, and unknown fields;
 * 2. the cross-field rules (request-rules.ts) over the raw input. A cross-field problem on a path
 *    zod already reported is dropped.
 * Bounds and defaults: request-limits.ts.
 */
import { X509Certificate } from 'node:crypto';
import * as z from 'zod';
import { originPatternProblem } from '../lib/origins.ts';
import { InvalidPipelineRequestError } from './errors.ts';
import type { Violation } from '../lib/errors.ts';
import type { ConnectorSpec, KafkaSpec, PipelineSpec, SinkSpec } from './model.ts';
import { quoted } from '../lib/shown.ts';
import { APP_ID, SECRET_ARN } from '../lib/ids.ts';
import { topicNameProblem } from './topic-name.ts';
import { defaults, limits } from './request-limits.ts';
import { crossFieldViolations, obj } from './request-rules.ts';

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

function zodViolations(issues: readonly z.core.$ZodIssue[]): Violation[] {
  const out: Violation[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push({ path: jsonPath([...issue.path, key]), message: 'is not a known field' });
    } else {
      out.push({ path: jsonPath(issue.path), message: issue.message });
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

export type ValidationResult = { ok: true; spec: PipelineSpec } | { ok: false; errors: Violation[] };

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
