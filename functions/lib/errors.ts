/**
 * The project's named errors and the HTTP ones. The bundles keep class names (esbuild `keepNames`
 * in serverless.yml), so mappers narrow with `instanceof` and every error's `name` is its class
 * name — what logs, error bodies and Step Functions' errorType show.
 */

/**
 * Base of the named errors: `name` is the concrete class's name. A class whose name a state
 * machine matches (`ErrorEquals`) still spells it out, so renaming the class cannot break the ASL.
 */
export class NamedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** One broken rule of an input, named by where it is (`$.kafka.clusterArn`, `sink.batchSize`). */
export interface Violation {
  path: string;
  message: string;
}

/** An input that breaks one or more rules: `violations` lists every one, the message names each. */
export class ViolationsError extends NamedError {
  readonly violations: Violation[];

  constructor(what: string, violations: Violation[]) {
    super(`${what}: ${violations.map((v) => `${v.path} ${v.message}`).join('; ')}`);
    this.violations = violations;
  }
}

/** A client error that maps to a 4xx response with a message safe to show the caller. */
export class HttpError extends NamedError {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    statusCode: number,
    message: string,
    options?: { headers?: Record<string, string>; details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.statusCode = statusCode;
    this.headers = options?.headers ?? {};
    this.details = options?.details;
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(400, message, details === undefined ? undefined : { details });
  }
}

/** An HttpError class whose instances all answer `statusCode` with just a message. */
function statusError(statusCode: number) {
  return class extends HttpError {
    constructor(message: string) {
      super(statusCode, message);
    }
  };
}

export class ForbiddenError extends statusError(403) {}

export class PayloadTooLargeError extends statusError(413) {}

export class UnsupportedMediaTypeError extends statusError(415) {}

/** Kafka (or another dependency) did not confirm in time: the client should retry later. */
export class ServiceUnavailableError extends HttpError {
  constructor(message: string, retryAfterSeconds: number, cause?: unknown) {
    super(503, message, { headers: { 'retry-after': String(retryAfterSeconds) }, cause });
  }
}

/** Configuration is missing or invalid; thrown at cold start, names the variable. */
export class ConfigError extends NamedError {}
