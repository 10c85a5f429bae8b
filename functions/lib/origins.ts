/**
 * Browser origin patterns, as the stack setting `corsAllowedOrigins` and a pipeline's
 * `allowedOrigins` give them: exact origins (`https://shop.example.com`, `http://localhost:8080`),
 * wildcards over subdomains (`*.example.com` any scheme, `https://*.example.com` one scheme), or
 * `*` (any origin). Patterns are kept lower-case.
 */

import { ConfigError } from './errors.ts';

/** A validated list of origin patterns; undefined = any origin. */
export type OriginPolicy = readonly string[] | undefined;

const ORIGIN_PATTERN =
  /^(?:(https?):\/\/)?(\*\.)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*|\[[0-9a-f:.]+\])(?::(\d{1,5}))?$/;

/** Why `pattern` is not an origin pattern, or undefined when it is one. */
export function originPatternProblem(pattern: string): string | undefined {
  if (pattern === '*') return undefined;
  const m = ORIGIN_PATTERN.exec(pattern);
  if (!m) return `'${pattern.slice(0, 100)}' is not an origin (scheme://host[:port]), a '*.domain' wildcard or '*'`;
  if (m[1] === undefined && m[2] === undefined)
    return `'${pattern}' needs a scheme (https://${pattern}) unless it is a '*.' wildcard`;
  if (m[4] !== undefined && (Number(m[4]) < 1 || Number(m[4]) > 65535)) return `'${pattern}' has an invalid port`;
  return undefined;
}

/** Parses the comma-separated stack setting; empty or `*` = any origin. Throws the first problem. */
export function parseOriginPolicy(text: string | undefined, property: string): OriginPolicy {
  const entries = (text ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
  if (entries.length === 0 || entries.includes('*')) return undefined;
  for (const entry of entries) {
    const problem = originPatternProblem(entry);
    if (problem !== undefined) throw new ConfigError(`${property}: ${problem}`);
  }
  return entries;
}

function matches(origin: string, pattern: string): boolean {
  if (pattern === '*' || pattern === origin) return true;
  const star = pattern.indexOf('*.');
  if (star < 0) return false;
  const scheme = pattern.slice(0, star);
  const suffix = pattern.slice(star + 1);
  const schemeEnd = origin.indexOf('://');
  if (schemeEnd < 0) return false;
  if (scheme !== '' && !origin.startsWith(scheme)) return false;
  const hostPort = origin.slice(schemeEnd + 3);
  const wanted = suffix.includes(':') ? hostPort : hostPort.replace(/:\d+$/, '');
  return wanted.endsWith(suffix) && wanted.length > suffix.length;
}

export function originAllowed(origin: string, patterns: OriginPolicy): boolean {
  if (patterns === undefined) return true;
  const lower = origin.toLowerCase();
  return patterns.some((p) => matches(lower, p.toLowerCase()));
}
