/**
 * SASL/SCRAM-SHA-512 credentials from AWS Secrets Manager, following MSK's convention: the secret
 * (name starting with `AmazonMSK_`, associated with the cluster) holds SecretString JSON
 * `{"username": "...", "password": "..."}`.
 *
 * The client is a parameter (tests pass a mocked SecretsManagerClient); the SDK command module is
 * imported on first use so clusters without SCRAM do not load it. Secret values never appear in
 * error messages or logs.
 */
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { KafkaConfigError, KafkaUnavailableError } from './errors.ts';

export interface ScramCredentials {
  username: string;
  password: string;
}

/** Secrets Manager errors that retrying will not fix: someone has to change the secret or IAM. */
const PERMANENT_ERRORS = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'DecryptionFailure',
  'InvalidParameterException',
  'InvalidRequestException',
]);

/**
 * Reads and validates the SCRAM credentials. Throws `KafkaConfigError` (naming `property`) when
 * the secret is missing, not readable with the caller's permissions or not shaped as MSK expects,
 * and `KafkaUnavailableError` (reason `credentials`) when Secrets Manager failed transiently.
 */
export async function fetchScramCredentials(
  client: SecretsManagerClient,
  secretId: string,
  property = 'KAFKA_SCRAM_SECRET_ARN',
): Promise<ScramCredentials> {
  const { GetSecretValueCommand } = await import('@aws-sdk/client-secrets-manager');
  let secretString: string | undefined;
  try {
    const output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    secretString = output.SecretString;
  } catch (error) {
    const name = error instanceof Error ? error.name : 'Error';
    const detail = error instanceof Error ? `${name}: ${error.message}` : String(error);
    if (PERMANENT_ERRORS.has(name)) {
      throw new KafkaConfigError(property, `cannot read secret '${secretId}' (${detail})`, { cause: error });
    }
    throw new KafkaUnavailableError(
      `Secrets Manager did not return the SCRAM secret '${secretId}' (${detail})`,
      'credentials',
      { cause: error },
    );
  }
  const expected = 'MSK expects SecretString JSON {"username","password"}';
  if (secretString === undefined) {
    throw new KafkaConfigError(property, `secret '${secretId}' has no SecretString; ${expected}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    // The parser's message quotes the text, which is the secret: do not pass it on.
    throw new KafkaConfigError(property, `secret '${secretId}' SecretString is not JSON; ${expected}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new KafkaConfigError(property, `secret '${secretId}' SecretString is not a JSON object; ${expected}`);
  }
  const { username, password } = parsed as Record<string, unknown>;
  for (const [field, value] of [
    ['username', username],
    ['password', password],
  ] as const) {
    if (typeof value !== 'string' || value === '') {
      throw new KafkaConfigError(property, `secret '${secretId}' has no non-empty string "${field}"; ${expected}`);
    }
  }
  return { username: username as string, password: password as string };
}
