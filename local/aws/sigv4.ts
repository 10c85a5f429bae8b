/**
 * Which AWS service a request is for, read the way AWS emulators (moto, LocalStack) read it:
 * from the SigV4 credential scope `AKID/yyyymmdd/region/service/aws4_request`, found in the
 * `Authorization` header or, for presigned URLs, the `X-Amz-Credential` query parameter.
 * Signatures are not verified: any credentials are accepted.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface CredentialScope {
  accessKeyId: string;
  /** yyyymmdd */
  date: string;
  region: string;
  service: string;
}

const SCOPE = /^([^/\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request$/i;

/** Parses `AKID/20260101/us-east-1/firehose/aws4_request`; undefined when it is not one. */
export function parseScope(credential: string): CredentialScope | undefined {
  const match = SCOPE.exec(credential.trim());
  if (!match) return undefined;
  const [, accessKeyId = '', date = '', region = '', service = ''] = match;
  return { accessKeyId, date, region, service: service.toLowerCase() };
}

/** The scope of an `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` header. */
export function scopeFromAuthorization(authorization: string | undefined): CredentialScope | undefined {
  if (!authorization) return undefined;
  const match = /^AWS4-HMAC-SHA256\s+(.*)$/i.exec(authorization.trim());
  if (!match) return undefined;
  for (const part of (match[1] ?? '').split(',')) {
    const [name, ...rest] = part.trim().split('=');
    if (name?.toLowerCase() === 'credential') return parseScope(rest.join('='));
  }
  return undefined;
}

/** Unsigned requests (e.g. `curl`) still reach the right service through protocol hints. */
const TARGET_PREFIXES: Record<string, string> = {
  Firehose_20150804: 'firehose',
  AWSStepFunctions: 'states',
  DynamoDB_20120810: 'dynamodb',
  secretsmanager: 'secretsmanager',
};

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The scope of a request: from the Authorization header, else a presigned query, else a
 * scope-less guess from `X-Amz-Target` or the Lambda path (region us-east-1).
 */
export function requestScope(
  headers: IncomingHttpHeaders,
  path: string,
  query: URLSearchParams,
): CredentialScope | undefined {
  const fromHeader = scopeFromAuthorization(headerValue(headers, 'authorization'));
  if (fromHeader) return fromHeader;
  const presigned = query.get('X-Amz-Credential');
  if (presigned) {
    const scope = parseScope(presigned);
    if (scope) return scope;
  }
  const target = headerValue(headers, 'x-amz-target');
  const prefix = target?.split('.')[0];
  const byTarget = prefix !== undefined ? TARGET_PREFIXES[prefix] : undefined;
  const guessed = byTarget ?? (path.startsWith('/2015-03-31/') ? 'lambda' : undefined);
  return guessed ? { accessKeyId: '', date: '', region: 'us-east-1', service: guessed } : undefined;
}
