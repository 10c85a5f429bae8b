/**
 * Shared pieces of the property-based tests of hostile input (fast-check): the run settings and
 * the arbitraries every API's bad input is made of.
 *
 * Runs are reproducible: the seed is fixed (FC_SEED overrides it to explore other cases), and
 * fast-check prints the seed and the shrunk counterexample of any failure.
 */
import * as fc from 'fast-check';

export const SEED = process.env.FC_SEED === undefined ? 20_261_204 : Number(process.env.FC_SEED);

/** fc.assert parameters: the fixed seed and `numRuns` cases (FC_RUNS_SCALE multiplies every property's runs). */
export function runs(numRuns: number): fc.Parameters<unknown> {
  const scale = process.env.FC_RUNS_SCALE === undefined ? 1 : Number(process.env.FC_RUNS_SCALE);
  return { seed: SEED, numRuns: Math.max(1, Math.round(numRuns * scale)) };
}

/** Keys that pollute prototypes when merged naively, and names every object already has. */
export const PROTO_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '__defineGetter__',
] as const;

/** Strings meant to break parsers, logs, headers and messages. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom(
    '',
    ' ',
    '\r\n',
    'x\r\nSet-Cookie: a=b',
    'x\nX-Injected: 1',
    '\u0000',
    '\ud800',
    '\udfff\ud800',
    '%',
    '%zz',
    '%E0%A4%A',
    '%00',
    '../../etc/passwd',
    '${jndi:ldap://x}',
    '{{7*7}}',
    "'; DROP TABLE pipelines; --",
    '<script>alert(1)</script>',
    '\u202e',
    '\ufeff',
    'é',
    '🦄',
    ...PROTO_KEYS,
  ),
  fc
    .oneof(
      { weight: 9, arbitrary: fc.integer({ min: 129, max: 2_000 }) },
      { weight: 1, arbitrary: fc.constant(20_000) },
    )
    .map((n) => 'x'.repeat(n)),
);

/** `depth` arrays or objects nested in one another around `leaf`, built as text (no recursion). */
export function nestedJson(depth: number, kind: 'array' | 'object', leaf = '1'): string {
  return kind === 'array'
    ? `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`
    : `${'{"a":'.repeat(depth)}${leaf}${'}'.repeat(depth)}`;
}

/** JSON text of a value nested `depth` levels deep (as text: JSON.stringify would overflow the stack). */
export const deepJson: fc.Arbitrary<string> = fc
  .tuple(
    // Mostly just over any sane limit; sometimes deep enough to overflow a recursive walker.
    fc.oneof(
      { weight: 9, arbitrary: fc.integer({ min: 33, max: 500 }) },
      { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 20_000 }) },
    ),
    fc.constantFrom('array' as const, 'object' as const),
  )
  .map(([depth, kind]) => nestedJson(depth, kind));

/** JSON text of an object with one prototype-sensitive key, e.g. `{"__proto__":{"polluted":true}}`. */
export const protoJson: fc.Arbitrary<string> = fc
  .constantFrom(...PROTO_KEYS)
  .map((k) => `{"${k}":{"polluted":true,"prototype":{"polluted":true}}}`);

/**
 * JSON text of a value of the wrong type for whatever field it lands in. Text, not values: an
 * object literal with a `__proto__` key would set a prototype instead of carrying the key.
 */
export const wrongJson: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: hostileString.map((v) => JSON.stringify(v)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'null',
      'true',
      'false',
      '0',
      '-1',
      '1.5',
      '1e308',
      '-0',
      '9007199254740993',
      '[]',
      '{}',
      '""',
    ),
  },
  { weight: 1, arbitrary: deepJson },
  {
    weight: 1,
    arbitrary: fc
      .oneof(
        { weight: 9, arbitrary: fc.integer({ min: 100, max: 3_000 }) },
        { weight: 1, arbitrary: fc.constant(50_000) },
      )
      .map((n) => `[${Array.from({ length: n }, (_, i) => i).join(',')}]`),
  },
  { weight: 1, arbitrary: protoJson },
);

/** An object as JSON text from [key, value text] entries (duplicates and `__proto__` kept as written). */
export function objectJson(entries: readonly (readonly [string, string])[]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
}

/** Bytes that are not UTF-8: stray continuation bytes, overlong forms, encoded surrogates, truncated sequences. */
export const invalidUtf8: fc.Arbitrary<Buffer> = fc
  .constantFrom(
    [0xff],
    [0xfe],
    [0x80],
    [0xbf],
    [0xc0, 0x80],
    [0xc1, 0xbf],
    [0xe0, 0x80, 0x80],
    [0xed, 0xa0, 0x80],
    [0xed, 0xbf, 0xbf],
    [0xf4, 0x90, 0x80, 0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
    [0xe2, 0x82],
    [0xf0, 0x9f, 0xa6],
  )
  .map((bytes) => Buffer.from(bytes));

/** Inserts `bytes` into `text`'s UTF-8 at a position chosen by `at` (0..1). */
export function spliceBytes(text: string, bytes: Buffer, at: number): Buffer {
  const data = Buffer.from(text, 'utf8');
  // Between two ASCII characters, so the insertion itself does not cut a valid sequence in two.
  let i = Math.floor(at * data.length);
  while (i > 0 && i < data.length && (data[i]! & 0xc0) === 0x80) i--;
  return Buffer.concat([data.subarray(0, i), bytes, data.subarray(i)]);
}

/** Every own string key of Object.prototype and Function.prototype, to prove nothing was added. */
export function prototypeKeys(): string {
  return [Object.prototype, Function.prototype, Array.prototype]
    .map((p) => Object.getOwnPropertyNames(p).sort().join(','))
    .join('|');
}

/** True when a response header value could split the HTTP response (CR or LF in it). */
export function hasLineBreak(headers: Record<string, unknown> | undefined): boolean {
  return Object.entries(headers ?? {}).some(([k, v]) => /[\r\n]/.test(k) || /[\r\n]/.test(String(v)));
}
