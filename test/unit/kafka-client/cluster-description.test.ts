import {
  createClusterConnection,
  KafkaConfigError,
  type ClusterDescription,
} from '../../../functions/lib/kafka/index.ts';
import { fixture, thrown } from './helpers.ts';

function expectConfigError(description: ClusterDescription, property: string, text: string): void {
  const error = thrown(() => createClusterConnection(description));
  expect(error).toBeInstanceOf(KafkaConfigError);
  expect((error as KafkaConfigError).property).toBe(property);
  expect(error.message).toContain(`${property}: `);
  expect(error.message).toContain(text);
}

describe('createClusterConnection', () => {
  it('builds a PLAINTEXT connection', () => {
    expect(createClusterConnection({ brokers: ['a:9092', 'b:9092'], auth: 'none' })).toEqual({
      brokers: ['a:9092', 'b:9092'],
      auth: 'none',
      propertyNames: { brokers: 'brokers', scramSecretArn: 'scramSecretArn', region: 'region' },
    });
  });

  it('keeps an inline PEM CA for tls', () => {
    const caPem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    expect(createClusterConnection({ brokers: ['a:9094'], auth: 'tls', caPem }).trust).toEqual({
      kind: 'pem',
      pem: caPem,
      property: 'caPem',
    });
  });

  it('keeps a truststore for scram together with the secret', () => {
    const conn = createClusterConnection({
      brokers: ['a:9096'],
      auth: 'scram',
      scramSecretArn: 'AmazonMSK_x',
      truststore: { location: fixture('truststore.p12'), password: 'changeit', type: 'PKCS12' },
    });
    expect(conn).toMatchObject({
      auth: 'scram',
      scramSecretArn: 'AmazonMSK_x',
      trust: {
        kind: 'file',
        location: fixture('truststore.p12'),
        type: 'PKCS12',
        password: 'changeit',
        locationProperty: 'truststore.location',
        passwordProperty: 'truststore.password',
      },
    });
  });

  it('uses the given region for iam', () => {
    expect(createClusterConnection({ brokers: ['a:9098'], auth: 'iam', region: 'ap-southeast-2' }).region).toBe(
      'ap-southeast-2',
    );
  });

  it.each<[name: string, description: ClusterDescription, property: string, text: string]>([
    [
      'rejects a broker list that is not an array',
      { brokers: 'a:9092' as unknown as string[], auth: 'none' },
      'brokers',
      'array of host:port',
    ],
    [
      'rejects a bad broker naming brokers',
      { brokers: ['b-1:abc'], auth: 'none' },
      'brokers',
      "'b-1:abc' is not host:port",
    ],
    ['rejects an empty broker list', { brokers: [], auth: 'none' }, 'brokers', 'required'],
    [
      'rejects an unknown auth',
      { brokers: ['a:9092'], auth: 'kerberos' as ClusterDescription['auth'] },
      'auth',
      "'kerberos' is not one of none, tls, scram, iam",
    ],
    [
      'rejects a CA on a PLAINTEXT connection',
      { brokers: ['a:9092'], auth: 'none', caPem: '-----BEGIN CERTIFICATE-----' },
      'caPem',
      'only used with TLS',
    ],
    [
      'rejects caPem that is not PEM',
      { brokers: ['a:9094'], auth: 'tls', caPem: 'MIIB...' },
      'caPem',
      'is not a PEM certificate bundle',
    ],
    [
      'rejects both caPem and a truststore',
      {
        brokers: ['a:9094'],
        auth: 'tls',
        caPem: '-----BEGIN CERTIFICATE-----',
        truststore: { location: fixture('truststore.jks') },
      },
      'truststore.location',
      'set only one of caPem, truststore.location',
    ],
    [
      'rejects a truststore without a location',
      { brokers: ['a:9094'], auth: 'tls', truststore: { location: '' } },
      'truststore.location',
      'required',
    ],
    [
      'rejects a missing truststore file',
      { brokers: ['a:9094'], auth: 'tls', truststore: { location: '/nope.jks' } },
      'truststore.location',
      "file '/nope.jks' does not exist",
    ],
    ['rejects scram without a secret', { brokers: ['a:9096'], auth: 'scram' }, 'scramSecretArn', 'required'],
    [
      'rejects a secret on a tls connection',
      { brokers: ['a:9094'], auth: 'tls', scramSecretArn: 'AmazonMSK_x' },
      'scramSecretArn',
      'only used with SASL/SCRAM-SHA-512',
    ],
    [
      'rejects iam without a region on non-MSK hosts',
      { brokers: ['kafka.internal:9098'], auth: 'iam' },
      'region',
      'required',
    ],
  ])('%s', (_name, description, property, text) => {
    expectConfigError(description, property, text);
  });
});
