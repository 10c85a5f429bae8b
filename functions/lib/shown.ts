/**
 * A value as an error message may quote it: scalars as JSON (long strings cut), arrays and
 * objects by their kind only. Messages quote what the client sent so the client can find it, but
 * a hostile value (an array nested 10,000 deep, a megabyte string) must neither blow the stack
 * of JSON.stringify nor be echoed back whole.
 */
export const SHOWN_MAX_CHARS = 80;

export function shown(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length} item${value.length === 1 ? '' : 's'}`;
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string' && value.length > SHOWN_MAX_CHARS) return cut(value, JSON.stringify);
  if (typeof value === 'bigint') return `${value}`;
  return JSON.stringify(value) ?? String(value);
}

/** A string as messages quote it: `'value'` while short, else cut as `shown` cuts it. */
export function quoted(value: string): string {
  return value.length <= SHOWN_MAX_CHARS ? `'${value}'` : shown(value);
}

/** A long string's first SHOWN_MAX_CHARS characters (as `show` writes them) and its length. */
function cut(value: string, show: (head: string) => string): string {
  return `${show(value.slice(0, SHOWN_MAX_CHARS))}… (${value.length} characters)`;
}

/**
 * A client string echoed as a value (not inside a message, so unquoted): itself while short,
 * else cut as `shown` cuts it.
 */
export function clipped(value: string): string {
  return value.length <= SHOWN_MAX_CHARS ? value : cut(value, (head) => head);
}
