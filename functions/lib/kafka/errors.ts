/**
 * The two ways the Kafka client module fails (NamedError: `name` is the class name, which the
 * ingest handler and the workflow's failure reasons show):
 *
 * - `KafkaConfigError`: the cluster description is wrong (a property, a truststore, a secret).
 *   Permanent: retrying does not help, a person has to fix the configuration named in `property`.
 * - `KafkaUnavailableError`: Kafka (or what is needed to reach it) did not take the request in
 *   time. Transient as far as the caller can tell: answer 503 / retry with backoff. `reason` says
 *   which kind of failure, `cause` carries the client's own error for the logs.
 */
import { NamedError } from '../errors.ts';

/** Raised when a cluster description cannot be used; the message starts with the property name. */
export class KafkaConfigError extends NamedError {
  /** The configuration property at fault, as the user spelled it (e.g. `ssl.truststore.password`). */
  readonly property: string;

  constructor(property: string, problem: string, options?: { cause?: unknown }) {
    super(`${property}: ${problem}`, options);
    this.property = property;
  }
}

/**
 * - `timeout`: no acknowledgement within the deadline (broker slow, hung, or black-holed);
 * - `unreachable`: no connection could be made (refused, DNS, reset);
 * - `tls`: the TLS handshake failed (untrusted certificate, wrong host name, not a TLS port);
 * - `authentication`: the broker refused the SASL credentials (SCRAM or IAM);
 * - `rejected`: the broker answered with an error (unknown topic, not enough replicas, ...);
 * - `credentials`: the credentials could not be obtained (Secrets Manager or IAM signer failed);
 * - `closed`: the producer was closed by its owner.
 */
export type KafkaUnavailableReason =
  'timeout' | 'unreachable' | 'tls' | 'authentication' | 'rejected' | 'credentials' | 'closed';

/** Raised when Kafka did not acknowledge a request; `cause` holds the underlying error. */
export class KafkaUnavailableError extends NamedError {
  readonly reason: KafkaUnavailableReason;

  constructor(message: string, reason: KafkaUnavailableReason, options?: { cause?: unknown }) {
    super(message, options);
    this.reason = reason;
  }
}

/** Node's certificate-verification error codes (tls.connect `error.code`). */
const TLS_ERROR_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Every error reachable from `error` through `cause` and `errors` (AggregateError's array or an object of errors), depth first. */
export function errorChain(error: unknown, seen = new Set<unknown>()): unknown[] {
  if (error === null || error === undefined || seen.has(error)) {
    return [];
  }
  seen.add(error);
  const out: unknown[] = [error];
  if (typeof error === 'object') {
    const { cause, errors } = error as { cause?: unknown; errors?: unknown };
    // AggregateError has an array; @platformatic/kafka's per-topic/per-broker errors are an object.
    const nested = Array.isArray(errors)
      ? errors
      : errors !== null && typeof errors === 'object'
        ? Object.values(errors)
        : [];
    for (const inner of nested) {
      out.push(...errorChain(inner, seen));
    }
    out.push(...errorChain(cause, seen));
  }
  return out;
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * Names the kind of failure found anywhere in a client error. The most specific kind wins: a TLS
 * or authentication failure explains a later "cannot connect to any broker", not the reverse.
 */
export function classifyKafkaFailure(error: unknown): Exclude<KafkaUnavailableReason, 'closed'> {
  const chain = errorChain(error);
  // Our own error raised inside the client (e.g. by the IAM token provider) already knows.
  const own = chain.find(
    (e): e is KafkaUnavailableError => e instanceof KafkaUnavailableError && e.reason !== 'closed',
  );
  if (own) {
    return own.reason as Exclude<KafkaUnavailableReason, 'closed'>;
  }
  const codes = chain.map(codeOf);
  const messages = chain.map((e) => (isErrorLike(e) ? e.message : ''));
  if (
    codes.some((c) => TLS_ERROR_CODES.has(c) || c.startsWith('ERR_SSL_') || c.startsWith('ERR_TLS_')) ||
    messages.some((m) => m.startsWith('TLS handshake failed') || m === 'Broker requires TLS.')
  ) {
    return 'tls';
  }
  if (codes.includes('PLT_KFK_AUTHENTICATION')) {
    return 'authentication';
  }
  if (codes.includes('PLT_KFK_RESPONSE') || codes.includes('PLT_KFK_PROTOCOL')) {
    return 'rejected';
  }
  // @platformatic/kafka's TimeoutError carries the network error code, so go by its message too
  // (class names do not survive minification).
  if (codes.includes('PLT_KFK_TIMEOUT') || codes.includes('ETIMEDOUT') || messages.some((m) => /timed out/i.test(m))) {
    return 'timeout';
  }
  return 'unreachable';
}

interface ErrorLike {
  message: string;
  cause?: unknown;
  errors?: unknown;
}

/** Duck-typed: errors from another realm (Node core inside a test sandbox) fail `instanceof Error`. */
function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string';
}

/**
 * The message of the first innermost error (no cause, no aggregated errors): usually the one that
 * says what actually happened (`connect ECONNREFUSED ...`), not "initProducerId failed 3 times".
 * A broker's own explanation (`serverErrorMessage` of @platformatic/kafka's ProtocolError, e.g.
 * why SASL authentication failed: invalid credentials, an expired IAM token) is appended: the
 * error code's generic text alone does not say which credential to fix.
 */
export function rootMessage(error: unknown): string {
  const chain = errorChain(error).filter(isErrorLike);
  const leaf =
    chain.find((e) => e.cause === undefined && !(Array.isArray(e.errors) && e.errors.length > 0)) ?? chain.at(-1);
  if (!leaf) {
    return String(error);
  }
  const server = (leaf as { serverErrorMessage?: unknown }).serverErrorMessage;
  return typeof server === 'string' && server !== '' && !leaf.message.includes(server)
    ? `${leaf.message} ${server}`
    : leaf.message;
}
