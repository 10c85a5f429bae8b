/**
 * Resolves a validated `ClusterConnection` into the connection options of @platformatic/kafka
 * (`bootstrapBrokers`, `tls`, `sasl`): loads the TLS trust, fetches SCRAM credentials, wires the
 * IAM token provider. Asynchronous and done once per client, on first use.
 *
 * Credential problems surface here, before any broker is contacted, with the module's own errors:
 * a bad secret is a `KafkaConfigError`, not an anonymous "SASL authentication failed" later.
 */
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SASLOptions } from '@platformatic/kafka';
import { type ClusterConnection } from './config.ts';
import { silentLog, type Log } from '../logger.ts';
import { createIamTokenProvider, type MskIamSigner } from './iam.ts';
import { fetchScramCredentials } from './scram.ts';
import { loadTrustedCertificates } from './truststore.ts';

/** The ports the module needs; every one has a production default. */
export interface KafkaDeps {
  logger?: Log;
  /** Used for SCRAM; default: a SecretsManagerClient for the ambient region, created on demand. */
  secretsManager?: SecretsManagerClient;
  /** Used for IAM; default: aws-msk-iam-sasl-signer-js `generateAuthToken`. */
  iamSigner?: MskIamSigner;
}

/** The connection part of @platformatic/kafka's client options. */
export interface KafkaConnectionOptions {
  bootstrapBrokers: string[];
  tls?: TlsConnectionOptions;
  sasl?: SASLOptions;
}

let defaultSecretsManager: SecretsManagerClient | undefined;

async function secretsManagerFor(deps: KafkaDeps): Promise<SecretsManagerClient> {
  if (deps.secretsManager) {
    return deps.secretsManager;
  }
  if (!defaultSecretsManager) {
    const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
    defaultSecretsManager = new SecretsManagerClient({});
  }
  return defaultSecretsManager;
}

/** Builds the client connection options; throws KafkaConfigError / KafkaUnavailableError. */
export async function resolveConnectionOptions(
  conn: ClusterConnection,
  deps: KafkaDeps = {},
): Promise<KafkaConnectionOptions> {
  const logger = deps.logger ?? silentLog;
  const options: KafkaConnectionOptions = { bootstrapBrokers: [...conn.brokers] };
  if (conn.auth === 'none') {
    return options;
  }

  // Without a custom CA, Node's bundled roots apply: MSK's certificates chain to Amazon Trust
  // Services, so the default is right for MSK. A custom `ca` replaces the roots, as a Java
  // truststore does.
  options.tls = conn.trust ? { ca: await loadTrustedCertificates(conn.trust, logger) } : {};

  if (conn.auth === 'scram') {
    const secretId = conn.scramSecretArn ?? '';
    const { username, password } = await fetchScramCredentials(
      await secretsManagerFor(deps),
      secretId,
      conn.propertyNames.scramSecretArn,
    );
    options.sasl = { mechanism: 'SCRAM-SHA-512', username, password };
  } else if (conn.auth === 'iam') {
    const token = createIamTokenProvider(conn.region ?? '', deps.iamSigner ? { signer: deps.iamSigner } : {});
    // Sign once now: missing AWS credentials fail here with a clear error instead of as an
    // authentication failure on every broker connection.
    await token();
    options.sasl = { mechanism: 'OAUTHBEARER', token };
  }
  logger.debug('Kafka connection options resolved', {
    brokers: conn.brokers,
    auth: conn.auth,
    customCa: options.tls?.ca !== undefined,
  });
  return options;
}
