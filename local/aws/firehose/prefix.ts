/**
 * Firehose S3 prefixes: parsing `!{namespace:value}` expressions and rendering them the way the
 * service does.
 *
 * - `!{timestamp:<Java DateTimeFormatter pattern>}`: the approximate arrival time of the oldest
 *   record in the object, in UTC or the stream's `CustomTimeZone`. Supported pattern letters:
 *   `y` (yyyy / yy), `M`, `d`, `H`, `h`, `m`, `s`, `S` (fraction), `D` (day of year), `a`, `'text'`
 *   quoting, and any non-letter characters as literals.
 * - `!{partitionKeyFromQuery:key}`: a key computed by the MetadataExtraction query.
 * - `!{firehose:random-string}` (a UUID) and `!{firehose:error-output-type}` (error prefix only).
 * - `!{partitionKeyFromLambda:key}` is recognised but refused: the local endpoint runs no
 *   transformation Lambda.
 *
 * Defaults as in the service: no prefix means `yyyy/MM/dd/HH/`; a prefix with no expression gets
 * `yyyy/MM/dd/HH/` appended; an error prefix with no expression gets
 * `<error-output-type>/yyyy/MM/dd/HH/` appended.
 */
import { randomUUID } from 'node:crypto';

export type PrefixPart =
  | { kind: 'text'; text: string }
  | { kind: 'timestamp'; pattern: string; tokens: TimeToken[] }
  | { kind: 'partitionKeyFromQuery'; key: string }
  | { kind: 'partitionKeyFromLambda'; key: string }
  | { kind: 'firehose'; value: 'random-string' | 'error-output-type' };

export type TimeToken = { kind: 'literal'; text: string } | { kind: 'field'; letter: string; width: number };

export class PrefixError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PrefixError';
  }
}

const SUPPORTED_LETTERS = new Set(['y', 'u', 'M', 'L', 'd', 'H', 'h', 'm', 's', 'S', 'D', 'a']);

/** Parses a Java DateTimeFormatter pattern (the supported subset). */
export function parseTimePattern(pattern: string): TimeToken[] {
  const tokens: TimeToken[] = [];
  let i = 0;
  while (i < pattern.length) {
    const ch = pattern[i] as string;
    if (ch === "'") {
      const end = pattern.indexOf("'", i + 1);
      if (end === i + 1) {
        tokens.push({ kind: 'literal', text: "'" });
        i += 2;
        continue;
      }
      if (end < 0) throw new PrefixError(`unterminated quote in timestamp pattern '${pattern}'`);
      tokens.push({ kind: 'literal', text: pattern.slice(i + 1, end) });
      i = end + 1;
      continue;
    }
    if (/[A-Za-z]/.test(ch)) {
      let width = 1;
      while (pattern[i + width] === ch) width += 1;
      if (!SUPPORTED_LETTERS.has(ch))
        throw new PrefixError(`unsupported timestamp pattern letter '${ch}' in '${pattern}'`);
      tokens.push({ kind: 'field', letter: ch, width });
      i += width;
      continue;
    }
    if (ch === '[' || ch === ']' || ch === '{' || ch === '}' || ch === '#') {
      throw new PrefixError(`reserved character '${ch}' in timestamp pattern '${pattern}'`);
    }
    tokens.push({ kind: 'literal', text: ch });
    i += 1;
  }
  return tokens;
}

/** Parses a prefix into literal text and expressions; throws PrefixError. */
export function parsePrefix(prefix: string): PrefixPart[] {
  const parts: PrefixPart[] = [];
  let i = 0;
  while (i < prefix.length) {
    const start = prefix.indexOf('!{', i);
    if (start < 0) {
      parts.push({ kind: 'text', text: prefix.slice(i) });
      break;
    }
    if (start > i) parts.push({ kind: 'text', text: prefix.slice(i, start) });
    const end = prefix.indexOf('}', start);
    if (end < 0) throw new PrefixError(`unterminated expression '${prefix.slice(start)}'`);
    const body = prefix.slice(start + 2, end);
    const colon = body.indexOf(':');
    if (colon < 0) throw new PrefixError(`expression '!{${body}}' must be !{namespace:value}`);
    const namespace = body.slice(0, colon);
    const value = body.slice(colon + 1);
    switch (namespace) {
      case 'timestamp':
        if (value === '') throw new PrefixError('!{timestamp:} needs a pattern');
        parts.push({ kind: 'timestamp', pattern: value, tokens: parseTimePattern(value) });
        break;
      case 'partitionKeyFromQuery':
      case 'partitionKeyFromLambda':
        if (!/^[A-Za-z0-9_-]+$/.test(value)) throw new PrefixError(`invalid partition key name '${value}'`);
        parts.push({ kind: namespace, key: value });
        break;
      case 'firehose':
        if (value !== 'random-string' && value !== 'error-output-type') {
          throw new PrefixError(`unknown firehose namespace value '${value}' (random-string or error-output-type)`);
        }
        parts.push({ kind: 'firehose', value });
        break;
      default:
        throw new PrefixError(`unknown namespace '${namespace}' in '!{${body}}'`);
    }
    i = end + 1;
  }
  return parts;
}

