/**
 * Faults for any AWS service of the endpoint, applied by the dispatcher before the service's own
 * module runs, so every caller (the functions through `AWS_ENDPOINT_URL`, the AWS CLI) meets them
 * exactly as it would meet a failing AWS service: an AWS-shaped error with the service's status,
 * or a slow answer. Set over HTTP with `POST /_local/faults/{service}` (docs/local-aws.md):
 *
 *   {"errorRate": 1, "errorCode": "InternalServerError", "operations": ["GetItem"], "latencyMs": 200}
 *
 * `errorRate` 0..1 of the matching calls fail (1: every one — an outage); `latencyMs` delays every
 * matching call (failed or not); `hang: true` never answers until the fault is cleared (a hung
 * service: callers meet their own timeouts); `operations` limits the fault to those operations
 * (the `X-Amz-Target` operation of JSON services, the S3 verb+key shape `PutObject`/`GetObject`/…
 * for S3); absent = every call of the service.
 */
import { AwsError } from './errors.ts';

export interface ServiceFault {
  errorRate: number;
  errorCode: string;
  latencyMs: number;
  hang: boolean;
  operations: string[] | null;
  /** Calls seen / failed / delayed since the fault was set. */
  stats: { calls: number; failed: number; delayed: number };
}

/** The error codes a fault may raise, per service, with the HTTP status AWS answers them with. */
export const FAULT_ERRORS: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  dynamodb: {
    InternalServerError: 500,
    ProvisionedThroughputExceededException: 400,
    ThrottlingException: 400,
    RequestLimitExceeded: 400,
  },
  s3: { InternalError: 500, ServiceUnavailable: 503, SlowDown: 503, AccessDenied: 403 },
  firehose: {
    ServiceUnavailableException: 503,
    LimitExceededException: 400,
    ResourceNotFoundException: 400,
    InternalFailure: 500,
  },
  states: { ServiceUnavailable: 503, ThrottlingException: 400, InternalFailure: 500 },
  lambda: { ServiceException: 500, TooManyRequestsException: 429 },
  kafka: {
    ServiceUnavailableException: 503,
    TooManyRequestsException: 429,
    InternalServerErrorException: 500,
  },
  kafkaconnect: {
    ServiceUnavailableException: 503,
    TooManyRequestsException: 429,
    InternalServerErrorException: 500,
  },
  ec2: { InternalError: 500, RequestLimitExceeded: 503 },
};

const FIELDS = ['errorRate', 'errorCode', 'latencyMs', 'hang', 'operations'] as const;

/** Parses `POST /_local/faults/{service}`; throws RangeError naming the bad field. */
export function parseServiceFault(service: string, body: unknown): ServiceFault {
  const codes = FAULT_ERRORS[service];
  if (codes === undefined)
    throw new RangeError(`no faults for service '${service}' (one of ${Object.keys(FAULT_ERRORS).join(', ')})`);
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw new RangeError('the body must be a JSON object');
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!(FIELDS as readonly string[]).includes(key))
      throw new RangeError(`unknown field '${key}' (${FIELDS.join(', ')})`);
  }
  const errorRate = input.errorRate ?? 0;
  if (typeof errorRate !== 'number' || !(errorRate >= 0 && errorRate <= 1))
    throw new RangeError('errorRate must be a number in [0, 1]');
  const errorCode = input.errorCode ?? Object.keys(codes)[0]!;
  if (typeof errorCode !== 'string' || codes[errorCode] === undefined)
    throw new RangeError(`errorCode must be one of ${Object.keys(codes).join(', ')} for ${service}`);
  const latencyMs = input.latencyMs ?? 0;
  if (typeof latencyMs !== 'number' || !Number.isInteger(latencyMs) || latencyMs < 0 || latencyMs > 600_000)
    throw new RangeError('latencyMs must be an integer between 0 and 600000');
  const hang = input.hang ?? false;
  if (typeof hang !== 'boolean') throw new RangeError('hang must be true or false');
  const operations = input.operations ?? null;
  if (
    operations !== null &&
    !(
      Array.isArray(operations) &&
      operations.length > 0 &&
      operations.every((o) => typeof o === 'string' && /^[A-Za-z]{1,64}$/.test(o))
    )
  ) {
    throw new RangeError('operations must be a non-empty array of operation names (e.g. ["PutObject"])');
  }
  return {
    errorRate,
    errorCode,
    latencyMs,
    hang,
    operations: operations as string[] | null,
    stats: { calls: 0, failed: 0, delayed: 0 },
  };
}

