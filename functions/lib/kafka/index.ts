/**
 * The project's one Kafka client module: cluster description in, @platformatic/kafka clients out.
 * See docs/kafka-client.md.
 */
export { KafkaConfigError, KafkaUnavailableError, type KafkaUnavailableReason } from './errors.ts';
export {
  createClusterConnection,
  type ClusterConnection,
  type ClusterDescription,
  type KafkaAuth,
  type TrustSource,
  type TruststoreType,
} from './config.ts';
export { MSK_PORTS } from './broker-address.ts';
export { parseClusterConfig, SUPPORTED_PROPERTIES, type ConfigSource } from './config-properties.ts';
export { loadTrustedCertificates } from './truststore.ts';
export { fetchScramCredentials, type ScramCredentials } from './scram.ts';
export { createIamTokenProvider, defaultMskIamSigner, type MskAuthToken, type MskIamSigner } from './iam.ts';
export { resolveConnectionOptions, type KafkaConnectionOptions, type KafkaDeps } from './client-options.ts';
export {
  createEventProducer,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_SEND_TIMEOUT_MS,
  splitByBytes,
  type Compression,
  type EventProducer,
  type EventProducerOptions,
  type EventRecord,
  type ProducerPort,
} from './producer.ts';
export { clusterKey, createProducerPool, type ProducerPool, type ProducerPoolOptions } from './producer-pool.ts';
export { keyPartitioner, murmur2 } from './murmur2.ts';
export { createAdmin, type ClientFactoryOptions } from './clients.ts';
