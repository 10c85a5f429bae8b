import { KafkaConfigError, parseClusterConfig, type ConfigSource } from '../../../functions/lib/kafka/index.ts';
import { fixture, recordingLogger, thrown, TLS_FIXTURES } from './helpers.ts';

const MSK = 'b-1.demo.abc123.c2.kafka.eu-west-1.amazonaws.com';
const MSK2 = 'b-2.demo.abc123.c2.kafka.eu-west-1.amazonaws.com';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:AmazonMSK_clickstream-AbCdEf';

/** Asserts a KafkaConfigError naming `property` whose message contains `text`. */
function expectConfigError(source: ConfigSource, property: string, text: string): KafkaConfigError {
  const error = thrown(() => parseClusterConfig(source));
  expect(error).toBeInstanceOf(KafkaConfigError);
  expect(error.name).toBe('KafkaConfigError');
  expect((error as KafkaConfigError).property).toBe(property);
  expect(error.message.startsWith(`${property}: `)).toBe(true);
  expect(error.message).toContain(text);
  return error as KafkaConfigError;
}

/** The env of a SASL_SSL connection to `brokers` with `mechanism`, before its credentials. */
const saslSsl = (brokers: string, mechanism: string) => ({
  KAFKA_BROKERS: brokers,
  KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
  KAFKA_SASL_MECHANISM: mechanism,
});

/** One test per row `[name, source, property, text]`: parsing `source` fails as `expectConfigError` says. */
function itRejects(rows: Array<[name: string, source: ConfigSource, property: string, text: string]>): void {
  it.each(rows)('%s', (_name, source, property, text) => {
    expectConfigError(source, property, text);
  });
}

