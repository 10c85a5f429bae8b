/**
 * SASL/OAUTHBEARER carrying an MSK IAM auth token, server side.
 *
 * The client message is RFC 7628's initial response, `n,,\x01auth=Bearer <token>\x01\x01`
 * (optionally with more `key=value\x01` extensions). The token is what
 * aws-msk-iam-sasl-signer-js makes: the base64url of a SigV4-presigned URL
 * `https://kafka.<region>.amazonaws.com/?Action=kafka-cluster%3AConnect&X-Amz-Algorithm=
 * AWS4-HMAC-SHA256&X-Amz-Credential=<akid>/<date>/<region>/kafka-cluster/aws4_request&X-Amz-Date=
 * ...&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=...&User-Agent=...` (User-Agent is
 * added after signing). MSK checks the signature and the expiry before authorising
 * `kafka-cluster:Connect`; here the signature is checked against the local credentials
 * (access key id → secret key), since there is no IAM to ask.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SaslAuthenticationError } from './scram.ts';

export const OAUTHBEARER_MECHANISM = 'OAUTHBEARER';
const SIGNING_SERVICE = 'kafka-cluster';
const ACTION = 'kafka-cluster:Connect';
/** How far a token's signing time may be ahead of our clock (SigV4 allows 5 minutes). */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** The payload hash of a presigned GET (no body), as @smithy/signature-v4 signs it. */
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

export interface IamCredential {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface IamVerifierOptions {
  credentials: readonly IamCredential[];
  now?: () => number;
}

/** The bearer token of an RFC 7628 client initial response. */
export function bearerToken(message: Buffer): string {
  const text = message.toString('utf8');
  const parts = text.split('\x01');
  if (!parts[0]?.startsWith('n,') || !text.endsWith('\x01\x01')) {
    throw new SaslAuthenticationError(
      'Invalid OAUTHBEARER initial client response (RFC 7628: "n,,\\x01auth=Bearer <token>\\x01\\x01")',
    );
  }
  const auth = parts.find((p) => p.startsWith('auth='));
  const match = /^auth=Bearer\s+(\S+)$/i.exec(auth ?? '');
  if (!match)
    throw new SaslAuthenticationError('Invalid OAUTHBEARER initial client response: no "auth=Bearer <token>"');
  return match[1]!;
}

const rfc3986 = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function amzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
}

/**
 * Checks an MSK IAM token; returns the principal (the access key id) or throws
 * SaslAuthenticationError saying what is wrong (malformed, expired, unknown key, bad signature).
 */
export function verifyMskIamToken(token: string, options: IamVerifierOptions): string {
  const now = (options.now ?? Date.now)();
  let url: URL;
  try {
    url = new URL(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw new SaslAuthenticationError('MSK IAM token is not a base64url-encoded presigned URL');
  }
  const q = url.searchParams;
  const region = /^kafka\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(url.hostname)?.[1];
  if (url.protocol !== 'https:' || region === undefined || url.pathname !== '/') {
    throw new SaslAuthenticationError(
      `MSK IAM token is not presigned for https://kafka.<region>.amazonaws.com/ (got ${url.protocol}//${url.hostname}${url.pathname})`,
    );
  }
  if (q.get('Action') !== ACTION)
    throw new SaslAuthenticationError(
      `MSK IAM token does not authorise ${ACTION} (Action=${q.get('Action') ?? 'missing'})`,
    );
  if (q.get('X-Amz-Algorithm') !== 'AWS4-HMAC-SHA256')
    throw new SaslAuthenticationError('MSK IAM token is not signed with AWS4-HMAC-SHA256');
  const scope = (q.get('X-Amz-Credential') ?? '').split('/');
  const [accessKeyId = '', day = '', scopeRegion = '', service = '', terminator = ''] = scope;
  if (scope.length !== 5 || terminator !== 'aws4_request' || service !== SIGNING_SERVICE || scopeRegion !== region) {
    throw new SaslAuthenticationError(
      `MSK IAM token has an invalid credential scope '${q.get('X-Amz-Credential') ?? ''}' (expected <key>/<date>/${region}/${SIGNING_SERVICE}/aws4_request)`,
    );
  }
  const dateText = q.get('X-Amz-Date') ?? '';
  const signedAt = amzDate(dateText);
  const expires = Number(q.get('X-Amz-Expires'));
  if (signedAt === undefined || !dateText.startsWith(day))
    throw new SaslAuthenticationError(`MSK IAM token has an invalid X-Amz-Date '${dateText}'`);
  if (!Number.isInteger(expires) || expires < 1 || expires > 604_800)
    throw new SaslAuthenticationError(`MSK IAM token has an invalid X-Amz-Expires '${q.get('X-Amz-Expires') ?? ''}'`);
  const expiresAt = signedAt + expires * 1000;
  if (now >= expiresAt) {
    throw new SaslAuthenticationError(
      `MSK IAM token expired at ${new Date(expiresAt).toISOString()} (signed ${new Date(signedAt).toISOString()}, valid ${expires} s); sign a new one`,
    );
  }
  if (signedAt - now > MAX_CLOCK_SKEW_MS) {
    throw new SaslAuthenticationError(
      `MSK IAM token is signed in the future (${new Date(signedAt).toISOString()}); check the client's clock`,
    );
  }
  if (q.get('X-Amz-SignedHeaders') !== 'host')
    throw new SaslAuthenticationError('MSK IAM token must sign exactly the host header');
  const credential = options.credentials.find((c) => c.accessKeyId === accessKeyId);
  if (credential === undefined)
    throw new SaslAuthenticationError(
      `MSK IAM token is signed with access key '${accessKeyId}', which the local stack does not know`,
    );

  const signature = q.get('X-Amz-Signature') ?? '';
  const params = [...q.entries()]
    .filter(([k]) => k !== 'X-Amz-Signature' && k !== 'User-Agent')
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a < b ? -1 : a > b ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  const canonicalRequest = [
    'GET',
    '/',
    params.map(([k, v]) => `${k}=${v}`).join('&'),
    `host:${url.host}`,
    '',
    'host',
    EMPTY_SHA256,
  ].join('\n');
  const credentialScope = `${day}/${region}/${SIGNING_SERVICE}/aws4_request`;
  const stringToSign = [
    'AWS4-HMAC-SHA256',
    dateText,
    credentialScope,
    createHash('sha256').update(canonicalRequest).digest('hex'),
  ].join('\n');
  let key: Buffer = createHmac('sha256', `AWS4${credential.secretAccessKey}`).update(day).digest();
  for (const part of [region, SIGNING_SERVICE, 'aws4_request']) key = createHmac('sha256', key).update(part).digest();
  const expected = createHmac('sha256', key).update(stringToSign).digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new SaslAuthenticationError(
      `MSK IAM token signature does not match: it was not signed with the secret key of '${accessKeyId}'`,
    );
  }
  return accessKeyId;
}
