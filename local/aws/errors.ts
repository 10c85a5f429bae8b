/**
 * AWS-shaped errors. Services throw `AwsError`; the server renders it in the protocol of the
 * service that failed:
 * - JSON 1.1 (Firehose): `{"__type": code, "message": ...}` with the status;
 * - REST-JSON (Lambda): header `x-amzn-ErrorType: code` and a JSON body with `Type` and the
 *   message member named as in the service model (`Message` or `message`).
 */
export class AwsError extends Error {
  readonly code: string;
  readonly status: number;
  /** Extra body members (e.g. Lambda's `Type: "User"`). */
  readonly extra: Record<string, unknown>;

  constructor(code: string, message: string, status = 400, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = 'AwsError';
    this.code = code;
    this.status = status;
    this.extra = extra;
  }
}

/**
 * The message AWS's request validation gives, e.g.
 * "1 validation error detected: Value '600' at 'records' failed to satisfy constraint: ...".
 */
export function validationMessage(problems: readonly string[]): string {
  const count = problems.length;
  return `${count} validation error${count === 1 ? '' : 's'} detected: ${problems.join('; ')}`;
}

/** `ValidationException` (400) built from constraint violations. */
export function validationError(problems: readonly string[]): AwsError {
  return new AwsError('ValidationException', validationMessage(problems), 400);
}

/** One constraint violation in AWS's wording. */
export function constraint(value: unknown, path: string, rule: string): string {
  const shown =
    value === null || value === undefined ? 'null' : `'${typeof value === 'string' ? value : JSON.stringify(value)}'`;
  return `Value ${shown} at '${path}' failed to satisfy constraint: ${rule}`;
}
