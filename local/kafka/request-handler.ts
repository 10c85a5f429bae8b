/**
 * Turns one request frame into one response: parses the request header, picks the API and
 * version, decodes the body with the API's schema, runs the handler and encodes the answer with
 * the matching response header (v1 with tagged fields for flexible versions, except ApiVersions
 * whose response header is always v0).
 *
 * An ApiVersions request of a version we do not know gets the UNSUPPORTED_VERSION answer in v0
 * format with our ranges, as KIP-511 specifies, so a newer client can downgrade. Any other unknown
 * API or version closes the connection with a logged reason, like a real broker; it never takes
 * the process down.
 */
import type { BrokerNode, ClusterState } from './cluster-state.ts';
import type { Connection } from './connection.ts';
import { log } from './logger.ts';
import type { AnyApi, RequestContext } from './protocol/api.ts';
import { ErrorCode } from './protocol/errors.ts';
import { Reader } from './protocol/reader.ts';
import { decodeStruct, encodeStruct, type Decoded } from './protocol/schema.ts';
import { Writer } from './protocol/writer.ts';
import { API_VERSIONS_KEY, apiVersionsBody, apiVersionsResponseFields } from './apis/api-versions.ts';
import { apisByKey, supportedApis } from './apis/registry.ts';

/** ApiVersions, SaslHandshake, SaslAuthenticate: all a SASL connection may send before it is authenticated. */
const SASL_PHASE_APIS = new Set([API_VERSIONS_KEY, 17, 36]);

function encodeResponse(api: AnyApi, version: number, correlationId: number, body: unknown): Buffer[] {
  const flexible = version >= api.flexibleFrom;
  const w = new Writer();
  w.int32(correlationId);
  if (flexible && api.key !== API_VERSIONS_KEY) w.emptyTaggedFields();
  encodeStruct(w, api.response, body as Decoded, version, flexible);
  return w.finish();
}

function unsupportedApiVersions(correlationId: number): Buffer[] {
  const w = new Writer();
  w.int32(correlationId);
  encodeStruct(
    w,
    apiVersionsResponseFields,
    { ...apiVersionsBody(ErrorCode.UNSUPPORTED_VERSION, supportedApis) },
    0,
    false,
  );
  return w.finish();
}

export function handleFrame(cluster: ClusterState, broker: BrokerNode, conn: Connection, frame: Buffer): void {
  const r = new Reader(frame);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.string(false) ?? '';
  const api = apisByKey.get(apiKey);

  if (api === undefined || apiVersion < api.minVersion || apiVersion > api.maxVersion) {
    if (apiKey === API_VERSIONS_KEY) {
      conn.complete(conn.reserve(), unsupportedApiVersions(correlationId));
      return;
    }
    log.warn('closing connection: unsupported API or version', {
      apiKey,
      apiVersion,
      api: api?.name ?? 'unknown',
      clientId,
    });
    conn.close();
    return;
  }

  if (conn.sasl !== null && !conn.sasl.authenticated && !SASL_PHASE_APIS.has(apiKey)) {
    // Kafka's SaslServerAuthenticator does the same: nothing but the SASL exchange before it succeeds.
    log.warn('closing connection: request before SASL authentication', {
      api: api.name,
      listener: conn.listener,
      clientId,
    });
    conn.close();
    return;
  }

  const flexible = apiVersion >= api.flexibleFrom;
  if (flexible) r.skipTaggedFields(); // request header v2
  const request = decodeStruct(r, api.request, apiVersion, flexible);
  if (log.debugEnabled) log.debug(`broker ${broker.nodeId} <- ${api.name} v${apiVersion}`, { clientId, correlationId });

  const ctx: RequestContext = {
    cluster,
    broker,
    apiVersion,
    clientId,
    clientHost: `/${conn.remote}`,
    listener: conn.listener,
    sasl: conn.sasl,
    endConnection: () => conn.endAfterPendingResponses(),
    onClose: (cb) => conn.onClose(cb),
  };
  const slot = conn.reserve();
  const send = (body: unknown): void => {
    if (body === undefined) {
      conn.complete(slot, null);
      return;
    }
    const chunks = encodeResponse(api, apiVersion, correlationId, body);
    if (broker.delayMs > 0) setTimeout(() => conn.complete(slot, chunks), broker.delayMs);
    else conn.complete(slot, chunks);
  };
  const fail = (err: unknown): void => {
    log.error(`${api.name} v${apiVersion} failed; closing connection`, {
      error: err instanceof Error ? err.stack : String(err),
    });
    conn.close();
  };

  const result = api.handle(ctx, request as never);
  if (result instanceof Promise) result.then(send, fail);
  else send(result);
}
