/**
 * The rules between the fields of a POST /pipelines request (schema.ts's second pass): auth vs
 * cluster type, the SCRAM secret, connector vs sink mode, the sink bounds of each mode. Written
 * over the raw input, defensively, because it may be malformed: zod skips object-level
 * refinements once a field has a type error; these rules do not, which is the point.
 */
import { isMskScramSecretArn, SECRET_ARN } from '../lib/ids.ts';
import { shown } from '../lib/shown.ts';
import { sinkSettingsViolations } from './sink-settings.ts';
import type { Violation } from '../lib/errors.ts';
import { defaults, limits } from './request-limits.ts';

type Raw = Record<string, unknown>;
/** A JSON object (not null, not an array), or undefined. */
export const obj = (v: unknown): Raw | undefined =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined;
const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

type Add = (path: string, message: string) => void;

/** The rules between fields, over the raw (possibly malformed) request. */
export function crossFieldViolations(input: unknown): Violation[] {
  const out: Violation[] = [];
  const add: Add = (path, message) => out.push({ path, message });
  const root = obj(input);
  if (!root) return out;
  const kafka = obj(root.kafka);
  const sink = obj(root.sink);
  appIdRules(root.appIds, add);
  if (kafka) kafkaRules(kafka, sink?.mode, add);
  if (sink) sinkRules(sink, add);
  return out;
}

/** Each app id once. */
function appIdRules(appIds: unknown, add: Add): void {
  if (Array.isArray(appIds)) {
    const first = new Map<unknown, number>();
    appIds.forEach((appId, i) => {
      const j = first.get(appId);
      if (j !== undefined) add(`$.appIds[${i}]`, `duplicates $.appIds[${j}]`);
      else first.set(appId, i);
    });
  }
}

/** Cluster type vs its fields, auth vs cluster type and sink mode, the SCRAM secret, the CA. */
function kafkaRules(kafka: Raw, mode: unknown, add: Add): void {
  const type = kafka.type;
  const auth = kafka.auth ?? defaults.auth;
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

/** An integer within `range`, or a violation saying the range and where it applies. */
function intWithin(add: Add, path: string, value: unknown, range: { min: number; max: number }, where: string): void {
  if (!isInt(value) || value < range.min || value > range.max)
    add(path, `must be an integer between ${range.min} and ${range.max} ${where}; got ${shown(value)}`);
}

/** The sink bounds of each mode, and the connector's own fields. */
function sinkRules(sink: Raw, add: Add): void {
  const mode = sink.mode;
  const connector = obj(sink.connector);
  if (mode === 'lambda') {
    if (sink.connector !== undefined) add('$.sink.connector', 'is only used when mode is connector');
    // The event source mapping's bounds, from the function that builds it.
    const settings = {
      batchSize: sink.batchSize ?? defaults.batchSize,
      maxIntervalSeconds: sink.maxIntervalSeconds ?? defaults.maxIntervalSeconds,
    };
    for (const p of sinkSettingsViolations(settings as { batchSize: number; maxIntervalSeconds: number }, '$.sink')) {
      add(p.path, p.message.includes(';') ? p.message.replace(';', ' in lambda mode;') : `${p.message} in lambda mode`);
    }
  } else if (mode === 'connector') {
    const interval = sink.maxIntervalSeconds ?? defaults.maxIntervalSeconds;
    intWithin(add, '$.sink.maxIntervalSeconds', interval, limits.connectorMaxIntervalSeconds, 'in connector mode');
    const batch = sink.batchSize ?? defaults.batchSize;
    intWithin(add, '$.sink.batchSize', batch, limits.connectorBatchSize, 'in connector mode');
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
