import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { errorResponse, json, noContent, type HttpResponse } from '../lib/http.ts';
import type { Log } from '../lib/logger.ts';
import { authorisedRoute, collect, requestAppId, type CollectDeps } from './collect.ts';
import { corsResponseHeaders, originAllowed, OriginNotAllowedError, preflightHeaders } from './cors.ts';

function withHeaders(res: HttpResponse, headers: Record<string, string>): HttpResponse {
  return { ...res, headers: { ...res.headers, ...headers } };
}

/**
 * The HTTP shape of the ingest API (payload format 2.0), independent of Lambda wiring:
 * `GET /ping`, the CORS preflight, `POST /collect`. Dependencies are resolved lazily on the first
 * request so a cold start with bad configuration answers 500 and logs the variable at fault.
 *
 * CORS is answered here, not by API Gateway: the allowed origins depend on the app's pipeline
 * (the preflight carries the same query string as the POST, so its appId is known).
 */
export function createIngestApp(getDeps: () => CollectDeps | Promise<CollectDeps>, log: Log) {
  return async function ingestApp(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    const method = event.requestContext?.http?.method?.toUpperCase() ?? 'GET';
    const path = event.rawPath ?? event.requestContext?.http?.path ?? '/';
    const requestId = event.requestContext?.requestId;
    const headers = event.headers ?? {};
    const origin = headers.origin;
    let originRefused = false;
    const cors = () => corsResponseHeaders(origin, !originRefused);
    try {
      const deps = await getDeps();
      if (origin !== undefined && !originAllowed(origin, deps.origins)) originRefused = true;
      if (method === 'OPTIONS') {
        if (origin !== undefined && !path.endsWith('/ping')) {
          const query = event.queryStringParameters ?? {};
          if (originRefused)
            throw new OriginNotAllowedError(
              `origin '${origin.slice(0, 200)}' is not allowed to send events (stack setting corsAllowedOrigins)`,
            );
          if (query.appId !== undefined) await authorisedRoute(requestAppId(query), origin, deps);
        }
        return withHeaders(noContent({ allow: 'POST, OPTIONS' }), {
          ...cors(),
          ...(originRefused ? {} : preflightHeaders()),
        });
      }
      if (path.endsWith('/ping')) return withHeaders(json(200, { status: 'ok' }), cors());
      if (method !== 'POST')
        return withHeaders(
          json(405, { message: `method ${method} is not allowed on ${path}; use POST` }, { allow: 'POST, OPTIONS' }),
          cors(),
        );
      const result = await collect(
        {
          query: event.queryStringParameters ?? {},
          headers,
          body: event.body,
          isBase64Encoded: event.isBase64Encoded === true,
          clientIp: event.requestContext?.http?.sourceIp,
          requestId,
        },
        deps,
      );
      if (result.rejected.length > 0)
        log.info('events rejected', { accepted: result.accepted, rejected: result.rejected.length });
      return withHeaders(json(200, result), cors());
    } catch (err) {
      if (err instanceof OriginNotAllowedError) originRefused = true;
      return withHeaders(errorResponse(err, log, requestId), cors());
    }
  };
}
