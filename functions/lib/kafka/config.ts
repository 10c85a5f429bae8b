/**
 * The cluster description every Kafka connection in the project starts from, and its validation.
 *
 * Two ways in, one shape out (`ClusterConnection`):
 * - `parseClusterConfig` (config-properties.ts) reads Kafka client property names or env names;
 * - `createClusterConnection` takes the typed description the pipelines API stores.
 * Validation is synchronous and fails fast with a `KafkaConfigError` naming the property as the
 * user spelled it. Loading truststores and fetching secrets happens later, asynchronously, in
 * `resolveClientOptions`, so a cold start that does not need them does not pay for them.
 */
import { statSync } from 'node:fs';
import { silentLog, type Log } from '../logger.ts';
import { MSK_PORTS, parseBrokerList, regionFromMskHost } from './broker-address.ts';
import { KafkaConfigError } from './errors.ts';
import { SECRET_ARN } from '../ids.ts';

/** How clients authenticate; also fixes the transport (everything but `none` is TLS). */
export type KafkaAuth = 'none' | 'tls' | 'scram' | 'iam';
export const KAFKA_AUTHS: readonly KafkaAuth[] = ['none', 'tls', 'scram', 'iam'];

export type TruststoreType = 'JKS' | 'PKCS12' | 'PEM';
export const TRUSTSTORE_TYPES: readonly TruststoreType[] = ['JKS', 'PKCS12', 'PEM'];

/** Where TLS trust comes from when it is not the runtime's default CA set. */
export type TrustSource =
  | { kind: 'pem'; pem: string; property: string }
  | {
      kind: 'file';
      location: string;
      /** The declared type; the loader goes by the file's content and warns when they differ. */
      type?: TruststoreType;
      password?: string;
      locationProperty: string;
      passwordProperty: string;
    };

/** A validated cluster description; plain data, safe to keep for the container's lifetime. */
export interface ClusterConnection {
  /** `host:port` strings, deduplicated, in the given order. */
  readonly brokers: readonly string[];
  readonly auth: KafkaAuth;
  /** Custom TLS trust (only with TLS); absent = the runtime's default CAs (enough for MSK). */
  readonly trust?: TrustSource;
  /** SCRAM only: the Secrets Manager secret (ARN or name) holding {"username","password"}. */
  readonly scramSecretArn?: string;
  /** IAM only: the region the auth token is signed for. */
  readonly region?: string;
  /** The property names the values came from, quoted in later errors. */
  readonly propertyNames: {
    readonly brokers: string;
    readonly scramSecretArn: string;
    readonly region: string;
  };
}

/** The typed description used by the pipelines feature (what `POST /pipelines` stores). */
export interface ClusterDescription {
  brokers: string[];
  auth: KafkaAuth;
  /** PEM CA bundle text (TLS auths only). */
  caPem?: string;
  /** Secrets Manager secret ARN or name (auth `scram`). */
  scramSecretArn?: string;
  /** JKS / PKCS#12 / PEM truststore file (TLS auths only). */
  truststore?: { location: string; password?: string; type?: TruststoreType };
  /** Signing region for `iam`; defaults to the region in the MSK broker host names. */
  region?: string;
}

const AWS_REGION = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;
const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/** Names used for the fields of a connection, so errors quote what the user wrote. */
export interface PropertyNames {
  brokers: string;
  auth: string;
  caPem: string;
  caLocation: string;
  truststoreLocation: string;
  truststorePassword: string;
  truststoreType: string;
  scramSecretArn: string;
  region: string;
}

/** Raw fields after the source-specific parsing, before the shared rules. */
export interface ConnectionFields {
  brokers: readonly string[];
  auth: KafkaAuth;
  caPem?: string | undefined;
  caLocation?: string | undefined;
  truststoreLocation?: string | undefined;
  truststorePassword?: string | undefined;
  truststoreType?: string | undefined;
  scramSecretArn?: string | undefined;
  region?: string | undefined;
}

