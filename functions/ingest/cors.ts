/**
 * Credentialed CORS for the browser SDKs. `@aws/clickstream-web` posts with
 * `credentials: 'include'`, so a browser only reads the answer when it names the page's own
 * origin (never `*`) with `Access-Control-Allow-Credentials: true`. Which origins may send is
 * configuration: the stack's list (CORS_ALLOWED_ORIGINS, default any) and, per pipeline, its
 * optional `allowedOrigins`; an origin must pass both. Entries are exact origins
 * (`https://shop.example.com`, `http://localhost:8080`), wildcards over subdomains
 * (`*.example.com` any scheme, `https://*.example.com` one scheme), or `*` (any origin).
 */

import { ForbiddenError } from '../lib/errors.ts';
import { originAllowed, type OriginPolicy } from '../lib/origins.ts';

export type { OriginPolicy } from '../lib/origins.ts';
export { originAllowed } from '../lib/origins.ts';

/** A 403 for a browser origin the configuration does not allow (answered without CORS grants). */
export class OriginNotAllowedError extends ForbiddenError {
  constructor(message: string) {
    super(message);
    this.name = 'OriginNotAllowedError';
  }
}

/** What the Clickstream SDKs (web, Android, iOS) and sendBeacon/fetch callers send. */
export const ALLOWED_REQUEST_HEADERS = [
  'content-type',
  'content-encoding',
  'user-agent',
  'cookie',
  'authorization',
  'x-api-key',
  'x-amz-date',
  'x-amz-security-token',
  'x-amz-user-agent',
  'x-requested-with',
  'accept',
  'accept-language',
];
const ALLOWED_METHODS = 'POST,OPTIONS';
/** Browsers cap this (Chromium at 2 h); a changed configuration reaches them within it. */
const PREFLIGHT_MAX_AGE_SECONDS = '7200';

/**
 * Why a request from `origin` is refused, or undefined when it may proceed. Requests without an
 * Origin header (servers, mobile SDKs, curl) are not browser cross-origin requests: CORS does
 * not apply to them.
 */
export function originProblem(
  origin: string | undefined,
  stack: OriginPolicy,
  pipeline: OriginPolicy,
): string | undefined {
  if (origin === undefined || origin === '') return undefined;
  if (!originAllowed(origin, stack))
    return `origin '${origin.slice(0, 200)}' is not allowed to send events (stack setting corsAllowedOrigins)`;
  if (!originAllowed(origin, pipeline))
    return `origin '${origin.slice(0, 200)}' is not allowed to send events for this app (its pipeline's allowedOrigins)`;
  return undefined;
}

/** Headers of every answer to a browser request from an allowed origin. */
export function corsResponseHeaders(origin: string | undefined, allowed: boolean): Record<string, string> {
  if (origin === undefined || origin === '' || !allowed) return { vary: 'Origin' };
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    vary: 'Origin',
  };
}

/** The extra headers of a successful preflight. */
export function preflightHeaders(): Record<string, string> {
  return {
    'access-control-allow-methods': ALLOWED_METHODS,
    'access-control-allow-headers': ALLOWED_REQUEST_HEADERS.join(','),
    'access-control-max-age': PREFLIGHT_MAX_AGE_SECONDS,
  };
}