export const hasExpressions = (parts: readonly PrefixPart[]): boolean => parts.some((p) => p.kind !== 'text');

const DEFAULT_TIME_PARTS = parsePrefix('!{timestamp:yyyy/MM/dd/HH/}');

/** The data prefix with the service's defaults applied. */
export function effectivePrefix(prefix: string | undefined): PrefixPart[] {
  if (!prefix) return DEFAULT_TIME_PARTS;
  const parts = parsePrefix(prefix);
  return hasExpressions(parts) ? parts : [...parts, ...DEFAULT_TIME_PARTS];
}

/** The error prefix with the service's defaults applied. */
export function effectiveErrorPrefix(prefix: string | undefined): PrefixPart[] {
  const parts = prefix ? parsePrefix(prefix) : [];
  if (hasExpressions(parts)) return parts;
  return [
    ...parts,
    { kind: 'firehose', value: 'error-output-type' },
    { kind: 'text', text: '/' },
    ...DEFAULT_TIME_PARTS,
  ];
}

export interface TimeFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  millisecond: number;
  dayOfYear: number;
}

/** Calendar fields of `epochMs` in `timeZone` (IANA name; default UTC). */
export function timeFields(epochMs: number, timeZone = 'UTC'): TimeFields {
  let year: number;
  let month: number;
  let day: number;
  let hour: number;
  let minute: number;
  let second: number;
  if (timeZone === 'UTC') {
    const d = new Date(epochMs);
    year = d.getUTCFullYear();
    month = d.getUTCMonth() + 1;
    day = d.getUTCDate();
    hour = d.getUTCHours();
    minute = d.getUTCMinutes();
    second = d.getUTCSeconds();
  } else {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    }).formatToParts(new Date(epochMs));
    const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
    year = get('year');
    month = get('month');
    day = get('day');
    hour = get('hour');
    minute = get('minute');
    second = get('second');
  }
  const dayOfYear = Math.round((Date.UTC(year, month - 1, day) - Date.UTC(year, 0, 1)) / 86_400_000) + 1;
  return { year, month, day, hour, minute, second, millisecond: ((epochMs % 1000) + 1000) % 1000, dayOfYear };
}

function formatField(letter: string, width: number, f: TimeFields): string {
  const num = (n: number, w: number): string => String(n).padStart(w, '0');
  switch (letter) {
    case 'y':
    case 'u':
      return width === 2 ? num(f.year % 100, 2) : num(f.year, width);
    case 'M':
    case 'L':
      return num(f.month, width);
    case 'd':
      return num(f.day, width);
    case 'H':
      return num(f.hour, width);
    case 'h':
      return num(f.hour % 12 === 0 ? 12 : f.hour % 12, width);
    case 'm':
      return num(f.minute, width);
    case 's':
      return num(f.second, width);
    case 'S':
      return num(f.millisecond, 3).padEnd(width, '0').slice(0, width);
    case 'D':
      return num(f.dayOfYear, width);
    case 'a':
      return f.hour < 12 ? 'AM' : 'PM';
    default:
      throw new PrefixError(`unsupported timestamp pattern letter '${letter}'`);
  }
}

export function formatTimestamp(tokens: readonly TimeToken[], epochMs: number, timeZone = 'UTC'): string {
  const fields = timeFields(epochMs, timeZone);
  return tokens.map((t) => (t.kind === 'literal' ? t.text : formatField(t.letter, t.width, fields))).join('');
}

export interface RenderContext {
  /** Arrival time of the oldest record of the object (ms). */
  timestamp: number;
  timeZone?: string;
  partitionKeys?: Readonly<Record<string, string>>;
  errorOutputType?: string;
  randomString?: () => string;
}

/** Renders parsed parts; throws PrefixError when a key has no value. */
export function renderPrefix(parts: readonly PrefixPart[], context: RenderContext): string {
  let out = '';
  for (const part of parts) {
    switch (part.kind) {
      case 'text':
        out += part.text;
        break;
      case 'timestamp':
        out += formatTimestamp(part.tokens, context.timestamp, context.timeZone);
        break;
      case 'partitionKeyFromQuery':
      case 'partitionKeyFromLambda': {
        const value = context.partitionKeys?.[part.key];
        if (value === undefined) throw new PrefixError(`no value for partition key '${part.key}'`);
        out += value;
        break;
      }
      case 'firehose':
        if (part.value === 'random-string') {
          out += (context.randomString ?? randomUUID)();
        } else {
          if (context.errorOutputType === undefined)
            throw new PrefixError('!{firehose:error-output-type} is only valid in ErrorOutputPrefix');
          out += context.errorOutputType;
        }
        break;
    }
  }
  return out;
}

/** `<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>`, as Firehose names objects. */
export function objectName(
  stream: string,
  version: string,
  epochMs: number,
  extension: string,
  timeZone = 'UTC',
  uuid: string = randomUUID(),
): string {
  const f = timeFields(epochMs, timeZone);
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${stream}-${version}-${f.year}-${p(f.month)}-${p(f.day)}-${p(f.hour)}-${p(f.minute)}-${p(f.second)}-${uuid}${extension}`;
}
