/**
 * The local HTTP API: the routes of serverless.yml's httpApi events, served on 127.0.0.1 and
 * handled by the real handlers in-process (see docs/decisions.md, "own gateway").
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FunctionHost } from '../function-host.ts';
import type { LocalFunction } from '../serverless-config.ts';
import { buildApiEvent } from './api-event.ts';
import { readBody } from '../http-body.ts';

/** API Gateway HTTP APIs refuse payloads over 10 MB with 413; so does the local gateway. */
const MAX_PAYLOAD = 10 * 1024 * 1024;

interface Route {
  method: string;
  routeKey: string;
  pattern: RegExp;
  params: string[];
  fn: LocalFunction;
}

function compile(fn: LocalFunction, method: string, path: string): Route {
  const params: string[] = [];
  const source = path
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{([A-Za-z0-9_]+)\+?\\?\}/g, (_m, name: string) => {
      params.push(name);
      return '([^/]+)';
    });
  return { method, routeKey: `${method} ${path}`, pattern: new RegExp(`^${source}/?$`), params, fn };
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

export interface Gateway {
  url: string;
  port: number;
  routes: string[];
  close(): Promise<void>;
}

/** The route's path parameters, percent-decoded; undefined when an escape is malformed (`%zz`, a lone `%`, bad UTF-8). */
function decodePathParameters(
  names: readonly string[],
  match: RegExpExecArray | null,
): Record<string, string> | undefined {
  try {
    return Object.fromEntries(names.map((name, i) => [name, decodeURIComponent(match?.[i + 1] ?? '')]));
  } catch {
    return undefined;
  }
}

/** Pages the local stack serves besides the API's routes (the console); true when handled. */
export type ExtraPages = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<boolean>;

/** Told of every answer of a route (the console counts the events /collect accepted). */
export type ResponseObserver = (
  routeKey: string,
  query: URLSearchParams,
  status: number,
  body: string | Buffer,
) => void;

export async function startGateway(options: {
  port: number;
  functions: readonly LocalFunction[];
  host: FunctionHost;
  onError?: (err: unknown) => void;
  pages?: ExtraPages;
  observe?: ResponseObserver;
}): Promise<Gateway> {
  const routes = options.functions.flatMap((fn) => fn.httpRoutes.map((r) => compile(fn, r.method, r.path)));
  const server: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const method = (req.method ?? 'GET').toUpperCase();
      if (options.pages && (await options.pages(req, res, url))) return;
      const candidates = routes.filter((r) => r.pattern.test(url.pathname));
      const route =
        candidates.find((r) => r.method === method) ?? candidates.find((r) => r.method === '*' || r.method === 'ANY');
      if (!route) {
        send(res, 404, JSON.stringify({ message: 'Not Found' }));
        return;
      }
      const body = await readBody(req, MAX_PAYLOAD);
      if (body === undefined) {
        send(res, 413, JSON.stringify({ message: 'Request Entity Too Large' }), { connection: 'close' });
        return;
      }
      const match = route.pattern.exec(url.pathname);
      const pathParameters = decodePathParameters(route.params, match);
      if (pathParameters === undefined) {
        // API Gateway refuses a path it cannot decode before any integration runs.
        send(res, 400, JSON.stringify({ message: 'Bad Request: the path has a malformed %-escape' }));
        return;
      }
      const event = buildApiEvent(req, url, body, route.routeKey, pathParameters);
      const result = (await options.host.invoke(route.fn.name, event)) as
        { statusCode?: number; headers?: Record<string, string>; body?: string; isBase64Encoded?: boolean } | undefined;
      const status = result?.statusCode ?? 200;
      const payload =
        result?.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
      res.writeHead(status, result?.headers ?? {});
      res.end(payload);
      options.observe?.(route.routeKey, url.searchParams, status, payload);
    } catch (err) {
      options.onError?.(err);
      // As API Gateway does when the integration fails.
      if (!res.headersSent) send(res, 500, JSON.stringify({ message: 'Internal Server Error' }));
      else res.end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    routes: routes.map((r) => r.routeKey),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