/** The operation of a request, as faults name it. */
export function operationOf(service: string, method: string, path: string, target: string | undefined): string {
  if (target !== undefined && target.includes('.')) return target.slice(target.lastIndexOf('.') + 1);
  if (service === 's3') {
    const hasKey = path.split('/').filter(Boolean).length > 1;
    const verb = method.toUpperCase();
    if (verb === 'PUT') return hasKey ? 'PutObject' : 'CreateBucket';
    if (verb === 'GET') return hasKey ? 'GetObject' : 'ListObjects';
    if (verb === 'HEAD') return hasKey ? 'HeadObject' : 'HeadBucket';
    if (verb === 'DELETE') return hasKey ? 'DeleteObject' : 'DeleteBucket';
    if (verb === 'POST') return 'PostObject';
  }
  return `${method.toUpperCase()}${path}`;
}

export class ServiceFaults {
  readonly #faults = new Map<string, ServiceFault>();
  readonly #hung = new Set<() => void>();

  set(service: string, fault: ServiceFault): ServiceFault {
    this.#faults.set(service, fault);
    return fault;
  }

  get(service: string): ServiceFault | undefined {
    return this.#faults.get(service);
  }

  snapshot(): Record<string, ServiceFault> {
    return Object.fromEntries(this.#faults);
  }

  /** Clears the fault of one service (or all); hung calls are released and answered normally. */
  clear(service?: string): void {
    if (service === undefined) this.#faults.clear();
    else this.#faults.delete(service);
    for (const release of [...this.#hung]) release();
  }

  /**
   * The fault's error for one in-process write that cannot wait (the local connector's S3
   * writes): `errorRate` only, no latency or hang. Undefined when the call is not failed.
   */
  failNow(service: string, operation: string): AwsError | undefined {
    const fault = this.#matching(service, operation);
    return fault === undefined ? undefined : this.#draw(service, operation, fault);
  }

  /**
   * Applies the service's fault to one call: waits `latencyMs` (or until cleared when `hang`),
   * then throws the fault's AwsError for `errorRate` of the calls. Returns normally otherwise.
   */
  async apply(service: string, operation: string): Promise<void> {
    const fault = this.#matching(service, operation);
    if (fault === undefined) return;
    if (fault.hang) {
      await new Promise<void>((resolve) => {
        const release = () => {
          this.#hung.delete(release);
          resolve();
        };
        this.#hung.add(release);
      });
      if (this.#faults.get(service) !== fault) return;
    }
    if (fault.latencyMs > 0) {
      fault.stats.delayed++;
      await new Promise((resolve) => setTimeout(resolve, fault.latencyMs));
    }
    const error = this.#draw(service, operation, fault);
    if (error !== undefined) throw error;
  }

  /** The service's fault when it covers `operation`, counted as a call; undefined otherwise. */
  #matching(service: string, operation: string): ServiceFault | undefined {
    const fault = this.#faults.get(service);
    if (fault === undefined || (fault.operations !== null && !fault.operations.includes(operation))) return undefined;
    fault.stats.calls++;
    return fault;
  }

  /** Draws against `errorRate`: the fault's AwsError (counted as failed) or undefined. */
  #draw(service: string, operation: string, fault: ServiceFault): AwsError | undefined {
    if (!(fault.errorRate > 0 && (fault.errorRate >= 1 || Math.random() < fault.errorRate))) return undefined;
    fault.stats.failed++;
    return new AwsError(
      fault.errorCode,
      `injected fault: ${service} ${operation} failed (POST /_local/faults/${service})`,
      FAULT_ERRORS[service]?.[fault.errorCode] ?? 500,
    );
  }
}