function assertFile(location: string, property: string): void {
  let isFile = false;
  try {
    isFile = statSync(location).isFile();
  } catch (error) {
    throw new KafkaConfigError(property, `file '${location}' does not exist or cannot be read`, {
      cause: error,
    });
  }
  if (!isFile) {
    throw new KafkaConfigError(property, `'${location}' is not a file`);
  }
}

export function parseTruststoreType(value: string, property: string): TruststoreType {
  const upper = value.trim().toUpperCase();
  const type = upper === 'P12' || upper === 'PFX' ? 'PKCS12' : upper;
  if (!(TRUSTSTORE_TYPES as readonly string[]).includes(type)) {
    throw new KafkaConfigError(property, `'${value}' is not one of ${TRUSTSTORE_TYPES.join(', ')}`);
  }
  return type as TruststoreType;
}

/**
 * The rules every cluster description obeys, whatever its source. `names` maps each field to the
 * property name the user used, so the error names it.
 */
export function buildConnection(
  fields: ConnectionFields,
  names: PropertyNames,
  logger: Log = silentLog,
): ClusterConnection {
  const brokers = parseBrokerList(fields.brokers, names.brokers);
  const { auth } = fields;
  if (!KAFKA_AUTHS.includes(auth)) {
    throw new KafkaConfigError(names.auth, `'${String(auth)}' is not one of ${KAFKA_AUTHS.join(', ')}`);
  }

  // Trust: at most one source, and only where there is TLS to trust.
  const trustGiven = [
    fields.caPem !== undefined ? names.caPem : undefined,
    fields.caLocation !== undefined ? names.caLocation : undefined,
    fields.truststoreLocation !== undefined ? names.truststoreLocation : undefined,
  ].filter((name): name is string => name !== undefined);
  if (trustGiven.length > 1) {
    throw new KafkaConfigError(trustGiven[1] ?? names.caLocation, `set only one of ${trustGiven.join(', ')}`);
  }
  const trustOnly = [
    ...trustGiven,
    ...(fields.truststorePassword !== undefined ? [names.truststorePassword] : []),
    ...(fields.truststoreType !== undefined ? [names.truststoreType] : []),
  ];
  if (auth === 'none' && trustOnly.length > 0) {
    throw new KafkaConfigError(trustOnly[0] ?? names.caLocation, 'only used with TLS, but the connection is PLAINTEXT');
  }
  if (fields.truststoreLocation === undefined) {
    const orphan =
      fields.truststorePassword !== undefined
        ? names.truststorePassword
        : fields.truststoreType !== undefined
          ? names.truststoreType
          : undefined;
    if (orphan !== undefined) {
      throw new KafkaConfigError(orphan, `set without ${names.truststoreLocation}`);
    }
  }

  let trust: TrustSource | undefined;
  if (fields.caPem !== undefined) {
    if (!fields.caPem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new KafkaConfigError(names.caPem, 'is not a PEM certificate bundle (no BEGIN CERTIFICATE block)');
    }
    trust = { kind: 'pem', pem: fields.caPem, property: names.caPem };
  } else if (fields.caLocation !== undefined) {
    assertFile(fields.caLocation, names.caLocation);
    trust = {
      kind: 'file',
      location: fields.caLocation,
      type: 'PEM',
      locationProperty: names.caLocation,
      passwordProperty: names.truststorePassword,
    };
  } else if (fields.truststoreLocation !== undefined) {
    assertFile(fields.truststoreLocation, names.truststoreLocation);
    trust = {
      kind: 'file',
      location: fields.truststoreLocation,
      ...(fields.truststoreType !== undefined
        ? { type: parseTruststoreType(fields.truststoreType, names.truststoreType) }
        : {}),
      ...(fields.truststorePassword !== undefined ? { password: fields.truststorePassword } : {}),
      locationProperty: names.truststoreLocation,
      passwordProperty: names.truststorePassword,
    };
  }

  // SCRAM secret: required for scram, meaningless otherwise.
  let scramSecretArn: string | undefined;
  if (auth === 'scram') {
    const secret = fields.scramSecretArn;
    if (secret === undefined) {
      throw new KafkaConfigError(
        names.scramSecretArn,
        'required for SASL/SCRAM-SHA-512: the Secrets Manager secret holding {"username","password"}',
      );
    }
    if (secret.startsWith('arn:') ? !SECRET_ARN.test(secret) : !SECRET_NAME.test(secret)) {
      throw new KafkaConfigError(names.scramSecretArn, `'${secret}' is not a Secrets Manager secret ARN or name`);
    }
    const name = secret.startsWith('arn:') ? (secret.split(':secret:')[1] ?? '') : secret;
    if (!name.startsWith('AmazonMSK_')) {
      logger.warn('MSK only associates SCRAM secrets whose name starts with AmazonMSK_', {
        property: names.scramSecretArn,
        secret,
      });
    }
    scramSecretArn = secret;
  } else if (fields.scramSecretArn !== undefined) {
    throw new KafkaConfigError(names.scramSecretArn, 'only used with SASL/SCRAM-SHA-512 authentication');
  }

  // IAM region: given, or read off the MSK host names.
  let region: string | undefined;
  if (auth === 'iam') {
    region = fields.region ?? brokers.map((b) => regionFromMskHost(b.host)).find((r) => r !== undefined);
    if (region === undefined) {
      throw new KafkaConfigError(
        names.region,
        'required for IAM authentication (the region the auth token is signed for)',
      );
    }
    if (!AWS_REGION.test(region)) {
      throw new KafkaConfigError(names.region, `'${region}' is not an AWS region`);
    }
  }

  // MSK's ports are fixed per auth; a mismatch there is almost always a copy-paste slip. Other
  // hosts (self-hosted, the local dev cluster) use whatever ports they like.
  for (const broker of brokers) {
    if (regionFromMskHost(broker.host) !== undefined && !MSK_PORTS[auth].includes(broker.port)) {
      logger.warn('MSK broker port does not match the authentication', {
        property: names.brokers,
        broker: broker.text,
        auth,
        expectedPorts: MSK_PORTS[auth],
      });
    }
  }

  return {
    brokers: brokers.map((b) => b.text),
    auth,
    ...(trust ? { trust } : {}),
    ...(scramSecretArn !== undefined ? { scramSecretArn } : {}),
    ...(region !== undefined ? { region } : {}),
    propertyNames: { brokers: names.brokers, scramSecretArn: names.scramSecretArn, region: names.region },
  };
}

