/**
 * A small declarative description of Kafka messages, and the generic codec that reads requests
 * and writes responses from it.
 *
 * Kafka defines every message once (clients/src/main/resources/common/message/*.json) with a
 * version range per field and a "flexible from" version where strings, bytes and arrays switch to
 * compact (uvarint) lengths and every struct gains a tagged-field section. Mirroring that here
 * means a new version of an API is one line in its schema instead of another hand-written parser,
 * and each schema can be checked against the upstream JSON by eye.
 */
import { Reader } from './reader.ts';
import { Writer } from './writer.ts';

export type Primitive =
  'int8' | 'int16' | 'uint16' | 'int32' | 'int64' | 'float64' | 'bool' | 'string' | 'bytes' | 'records' | 'uuid';

export interface Field {
  readonly name: string;
  readonly type: Primitive | readonly Field[];
  readonly array: boolean;
  readonly min: number;
  readonly max: number;
}

/** Parses "3+", "2-4" or "5" like the upstream JSON `versions` attribute. */
function parseVersions(versions: string): [number, number] {
  if (versions.endsWith('+')) return [Number(versions.slice(0, -1)), Number.POSITIVE_INFINITY];
  const dash = versions.indexOf('-');
  if (dash > 0) return [Number(versions.slice(0, dash)), Number(versions.slice(dash + 1))];
  return [Number(versions), Number(versions)];
}

/** A scalar or struct field present in `versions` (default all). */
export function field(name: string, type: Primitive | readonly Field[], versions = '0+'): Field {
  const [min, max] = parseVersions(versions);
  return { name, type, array: false, min, max };
}

/** An array field; `type` is the element type (primitive or struct fields). */
export function array(name: string, type: Primitive | readonly Field[], versions = '0+'): Field {
  const [min, max] = parseVersions(versions);
  return { name, type, array: true, min, max };
}

export type Decoded = Record<string, unknown>;

/** The fixed-width numbers: Reader and Writer have one method of the same name for each. */
const NUMERIC = new Set(['int8', 'int16', 'uint16', 'int32', 'int64', 'float64'] as const);
type Numeric = typeof NUMERIC extends Set<infer T> ? T : never;
const isNumeric = (type: Primitive): type is Numeric => NUMERIC.has(type as Numeric);

function readPrimitive(r: Reader, type: Primitive, compact: boolean): unknown {
  if (isNumeric(type)) return r[type]();
  switch (type) {
    case 'bool':
      return r.bool();
    case 'string':
      return r.string(compact);
    case 'bytes':
    case 'records':
      return r.bytes(compact);
    case 'uuid':
      return r.uuid();
  }
}

function readElement(r: Reader, type: Primitive | readonly Field[], version: number, flexible: boolean): unknown {
  return typeof type === 'string' ? readPrimitive(r, type, flexible) : decodeStruct(r, type, version, flexible);
}

/** Decodes one struct (a message body or a nested element) at `version`. */
export function decodeStruct(r: Reader, fields: readonly Field[], version: number, flexible: boolean): Decoded {
  const out: Decoded = {};
  for (const f of fields) {
    if (version < f.min || version > f.max) continue;
    if (f.array) {
      const n = r.arrayLength(flexible);
      if (n < 0) {
        out[f.name] = null;
        continue;
      }
      const items = new Array<unknown>(n);
      for (let i = 0; i < n; i++) items[i] = readElement(r, f.type, version, flexible);
      out[f.name] = items;
    } else {
      out[f.name] = readElement(r, f.type, version, flexible);
    }
  }
  if (flexible) r.skipTaggedFields();
  return out;
}

function writePrimitive(w: Writer, type: Primitive, value: unknown, compact: boolean): void {
  if (isNumeric(type)) {
    w[type]((value as number | undefined) ?? 0);
    return;
  }
  switch (type) {
    case 'bool':
      w.bool(value === true);
      return;
    case 'string':
      w.string(value === undefined ? '' : (value as string | null), compact);
      return;
    case 'bytes':
      w.bytes(value === undefined ? EMPTY : (value as Uint8Array | null), compact);
      return;
    case 'records':
      if (Array.isArray(value)) w.recordBatches(value as Buffer[], compact);
      else w.bytes(value === undefined ? EMPTY : (value as Uint8Array | null), compact);
      return;
    case 'uuid':
      w.uuid((value as Uint8Array | undefined) ?? null);
      return;
  }
}

const EMPTY = Buffer.alloc(0);

function writeElement(
  w: Writer,
  type: Primitive | readonly Field[],
  value: unknown,
  version: number,
  flexible: boolean,
): void {
  if (typeof type === 'string') writePrimitive(w, type, value, flexible);
  else encodeStruct(w, type, (value ?? {}) as Decoded, version, flexible);
}

/**
 * Encodes one struct at `version`. Missing values take the protocol's zero value (0, false, "",
 * empty array/bytes); pass `null` explicitly for a null string, bytes or array.
 */
export function encodeStruct(
  w: Writer,
  fields: readonly Field[],
  value: Decoded,
  version: number,
  flexible: boolean,
): void {
  for (const f of fields) {
    if (version < f.min || version > f.max) continue;
    const v = value[f.name];
    if (f.array) {
      if (v === null) {
        if (flexible) w.uvarint(0);
        else w.int32(-1);
        continue;
      }
      const items = (v ?? []) as readonly unknown[];
      if (flexible) w.uvarint(items.length + 1);
      else w.int32(items.length);
      for (const item of items) writeElement(w, f.type, item, version, flexible);
    } else {
      writeElement(w, f.type, v, version, flexible);
    }
  }
  if (flexible) w.emptyTaggedFields();
}