describe('parseClusterConfig', () => {
  describe('bootstrap.servers / KAFKA_BROKERS', () => {
    it('reads a PLAINTEXT cluster from bootstrap.servers when security.protocol is absent', () => {
      const conn = parseClusterConfig({ 'bootstrap.servers': `${MSK}:9092,${MSK2}:9092` });
      expect(conn).toEqual({
        brokers: [`${MSK}:9092`, `${MSK2}:9092`],
        auth: 'none',
        propertyNames: {
          brokers: 'bootstrap.servers',
          scramSecretArn: 'KAFKA_SCRAM_SECRET_ARN',
          region: 'AWS_REGION',
        },
      });
    });

    it('reads KAFKA_BROKERS and records that name for later errors', () => {
      const conn = parseClusterConfig({ KAFKA_BROKERS: 'localhost:9092' });
      expect(conn.brokers).toEqual(['localhost:9092']);
      expect(conn.propertyNames.brokers).toBe('KAFKA_BROKERS');
    });

    it('trims entries, skips empty ones and drops duplicates in order', () => {
      const conn = parseClusterConfig({
        KAFKA_BROKERS: ' b:9093 , a:9092,, b:9093,10.0.0.1:9092,[::1]:9094 ',
      });
      expect(conn.brokers).toEqual(['b:9093', 'a:9092', '10.0.0.1:9092', '[::1]:9094']);
    });

    it('accepts both names when they agree', () => {
      const conn = parseClusterConfig({ 'bootstrap.servers': 'a:9092', KAFKA_BROKERS: 'a:9092' });
      expect(conn.brokers).toEqual(['a:9092']);
    });

    itRejects([
      ['treats an empty KAFKA_BROKERS as unset', { KAFKA_BROKERS: '  ' }, 'bootstrap.servers', 'required'],
      ['rejects a missing broker list naming bootstrap.servers', {}, 'bootstrap.servers', 'required'],
      [
        'rejects a bad entry under the env name when that is what was set',
        { KAFKA_BROKERS: 'ok:9092,b-1' },
        'KAFKA_BROKERS',
        "'b-1' is not host:port",
      ],
      [
        'rejects the two names when they disagree, showing both values',
        { 'bootstrap.servers': 'a:9092', KAFKA_BROKERS: 'b:9092' },
        'bootstrap.servers',
        "conflicts with KAFKA_BROKERS ('a:9092' vs 'b:9092')",
      ],
    ]);

    it('rejects a non-numeric port naming the property', () => {
      const error = expectConfigError({ 'bootstrap.servers': 'b-1:abc' }, 'bootstrap.servers', '');
      expect(error.message).toBe("bootstrap.servers: 'b-1:abc' is not host:port");
    });

    it.each([
      ['port 0', 'a:0'],
      ['port above 65535', 'a:65536'],
      ['a listener URL', 'PLAINTEXT://a:9092'],
      ['a bad host label', '-a:9092'],
      ['an unbracketed IPv6 address', '::1:9092'],
      ['a bracketed non-IPv6 host', '[abc]:9092'],
    ])('rejects %s', (_label, broker) => {
      expectConfigError({ 'bootstrap.servers': broker }, 'bootstrap.servers', 'is not host:port');
    });
  });

  describe('security.protocol / KAFKA_SECURITY_PROTOCOL', () => {
    it('maps SSL to tls auth with the default trust when no CA is configured', () => {
      const conn = parseClusterConfig({ KAFKA_BROKERS: `${MSK}:9094`, KAFKA_SECURITY_PROTOCOL: 'SSL' });
      expect(conn.auth).toBe('tls');
      expect(conn.trust).toBeUndefined();
    });

    it('accepts lower-case values', () => {
      expect(parseClusterConfig({ KAFKA_BROKERS: 'a:9094', 'security.protocol': 'ssl' }).auth).toBe('tls');
      expect(parseClusterConfig({ KAFKA_BROKERS: 'a:9092', 'security.protocol': 'plaintext' }).auth).toBe('none');
    });

    itRejects([
      [
        'rejects an unknown protocol naming the property used',
        { KAFKA_BROKERS: 'a:9092', KAFKA_SECURITY_PROTOCOL: 'TLS' },
        'KAFKA_SECURITY_PROTOCOL',
        "'TLS' is not one of PLAINTEXT, SSL, SASL_SSL",
      ],
      [
        'rejects SASL_PLAINTEXT explaining SASL needs TLS',
        { KAFKA_BROKERS: 'a:9092', 'security.protocol': 'SASL_PLAINTEXT' },
        'security.protocol',
        'SASL is supported over TLS only',
      ],
      [
        'rejects the two names when they disagree',
        { KAFKA_BROKERS: 'a:9092', 'security.protocol': 'SSL', KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT' },
        'security.protocol',
        'conflicts with KAFKA_SECURITY_PROTOCOL',
      ],
    ]);
  });

  describe('sasl.mechanism / KAFKA_SASL_MECHANISM', () => {
    it('maps SCRAM-SHA-512 to scram auth with the secret from KAFKA_SCRAM_SECRET_ARN', () => {
      const conn = parseClusterConfig({
        'bootstrap.servers': `${MSK}:9096`,
        'security.protocol': 'SASL_SSL',
        'sasl.mechanism': 'SCRAM-SHA-512',
        KAFKA_SCRAM_SECRET_ARN: SECRET_ARN,
      });
      expect(conn).toMatchObject({ auth: 'scram', scramSecretArn: SECRET_ARN });
      expect(conn.region).toBeUndefined();
    });

    it.each(['AWS_MSK_IAM', 'OAUTHBEARER', 'aws_msk_iam'])('maps %s to iam auth signed for AWS_REGION', (mechanism) => {
      const conn = parseClusterConfig({
        ...saslSsl('kafka.internal:9098', mechanism),
        AWS_REGION: 'us-east-1',
      });
      expect(conn).toMatchObject({ auth: 'iam', region: 'us-east-1' });
    });

    it('takes the IAM region from the MSK broker host names when AWS_REGION is absent', () => {
      const conn = parseClusterConfig(saslSsl(`${MSK}:9098`, 'AWS_MSK_IAM'));
      expect(conn.region).toBe('eu-west-1');
    });

    it('accepts the Java-only IAM properties of MSK client.properties and ignores them', () => {
      const conn = parseClusterConfig({
        'bootstrap.servers': `${MSK}:9098`,
        'security.protocol': 'SASL_SSL',
        'sasl.mechanism': 'AWS_MSK_IAM',
        'sasl.jaas.config': 'software.amazon.msk.auth.iam.IAMLoginModule required;',
        'sasl.client.callback.handler.class': 'software.amazon.msk.auth.iam.IAMClientCallbackHandler',
        'ssl.endpoint.identification.algorithm': 'https',
      });
      expect(conn.auth).toBe('iam');
    });

    itRejects([
      [
        'rejects SASL_SSL without a mechanism',
        { KAFKA_BROKERS: 'a:9096', KAFKA_SECURITY_PROTOCOL: 'SASL_SSL' },
        'sasl.mechanism',
        'required with KAFKA_SECURITY_PROTOCOL=SASL_SSL',
      ],
      [
        'rejects an unsupported mechanism naming the env property used',
        { KAFKA_BROKERS: 'a:9096', KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256' },
        'KAFKA_SASL_MECHANISM',
        "'SCRAM-SHA-256' is not one of SCRAM-SHA-512, AWS_MSK_IAM, OAUTHBEARER",
      ],
      [
        'rejects a mechanism when the protocol is not SASL_SSL',
        { KAFKA_BROKERS: 'a:9094', 'security.protocol': 'SSL', 'sasl.mechanism': 'SCRAM-SHA-512' },
        'sasl.mechanism',
        'only used with security.protocol=SASL_SSL, but it is SSL',
      ],
      [
        'rejects a mechanism when the protocol defaulted to PLAINTEXT',
        { KAFKA_BROKERS: 'a:9098', KAFKA_SASL_MECHANISM: 'AWS_MSK_IAM' },
        'KAFKA_SASL_MECHANISM',
        'but it is PLAINTEXT (the default)',
      ],
    ]);
  });

  describe('KAFKA_SCRAM_SECRET_ARN', () => {
    const scram = saslSsl('a:9096', 'SCRAM-SHA-512');

    itRejects([
      ['is required for SCRAM', scram, 'KAFKA_SCRAM_SECRET_ARN', 'required for SASL/SCRAM-SHA-512'],
      [
        'rejects a secret when the auth is not SCRAM',
        { KAFKA_BROKERS: 'a:9094', KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SCRAM_SECRET_ARN: SECRET_ARN },
        'KAFKA_SCRAM_SECRET_ARN',
        'only used with SASL/SCRAM-SHA-512',
      ],
    ]);

    it('accepts a secret name instead of an ARN', () => {
      expect(parseClusterConfig({ ...scram, KAFKA_SCRAM_SECRET_ARN: 'AmazonMSK_clickstream' }).scramSecretArn).toBe(
        'AmazonMSK_clickstream',
      );
    });

    it('rejects something that is neither an ARN nor a name', () => {
      expectConfigError(
        { ...scram, KAFKA_SCRAM_SECRET_ARN: 'arn:aws:s3:::bucket' },
        'KAFKA_SCRAM_SECRET_ARN',
        "'arn:aws:s3:::bucket' is not a Secrets Manager secret ARN or name",
      );
      expectConfigError(
        { ...scram, KAFKA_SCRAM_SECRET_ARN: 'has spaces in it' },
        'KAFKA_SCRAM_SECRET_ARN',
        'is not a Secrets Manager secret ARN or name',
      );
    });

    it('warns when the secret name lacks the AmazonMSK_ prefix MSK requires', () => {
      const { logger, entries } = recordingLogger();
      parseClusterConfig(
        {
          ...scram,
          KAFKA_SCRAM_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kafka-creds-AbCdEf',
        },
        { logger },
      );
      expect(entries).toEqual([
        expect.objectContaining({ level: 'warn', message: expect.stringContaining('AmazonMSK_') }),
      ]);
    });
  });

  describe('AWS_REGION', () => {
    const iam = saslSsl('kafka.internal:9098', 'AWS_MSK_IAM');

    itRejects([
      [
        'is required for IAM when the brokers are not MSK host names',
        iam,
        'AWS_REGION',
        'required for IAM authentication',
      ],
      [
        'rejects something that is not a region',
        { ...iam, AWS_REGION: 'Ireland' },
        'AWS_REGION',
        "'Ireland' is not an AWS region",
      ],
    ]);

    it('is ignored for other auths (Lambda always sets it)', () => {
      expect(parseClusterConfig({ KAFKA_BROKERS: 'a:9092', AWS_REGION: 'eu-west-1' }).region).toBeUndefined();
    });
  });

  describe('TLS trust properties', () => {
    const ssl = { 'bootstrap.servers': 'a:9094', 'security.protocol': 'SSL' };

    it('reads ssl.ca.location as a PEM bundle file', () => {
      const conn = parseClusterConfig({ ...ssl, 'ssl.ca.location': fixture('ca-bundle.pem') });
      expect(conn.trust).toEqual({
        kind: 'file',
        location: fixture('ca-bundle.pem'),
        type: 'PEM',
        locationProperty: 'ssl.ca.location',
        passwordProperty: 'ssl.truststore.password',
      });
    });

    it('reads KAFKA_CA_LOCATION', () => {
      const conn = parseClusterConfig({ ...ssl, KAFKA_CA_LOCATION: fixture('ca.pem') });
      expect(conn.trust).toMatchObject({
        kind: 'file',
        location: fixture('ca.pem'),
        locationProperty: 'KAFKA_CA_LOCATION',
      });
    });

    it('reads a truststore with its password and type', () => {
      const conn = parseClusterConfig({
        ...ssl,
        'ssl.truststore.location': fixture('truststore.jks'),
        'ssl.truststore.password': 'changeit',
        'ssl.truststore.type': 'jks',
      });
      expect(conn.trust).toEqual({
        kind: 'file',
        location: fixture('truststore.jks'),
        type: 'JKS',
        password: 'changeit',
        locationProperty: 'ssl.truststore.location',
        passwordProperty: 'ssl.truststore.password',
      });
    });

    it('reads the env names of the truststore settings, with SASL_SSL too', () => {
      const conn = parseClusterConfig({
        ...saslSsl('a:9096', 'SCRAM-SHA-512'),
        KAFKA_SCRAM_SECRET_ARN: SECRET_ARN,
        KAFKA_TRUSTSTORE_LOCATION: fixture('truststore.p12'),
        KAFKA_TRUSTSTORE_PASSWORD: 'changeit',
        KAFKA_TRUSTSTORE_TYPE: 'PKCS12',
      });
      expect(conn.trust).toMatchObject({
        location: fixture('truststore.p12'),
        type: 'PKCS12',
        password: 'changeit',
        locationProperty: 'KAFKA_TRUSTSTORE_LOCATION',
        passwordProperty: 'KAFKA_TRUSTSTORE_PASSWORD',
      });
    });

    itRejects([
      [
        'rejects a truststore file that does not exist, naming the property',
        { ...ssl, 'ssl.truststore.location': '/nonexistent/truststore.jks' },
        'ssl.truststore.location',
        "file '/nonexistent/truststore.jks' does not exist",
      ],
      [
        'rejects a CA location that is a directory',
        { ...ssl, KAFKA_CA_LOCATION: TLS_FIXTURES },
        'KAFKA_CA_LOCATION',
        'is not a file',
      ],
      [
        'rejects an unknown truststore type',
        { ...ssl, 'ssl.truststore.location': fixture('truststore.jks'), 'ssl.truststore.type': 'JCEKS' },
        'ssl.truststore.type',
        "'JCEKS' is not one of JKS, PKCS12, PEM",
      ],
      [
        'rejects a password without a truststore location',
        { ...ssl, 'ssl.truststore.password': 'changeit' },
        'ssl.truststore.password',
        'set without ssl.truststore.location',
      ],
      [
        'rejects a type without a truststore location',
        { ...ssl, KAFKA_TRUSTSTORE_TYPE: 'JKS' },
        'KAFKA_TRUSTSTORE_TYPE',
        'set without ssl.truststore.location',
      ],
      [
        'rejects both a CA bundle and a truststore',
        { ...ssl, 'ssl.ca.location': fixture('ca.pem'), 'ssl.truststore.location': fixture('truststore.jks') },
        'ssl.truststore.location',
        'set only one of ssl.ca.location, ssl.truststore.location',
      ],
    ]);

    it.each([
      ['ssl.truststore.location', fixture('truststore.jks')],
      ['KAFKA_CA_LOCATION', fixture('ca.pem')],
      ['ssl.truststore.password', 'changeit'],
    ])('rejects %s on a PLAINTEXT connection', (property, value) => {
      expectConfigError(
        { KAFKA_BROKERS: 'a:9092', [property]: value },
        property,
        'only used with security.protocol=SSL or SASL_SSL',
      );
    });

    it('never shows truststore passwords when the two names disagree', () => {
      const error = expectConfigError(
        {
          ...ssl,
          'ssl.truststore.location': fixture('truststore.jks'),
          'ssl.truststore.password': 'first-secret',
          KAFKA_TRUSTSTORE_PASSWORD: 'second-secret',
        },
        'ssl.truststore.password',
        'conflicts with KAFKA_TRUSTSTORE_PASSWORD',
      );
      expect(error.message).not.toContain('first-secret');
      expect(error.message).not.toContain('second-secret');
    });
  });

  describe('unknown and unsupported properties', () => {
    const ssl = { 'bootstrap.servers': 'a:9094', 'security.protocol': 'SSL' };

    itRejects([
      [
        'rejects a misspelt ssl.* property listing the supported ones',
        { ...ssl, 'ssl.trustore.location': fixture('truststore.jks') },
        'ssl.trustore.location',
        'unknown property; supported: bootstrap.servers, security.protocol',
      ],
      [
        'rejects client keystores (mutual TLS)',
        { ...ssl, 'ssl.keystore.location': '/etc/kafka/client.jks' },
        'ssl.keystore.location',
        'mutual TLS',
      ],
      [
        'rejects turning off host name verification',
        { ...ssl, 'ssl.endpoint.identification.algorithm': '' },
        'ssl.endpoint.identification.algorithm',
        'only https',
      ],
    ]);

    it('rejects inline SCRAM credentials without echoing them', () => {
      const error = expectConfigError(
        {
          ...ssl,
          'security.protocol': 'SASL_SSL',
          'sasl.mechanism': 'SCRAM-SHA-512',
          KAFKA_SCRAM_SECRET_ARN: SECRET_ARN,
          'sasl.jaas.config':
            'org.apache.kafka.common.security.scram.ScramLoginModule required username="alice" password="s3cret";',
        },
        'sasl.jaas.config',
        'store them in a Secrets Manager secret',
      );
      expect(error.message).not.toContain('s3cret');
    });

    it('ignores unrelated keys such as the rest of process.env', () => {
      expect(
        parseClusterConfig({
          KAFKA_BROKERS: 'a:9092',
          PATH: '/usr/bin',
          KAFKA_TOPIC: 'events',
          'client.id': 'x',
        }).brokers,
      ).toEqual(['a:9092']);
    });
  });

  describe('MSK port check', () => {
    it('warns, without failing, when an MSK broker port does not match the protocol', () => {
      const { logger, entries } = recordingLogger();
      const conn = parseClusterConfig(
        { KAFKA_BROKERS: `${MSK}:9094,${MSK2}:9092`, KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT' },
        { logger },
      );
      expect(conn.brokers).toHaveLength(2);
      expect(entries).toEqual([
        {
          level: 'warn',
          message: 'MSK broker port does not match the authentication',
          extra: { property: 'KAFKA_BROKERS', broker: `${MSK}:9094`, auth: 'none', expectedPorts: [9092] },
        },
      ]);
    });

    it.each([
      ['PLAINTEXT', undefined, 9092],
      ['SSL', undefined, 9094],
      ['SASL_SSL', 'SCRAM-SHA-512', 9096],
      ['SASL_SSL', 'AWS_MSK_IAM', 9098],
    ])('stays quiet for %s %s on MSK port %i', (protocol, mechanism, port) => {
      const { logger, entries } = recordingLogger();
      parseClusterConfig(
        {
          KAFKA_BROKERS: `${MSK}:${port}`,
          KAFKA_SECURITY_PROTOCOL: protocol,
          ...(mechanism ? { KAFKA_SASL_MECHANISM: mechanism } : {}),
          KAFKA_SCRAM_SECRET_ARN: mechanism === 'SCRAM-SHA-512' ? SECRET_ARN : undefined,
        },
        { logger },
      );
      expect(entries.filter((e) => e.level === 'warn')).toEqual([]);
    });

    it('does not judge ports of non-MSK hosts (the local cluster uses 9092-9094 for PLAINTEXT)', () => {
      const { logger, entries } = recordingLogger();
      parseClusterConfig({ KAFKA_BROKERS: 'localhost:9092,localhost:9093,localhost:9094' }, { logger });
      expect(entries).toEqual([]);
    });
  });
});
