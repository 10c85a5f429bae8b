import { isUtf8 } from 'node:buffer';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { HttpError, PayloadTooLargeError } from '../../lib/errors.ts';
import { json, type HttpResponse } from '../../lib/http.ts';
import type { Log } from '../../lib/logger.ts';
import { shown } from '../../lib/shown.ts';
import { InvalidPipelineRequestError } from '../errors.ts';
import type { Pipeline } from '../model.ts';
import { createPipeline } from './create-pipeline.ts';
import { deletePipeline } from './delete-pipeline.ts';
import { statusUrl, type PipelinesApiDeps } from './deps.ts';
import { pipelinesErrorResponse } from './http-errors.ts';
import { getPipeline, listPipelines } from './read-pipelines.ts';

export interface PipelinesAppDeps extends PipelinesApiDeps {
  retryAfterSeconds: number;
}

/** Bodies are small (a CA bundle is the largest field): refuse anything that could not be one. */
export const MAX_BODY_BYTES = 128 * 1024;

function parseBody(event: APIGatewayProxyEventV2): unknown {
  const bytes = event.body !== undefined && event.isBase64Encoded ? Buffer.from(event.body, 'base64') : undefined;
  // Decoding bytes that are not UTF-8 would silently turn them into U+FFFD.
  if (bytes && !isUtf8(bytes))
    throw new InvalidPipelineRequestError([
      { path: '$', message: 'is not valid UTF-8 (JSON text must be UTF-8 encoded)' },
    ]);
  const raw = bytes ? bytes.toString('utf8') : (event.body ?? '');
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES)
    throw new PayloadTooLargeError(`request body is larger than ${MAX_BODY_BYTES} bytes`);
  if (raw.trim() === '')
    throw new InvalidPipelineRequestError([{ path: '$', message: 'is required: send the pipeline as a JSON object' }]);
  try {
    return JSON.parse(raw);
  } catch (err) {
    throw new InvalidPipelineRequestError([{ path: '$', message: `is not valid JSON (${(err as Error).message})` }]);
  }
}

/** The 202 of POST and DELETE: where to follow the pipeline's progress. */
function accepted(p: Pipeline): HttpResponse {
  const url = statusUrl(p.id);
  return json(202, { id: p.id, status: p.status, statusUrl: url }, { location: url });
}

/** A path segment, percent-decoded; a malformed escape is the client's mistake (400), not a URIError (500). */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `the path segment ${shown(segment)} has a malformed %-escape`);
  }
}

type Route = 'create' | 'list' | 'get' | 'delete';

/** The route, from the API Gateway route key, or from method and path (any stage prefix). */
function routeOf(event: APIGatewayProxyEventV2): {
  route: Route | undefined;
  id: string | undefined;
  allow: string;
} {
  const method = event.requestContext?.http?.method?.toUpperCase() ?? 'GET';
  const routeKey = event.routeKey ?? event.requestContext?.routeKey;
  const path = event.rawPath ?? event.requestContext?.http?.path ?? '/';
  const item = /\/pipelines\/([^/]+)\/?$/.exec(path);
  const id = event.pathParameters?.id ?? (item ? decodePathSegment(item[1]!) : undefined);
  const isItem =
    routeKey === undefined || routeKey === '$default' ? item !== null : routeKey.endsWith('/pipelines/{id}');
  if (isItem)
    return {
      route: method === 'GET' ? 'get' : method === 'DELETE' ? 'delete' : undefined,
      id,
      allow: 'GET, DELETE',
    };
  return {
    route: method === 'POST' ? 'create' : method === 'GET' ? 'list' : undefined,
    id: undefined,
    allow: 'GET, POST',
  };
}

/**
 * The HTTP shape of the admin API (payload format 2.0), independent of Lambda wiring:
 * POST /pipelines, GET /pipelines, GET /pipelines/{id}, DELETE /pipelines/{id}. Authorization is
 * API Gateway's (AWS_IAM on every route); dependencies are resolved on the first request so bad
 * configuration answers a generic 500 and logs the variable at fault.
 */
export function createPipelinesApp(getDeps: () => PipelinesAppDeps | Promise<PipelinesAppDeps>, log: Log) {
  return async function pipelinesApp(event: APIGatewayProxyEventV2): Promise<HttpResponse> {
    const requestId = event.requestContext?.requestId;
    let retryAfterSeconds = 30;
    try {
      const { route, id, allow } = routeOf(event);
      if (route === undefined) {
        throw new HttpError(
          405,
          `method ${event.requestContext?.http?.method ?? '?'} is not allowed here; use ${allow}`,
          { headers: { allow } },
        );
      }
      const deps = await getDeps();
      retryAfterSeconds = deps.retryAfterSeconds;
      switch (route) {
        case 'create': {
          const { pipeline } = await createPipeline(
            { body: parseBody(event), idempotencyKey: event.headers?.['idempotency-key'] },
            deps,
          );
          return accepted(pipeline);
        }
        case 'list':
          return json(200, { pipelines: await listPipelines(deps) });
        case 'get':
          return json(200, await getPipeline(id ?? '', deps));
        case 'delete':
          return accepted(await deletePipeline(id ?? '', deps));
      }
    } catch (err) {
      return pipelinesErrorResponse(err, log, requestId, retryAfterSeconds);
    }
  };
}
