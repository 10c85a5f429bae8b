/**
 * The request side of AWS's JSON 1.0/1.1 protocols (Firehose, Step Functions, DynamoDB):
 * `POST` with `X-Amz-Target: <prefix><Operation>` and a JSON object body. Shared so every
 * service answers malformed requests with the same AWS errors.
 */
import { AwsError } from './errors.ts';
import { jsonResponse } from './json-response.ts';
import type { AwsRequest, AwsResponse } from './server.ts';

export function readJsonTarget(
  request: AwsRequest,
  targetPrefix: string,
  serviceLabel: string,
): { operation: string; body: Record<string, unknown> } {
  const target = request.headers['x-amz-target'];
  const operation =
    typeof target === 'string' && target.startsWith(targetPrefix) ? target.slice(targetPrefix.length) : undefined;
  if (request.method !== 'POST' || !operation) {
    throw new AwsError(
      'UnknownOperationException',
      `${serviceLabel} requests are POST with X-Amz-Target: ${targetPrefix}<Operation>`,
      400,
    );
  }
  try {
    const parsed: unknown = request.body.length === 0 ? {} : JSON.parse(request.body.toString('utf8'));
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new SyntaxError('not an object');
    return { operation, body: parsed as Record<string, unknown> };
  } catch {
    throw new AwsError('SerializationException', 'Request body is not a JSON object', 400);
  }
}

/** What a JSON-target service does per operation: the parsed body (and request) in, the answer's JSON out. */
export type JsonOperations = Readonly<
  Record<string, (body: Record<string, unknown>, request: AwsRequest) => unknown | Promise<unknown>>
>;

/**
 * One request of a JSON 1.0/1.1 service: reads the target and body, runs the operation's entry of
 * `operations` and answers its result. An operation not in the table gets AWS's
 * UnknownOperationException naming the ones the local service provides.
 */
export async function dispatchJsonTarget(
  request: AwsRequest,
  service: { targetPrefix: string; label: string; contentType: string; operations: JsonOperations },
): Promise<AwsResponse> {
  const { operation, body } = readJsonTarget(request, service.targetPrefix, service.label);
  const run = Object.hasOwn(service.operations, operation) ? service.operations[operation] : undefined;
  if (run === undefined) {
    throw new AwsError(
      'UnknownOperationException',
      `The local ${service.label} does not provide ${operation} (${Object.keys(service.operations).join(', ')})`,
      400,
    );
  }
  return jsonResponse(await run(body, request), service.contentType);
}
