/**
 * The request side of AWS's JSON 1.0/1.1 protocols (Firehose, Step Functions, DynamoDB):
 * `POST` with `X-Amz-Target: <prefix><Operation>` and a JSON object body. Shared so every
 * service answers malformed requests with the same AWS errors.
 */
import { AwsError } from './errors.ts';
import type { AwsRequest } from './server.ts';

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
