import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { errorResponse, json, noContent, type HttpResponse } from '../lib/http.ts';
import type { Log } from '../lib/logger.ts';
import { collect, type CollectDeps } from './collect.ts';

/**
 * The HTTP shape of the ingest API (payload format 2.0), independent of Lambda wiring:
 * `GET /ping`, CORS preflight, `POST /collect`. Dependencies are resolved lazily on the first
 * request so a cold start with bad configuration answers 500 and logs the variable at fault.
 */
export function createIngestApp(getDeps: () => CollectDeps | Promise<CollectDeps>, log: Log) {
  return async function ingestApp(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    const method = event.requestContext?.http?.method?.toUpperCase() ?? 'GET';
    const path = event.rawPath ?? event.requestContext?.http?.path ?? '/';
    const requestId = event.requestContext?.requestId;
    try {
      if (method === 'OPTIONS') return noContent();
      if (path.endsWith('/ping')) return json(200, { status: 'ok' });
      if (method !== 'POST') return json(405, { message: `method ${method} is not allowed on ${path}; use POST` }, { allow: 'POST, OPTIONS' });
      const deps = await getDeps();
      const result = await collect(
        {
          query: event.queryStringParameters ?? {},
          headers: event.headers ?? {},
          body: event.body,
          isBase64Encoded: event.isBase64Encoded === true,
          clientIp: event.requestContext?.http?.sourceIp,
          requestId,
        },
        deps,
      );
      if (result.rejected.length > 0) log.info('events rejected', { accepted: result.accepted, rejected: result.rejected.length });
      return json(200, result);
    } catch (err) {
      return errorResponse(err, log, requestId);
    }
  };
}
