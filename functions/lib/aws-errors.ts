/**
 * The one answer to "may this failed AWS call succeed if made again?", used by the sink's
 * Firehose writer, the admin API's workflow start and the workflow tasks.
 *
 * It is the AWS SDK's own classification (`@smithy/core/retry`: throttling names and 429,
 * `$retryable` traits, timeouts, Node network codes, 500/502/503/504, any other 5xx) with the
 * project's additions on top: the "try later" names of the services we call that the SDK does
 * not list (they arrive with a 5xx in production, but not always from other endpoints), a
 * server `$fault`, and two more socket codes.
 */
import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';

/** The fields of an AWS SDK v3 (or Node transport) error the classification reads. */
export interface SdkErrorShape {
  name?: string;
  code?: string;
  message?: string;
  $fault?: string;
  $retryable?: { throttling?: boolean };
  $metadata?: { httpStatusCode?: number };
}

/** Service error names (and socket codes) meaning "try later" that the SDK's lists lack. */
const PROJECT_TRANSIENT = new Set([
  'ServiceUnavailableException',
  'ServiceUnavailable',
  'ServiceException',
  'InternalServerErrorException',
  'InternalServerException',
  'InternalServerError',
  'InternalFailure',
  'InternalFailureException',
  'InternalError',
  // Step Functions: too many running executions; frees up as executions end.
  'ExecutionLimitExceeded',
  'NetworkingError',
  'ECONNABORTED',
]);

function shapeOf(error: unknown): SdkErrorShape | undefined {
  return typeof error === 'object' && error !== null ? (error as SdkErrorShape) : undefined;
}

/** Whether an AWS SDK (or transport) error may succeed when the same call is made again. */
export function isTransientAwsError(error: unknown): boolean {
  const e = shapeOf(error);
  if (e === undefined) return false;
  // The SDK classifiers read `name`/`$metadata` directly; they type the error as SdkError.
  const sdk = e as Parameters<typeof isTransientError>[0];
  if (isThrottlingError(sdk) || isTransientError(sdk) || isServerError(sdk)) return true;
  if (e.$fault === 'server') return true;
  return (
    (e.name !== undefined && PROJECT_TRANSIENT.has(e.name)) || (e.code !== undefined && PROJECT_TRANSIENT.has(e.code))
  );
}

/**
 * Whether a call failed without any answer from the service: no HTTP status and no service fault
 * (a socket error, DNS, an abort on our own deadline). Whether it was applied is unknown; callers
 * whose request is safe to send again treat it as transient. Programming errors are not this.
 */
export function isUnansweredCall(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError) return false;
  const e = shapeOf(error) ?? {};
  return e.$metadata?.httpStatusCode === undefined && e.$fault === undefined;
}

/** The service's error name (`ResourceNotFoundException`), or `Error`. */
export function awsErrorName(error: unknown): string {
  const name = shapeOf(error)?.name;
  return typeof name === 'string' && name !== '' ? name : 'Error';
}
