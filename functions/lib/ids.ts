/**
 * Identifier rules the admin API's schema, the workflow tasks, the ingest and the sink all apply:
 * one definition each, so the API cannot accept what a later step rejects.
 */

/** An app id: what the ingest accepts, the registry routes, and the sink writes as an S3 path segment. */
export const APP_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/**
 * A Secrets Manager secret ARN. The resource part is the secret's name followed by `-` and the six
 * random characters Secrets Manager appends; an ARN without them is a partial ARN, which MSK and
 * Lambda event source mappings do not accept.
 */
export const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z]{2}(?:-[a-z]+)+-\d+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;

/** MSK associates only SCRAM secrets whose name starts with `AmazonMSK_` (and the stack's roles read only those). */
export const MSK_SCRAM_SECRET_PREFIX = 'AmazonMSK_';

/** The secret name inside a secret ARN (random suffix included), or undefined for anything else. */
export function secretNameOf(arn: string): string | undefined {
  return SECRET_ARN.test(arn) ? arn.slice(arn.indexOf(':secret:') + ':secret:'.length) : undefined;
}

/** Whether `arn` is a secret ARN MSK can associate with a cluster for SASL/SCRAM. */
export function isMskScramSecretArn(arn: string): boolean {
  return secretNameOf(arn)?.startsWith(MSK_SCRAM_SECRET_PREFIX) === true;
}
