/**
 * Reads a cluster description from Kafka client property names (`bootstrap.servers`,
 * `security.protocol`, ... as Kafka-Dispatcher-style and Java client setups write them) and/or
 * environment-style names (`KAFKA_BROKERS`, ...), so the same module serves a Lambda's environment
 * and a copied `client.properties`.
 *
 * Strict on purpose: a misspelt `ssl.*` / `sasl.*` / `security.*` key, a property that only makes
 * sense with another protocol, or two spellings that disagree are errors, not silently ignored
 * settings that surface later as a TLS or authentication failure on the wire.
 */
import { KafkaConfigError } from './errors.ts';
import { buildConnection, type ClusterConnection, type KafkaAuth, type PropertyNames } from './config.ts';
import { silentLog, type Log } from '../logger.ts';

export type ConfigSource = Readonly<Record<string, string | undefined>>;

/** Each setting with its property name and its environment name. */
const KEYS = {
  brokers: ['bootstrap.servers', 'KAFKA_BROKERS'],
  protocol: ['security.protocol', 'KAFKA_SECURITY_PROTOCOL'],
  mechanism: ['sasl.mechanism', 'KAFKA_SASL_MECHANISM'],
  truststoreLocation: ['ssl.truststore.location', 'KAFKA_TRUSTSTORE_LOCATION'],
  truststorePassword: ['ssl.truststore.password', 'KAFKA_TRUSTSTORE_PASSWORD'],
  truststoreType: ['ssl.truststore.type', 'KAFKA_TRUSTSTORE_TYPE'],
  caLocation: ['ssl.ca.location', 'KAFKA_CA_LOCATION'],
  scramSecretArn: [undefined, 'KAFKA_SCRAM_SECRET_ARN'],
  region: [undefined, 'AWS_REGION'],
} as const satisfies Record<string, readonly [string | undefined, string]>;

type Setting = keyof typeof KEYS;

/** Every property-style name this module understands. */
export const SUPPORTED_PROPERTIES: readonly string[] = Object.values(KEYS)
  .map(([property]) => property)
  .filter((property): property is NonNullable<typeof property> => property !== undefined);

/** Java-client settings that carry no meaning here and are accepted when they say the default. */
const JAVA_ONLY: Readonly<Record<string, (value: string) => boolean>> = {
  // MSK's IAM client.properties: the Java login module and callback handler of aws-msk-iam-auth.
  'sasl.jaas.config': (value) => value.includes('IAMLoginModule'),
  'sasl.client.callback.handler.class': (value) => value.includes('IAMClientCallbackHandler'),
  // Host name verification on, which is what Node does anyway.
  'ssl.endpoint.identification.algorithm': (value) => value.trim().toLowerCase() === 'https',
};

const UNSUPPORTED_HINTS: Readonly<Record<string, string>> = {
  'sasl.jaas.config':
    'inline SASL credentials are not supported: store them in a Secrets Manager secret ({"username","password"}) and set KAFKA_SCRAM_SECRET_ARN',
  'sasl.client.callback.handler.class':
    'only the aws-msk-iam-auth IAMClientCallbackHandler is understood (and ignored); IAM auth is built in',
  'ssl.endpoint.identification.algorithm': 'only https (host name verification on) is supported',
  'ssl.keystore.location': 'client certificates (mutual TLS) are not supported; use SASL/SCRAM or IAM',
  'ssl.keystore.password': 'client certificates (mutual TLS) are not supported; use SASL/SCRAM or IAM',
  'ssl.keystore.type': 'client certificates (mutual TLS) are not supported; use SASL/SCRAM or IAM',
  'ssl.key.password': 'client certificates (mutual TLS) are not supported; use SASL/SCRAM or IAM',
};

interface Picked {
  value: string | undefined;
  /** The name the value came from (the property name when neither is set). */
  name: string;
}

/** Reads a setting under either name; empty strings count as unset; both set must agree. */
function pick(source: ConfigSource, setting: Setting, secret = false): Picked {
  const [property, env] = KEYS[setting];
  const fromProperty = property !== undefined ? source[property]?.trim() || undefined : undefined;
  const fromEnv = source[env]?.trim() || undefined;
  if (fromProperty !== undefined && fromEnv !== undefined && fromProperty !== fromEnv) {
    const shown = secret ? '' : ` ('${fromProperty}' vs '${fromEnv}')`;
    throw new KafkaConfigError(property ?? env, `conflicts with ${env}${shown}; set one of them`);
  }
  if (fromProperty !== undefined) {
    return { value: fromProperty, name: property ?? env };
  }
  return { value: fromEnv, name: fromEnv !== undefined ? env : (property ?? env) };
}