const DESCRIPTION_NAMES: PropertyNames = {
  brokers: 'brokers',
  auth: 'auth',
  caPem: 'caPem',
  caLocation: 'caLocation',
  truststoreLocation: 'truststore.location',
  truststorePassword: 'truststore.password',
  truststoreType: 'truststore.type',
  scramSecretArn: 'scramSecretArn',
  region: 'region',
};

/** Validates the typed description of the pipelines feature. */
export function createClusterConnection(
  description: ClusterDescription,
  options: { logger?: Log } = {},
): ClusterConnection {
  if (!Array.isArray(description.brokers)) {
    throw new KafkaConfigError('brokers', 'required: an array of host:port strings');
  }
  const { truststore } = description;
  if (truststore !== undefined && (typeof truststore.location !== 'string' || truststore.location.trim() === '')) {
    throw new KafkaConfigError('truststore.location', 'required when truststore is given');
  }
  return buildConnection(
    {
      brokers: description.brokers,
      auth: description.auth,
      caPem: description.caPem,
      truststoreLocation: truststore?.location,
      truststorePassword: truststore?.password,
      truststoreType: truststore?.type,
      scramSecretArn: description.scramSecretArn,
      region: description.region,
    },
    DESCRIPTION_NAMES,
    options.logger,
  );
}
