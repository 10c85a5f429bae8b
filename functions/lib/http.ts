import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { HttpError } from './errors.ts';
import type { Log } from './logger.ts';

export type HttpResponse = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
};

export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  return {
    statusCode,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  };
}

export function noContent(headers: Record<string, string> = {}): HttpResponse {
  return { statusCode: 204, headers: { ...headers }, body: '' };
}

/**
 * The one error→HTTP mapper: known client errors become their 4xx/503 with their message;
 * anything else is a generic 500 whose details go only to the log.
 */
export function errorResponse(err: unknown, log: Log, requestId?: string): HttpResponse {
  if (err instanceof HttpError) {
    if (err.statusCode >= 500)
      log.warn('request failed', {
        status: err.statusCode,
        error: err.message,
        cause: String(err.cause ?? ''),
      });
    return json(err.statusCode, { message: err.message, ...(err.details ?? {}) }, err.headers);
  }
  log.error('unhandled error', {
    error: err instanceof Error ? { name: err.name, message: err.message, stack: err.stack } : String(err),
  });
  return json(500, { message: 'Internal server error', ...(requestId ? { requestId } : {}) });
}