function checkUnknownProperties(source: ConfigSource, mechanism: string | undefined, logger: Log): void {
  for (const [key, raw] of Object.entries(source)) {
    if (!/^(ssl|sasl|security)\./.test(key) || SUPPORTED_PROPERTIES.includes(key) || raw === undefined) {
      continue;
    }
    const accept = JAVA_ONLY[key];
    if (accept && accept(raw) && (key !== 'sasl.jaas.config' || mechanism === 'iam')) {
      logger.debug('Ignoring a Java-client-only Kafka property', { property: key });
      continue;
    }
    const hint = UNSUPPORTED_HINTS[key] ?? `unknown property; supported: ${SUPPORTED_PROPERTIES.join(', ')}`;
    throw new KafkaConfigError(key, hint);
  }
}

const PROTOCOLS = ['PLAINTEXT', 'SSL', 'SASL_SSL'] as const;
const MECHANISMS: Readonly<Record<string, 'scram' | 'iam'>> = {
  'SCRAM-SHA-512': 'scram',
  AWS_MSK_IAM: 'iam',
  OAUTHBEARER: 'iam',
};

/**
 * Parses and validates a cluster description from property or environment names; throws
 * `KafkaConfigError` naming the first bad property. Pass `process.env`, a parsed
 * `client.properties`, or both merged.
 */
export function parseClusterConfig(source: ConfigSource, options: { logger?: Log } = {}): ClusterConnection {
  const logger = options.logger ?? silentLog;
  const brokers = pick(source, 'brokers');
  const protocol = pick(source, 'protocol');
  const mechanism = pick(source, 'mechanism');
  const truststoreLocation = pick(source, 'truststoreLocation');
  const truststorePassword = pick(source, 'truststorePassword', true);
  const truststoreType = pick(source, 'truststoreType');
  const caLocation = pick(source, 'caLocation');
  const scramSecretArn = pick(source, 'scramSecretArn');
  const region = pick(source, 'region');

  if (brokers.value === undefined) {
    throw new KafkaConfigError('bootstrap.servers', 'required (or KAFKA_BROKERS): comma-separated host:port list');
  }

  const protocolValue = (protocol.value ?? 'PLAINTEXT').toUpperCase();
  if (!(PROTOCOLS as readonly string[]).includes(protocolValue)) {
    const hint = protocolValue === 'SASL_PLAINTEXT' ? ' (SASL is supported over TLS only: SASL_SSL)' : '';
    throw new KafkaConfigError(protocol.name, `'${protocol.value}' is not one of ${PROTOCOLS.join(', ')}${hint}`);
  }
  const protocolText = protocol.value === undefined ? 'PLAINTEXT (the default)' : protocolValue;

  let auth: KafkaAuth;
  if (protocolValue === 'SASL_SSL') {
    if (mechanism.value === undefined) {
      throw new KafkaConfigError(
        mechanism.name,
        `required with ${protocol.name}=SASL_SSL: one of ${Object.keys(MECHANISMS).join(', ')}`,
      );
    }
    const kind = MECHANISMS[mechanism.value.toUpperCase()];
    if (kind === undefined) {
      throw new KafkaConfigError(
        mechanism.name,
        `'${mechanism.value}' is not one of ${Object.keys(MECHANISMS).join(', ')}`,
      );
    }
    auth = kind;
  } else {
    if (mechanism.value !== undefined) {
      throw new KafkaConfigError(
        mechanism.name,
        `only used with security.protocol=SASL_SSL, but it is ${protocolText}`,
      );
    }
    auth = protocolValue === 'SSL' ? 'tls' : 'none';
  }
  if (auth === 'none') {
    const tlsOnly = [caLocation, truststoreLocation, truststorePassword, truststoreType].find(
      (p) => p.value !== undefined,
    );
    if (tlsOnly) {
      throw new KafkaConfigError(
        tlsOnly.name,
        `only used with security.protocol=SSL or SASL_SSL, but it is ${protocolText}`,
      );
    }
  }
  checkUnknownProperties(source, auth, logger);

  const names: PropertyNames = {
    brokers: brokers.name,
    auth: protocol.name,
    caPem: caLocation.name,
    caLocation: caLocation.name,
    truststoreLocation: truststoreLocation.name,
    truststorePassword: truststorePassword.name,
    truststoreType: truststoreType.name,
    scramSecretArn: scramSecretArn.name,
    region: region.name,
  };
  return buildConnection(
    {
      brokers: brokers.value.split(','),
      auth,
      caLocation: caLocation.value,
      truststoreLocation: truststoreLocation.value,
      truststorePassword: truststorePassword.value,
      truststoreType: truststoreType.value,
      scramSecretArn: scramSecretArn.value,
      // AWS_REGION is ambient in Lambda; it only means something for IAM.
      region: auth === 'iam' ? region.value : undefined,
    },
    names,
    logger,
  );
}
