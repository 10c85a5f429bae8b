/**
 * Named HTTP error classes. The bundles keep class names (esbuild `keepNames` in serverless.yml),
 * so mappers narrow with `instanceof`; `name` is set so logs and the error body say which one.
 */

/** A client error that maps to a 4xx response with a message safe to show the caller. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    statusCode: number,
    message: string,
    options?: { headers?: Record<string, string>; details?: Record<string, unknown>; cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.headers = options?.headers ?? {};
    this.details = options?.details;
  }
}

export class BadRequestError extends HttpError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(400, message, details === undefined ? undefined : { details });
    this.name = 'BadRequestError';
  }
}

export class ForbiddenError extends HttpError {
  constructor(message: string) {
    super(403, message);
    this.name = 'ForbiddenError';
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(message: string) {
    super(413, message);
    this.name = 'PayloadTooLargeError';
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string) {
    super(415, message);
    this.name = 'UnsupportedMediaTypeError';
  }
}

/** Kafka (or another dependency) did not confirm in time: the client should retry later. */
export class ServiceUnavailableError extends HttpError {
  constructor(message: string, retryAfterSeconds: number, cause?: unknown) {
    super(503, message, { headers: { 'retry-after': String(retryAfterSeconds) }, cause });
    this.name = 'ServiceUnavailableError';
  }
}

/** Configuration is missing or invalid; thrown at cold start, names the variable. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
