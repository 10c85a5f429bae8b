/**
 * The one HTTP server of the local AWS endpoint: reads the request, finds the service in the
 * SigV4 credential scope and hands the request to that service's module. `/_local/...` paths are
 * the endpoint's own controls (fault switches, flush), not AWS APIs.
 */
import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsError } from './errors.ts';
import { log } from './logger.ts';
import { operationOf, type ServiceFaults } from './service-faults.ts';
import { requestScope } from './sigv4.ts';
import { readBody } from '../http-body.ts';

export interface AwsRequest {
  method: string;
  /** URL path, percent-decoded per segment by the service if it needs to. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  region: string;
  accountId: string;
  requestId: string;
}

export interface AwsResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type Protocol = 'json' | 'rest-json' | 'rest-xml';

/** One AWS service: its SigV4 signing name, wire protocol, and request handler. */
export interface ServiceModule {
  readonly service: string;
  readonly protocol: Protocol;
  /** Throws AwsError for AWS-shaped failures; anything else becomes a 500. */
  handle(request: AwsRequest): Promise<AwsResponse>;
  /** The member name of the error message for `code` (REST-JSON only; default `message`). */
  messageMember?(code: string): 'message' | 'Message';
}

/** Handles `/_local/...`; returns undefined for unknown paths (404). */
export type ControlHandler = (request: AwsRequest) => Promise<AwsResponse | undefined>;

export interface EndpointServerOptions {
  port: number;
  host?: string;
  accountId: string;
  services: readonly ServiceModule[];
  control: ControlHandler;
  /** Largest accepted request body (default 32 MiB; a full PutRecordBatch is ~5.6 MB of base64). */
  maxBodyBytes?: number;
  /** Injected service faults, applied before the service module runs. */
  faults?: ServiceFaults;
}

export interface EndpointServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

/** Renders an AwsError in the given protocol. */
export function renderError(
  error: AwsError,
  protocol: Protocol,
  requestId: string,
  messageMember: 'message' | 'Message' = 'message',
): AwsResponse {
  if (protocol === 'json') {
    return {
      status: error.status,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId },
      body: JSON.stringify({ __type: error.code, message: error.message, ...error.extra }),
    };
  }
  if (protocol === 'rest-xml') {
    const extra = Object.entries(error.extra)
      .map(([k, v]) => `<${k}>${escapeXml(String(v))}</${k}>`)
      .join('');
    return {
      status: error.status,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${escapeXml(error.message)}</Message>${extra}<RequestId>${requestId}</RequestId></Error>`,
    };
  }
  return {
    status: error.status,
    headers: {
      'content-type': 'application/json',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': error.code,
    },
    body: JSON.stringify({ Type: 'User', [messageMember]: error.message, ...error.extra }),
  };
}

export function escapeXml(text: string): string {
  return text.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

function send(res: ServerResponse, response: AwsResponse, requestId: string, head = false): void {
  const body = response.body ?? '';
  res.writeHead(response.status, {
    'x-amzn-requestid': requestId,
    'content-length': String(Buffer.byteLength(body)),
    ...response.headers,
  });
  res.end(head ? undefined : body);
}

export async function startEndpointServer(options: EndpointServerOptions): Promise<EndpointServer> {
  const host = options.host ?? '127.0.0.1';
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const byName = new Map(options.services.map((s) => [s.service, s]));

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = randomUUID();
    const url = new URL(req.url ?? '/', 'http://localhost');
    let body: Buffer | undefined;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch {
      res.destroy();
      return;
    }
    if (body === undefined) {
      send(
        res,
        {
          status: 413,
          headers: { 'content-type': 'application/json', connection: 'close' },
          body: JSON.stringify({ message: 'Request entity too large' }),
        },
        requestId,
      );
      return;
    }
    const scope = requestScope(req.headers, url.pathname, url.searchParams);
    const request: AwsRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      region: scope?.region ?? 'us-east-1',
      accountId: options.accountId,
      requestId,
    };

    if (url.pathname === '/_local' || url.pathname.startsWith('/_local/')) {
      try {
        const response = await options.control(request);
        send(
          res,
          response ?? {
            status: 404,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ message: `no control route ${request.method} ${url.pathname}` }),
          },
          requestId,
        );
      } catch (error) {
        const status = error instanceof AwsError ? error.status : 500;
        send(
          res,
          {
            status,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ message: error instanceof Error ? error.message : String(error) }),
          },
          requestId,
        );
      }
      return;
    }

    const module = scope ? byName.get(scope.service) : undefined;
    if (!module) {
      const available = [...byName.keys()].join(', ');
      const message = scope
        ? `The local AWS endpoint does not provide the service '${scope.service}' (available: ${available})`
        : `Cannot tell which AWS service this request is for: no SigV4 credential scope (available: ${available})`;
      const error = new AwsError(
        scope ? 'NotImplementedException' : 'MissingAuthenticationTokenException',
        message,
        scope ? 501 : 400,
      );
      const rendered = renderError(error, 'json', requestId);
      send(res, { ...rendered, headers: { ...rendered.headers, 'x-amzn-errortype': error.code } }, requestId);
      return;
    }

    log.debug('request', {
      service: module.service,
      method: request.method,
      path: request.path,
      target: req.headers['x-amz-target'],
    });
    let response: AwsResponse;
    try {
      const target = req.headers['x-amz-target'];
      await options.faults?.apply(
        module.service,
        operationOf(module.service, request.method, request.path, typeof target === 'string' ? target : undefined),
      );
      response = await module.handle(request);
    } catch (error) {
      if (error instanceof AwsError) {
        log.debug('request failed', { service: module.service, code: error.code, message: error.message });
        response = renderError(error, module.protocol, requestId, module.messageMember?.(error.code));
      } else {
        log.error('internal error', {
          service: module.service,
          error: error instanceof Error ? error.stack : String(error),
        });
        const code =
          module.protocol === 'json'
            ? 'InternalFailure'
            : module.protocol === 'rest-xml'
              ? 'InternalError'
              : 'ServiceException';
        const internal = new AwsError(code, 'The local endpoint failed to process the request; see its log', 500);
        response = renderError(internal, module.protocol, requestId, 'Message');
      }
    }
    send(res, response, requestId, request.method === 'HEAD');
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log.error('unhandled', { error: error instanceof Error ? error.stack : String(error) });
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
