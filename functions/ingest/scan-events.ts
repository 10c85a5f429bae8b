import { BadRequestError } from '../lib/errors.ts';

/** Where one event of a batch sits in the request text, and how deeply it nests. */
export interface EventSpan {
  /** Index of the event's first character in the text. */
  start: number;
  /** Index one past its last character. */
  end: number;
  /** Nesting of objects/arrays inside the event: `{"a":1}` is 1, `{"a":[{}]}` is 3, a number 0. */
  depth: number;
}

/** What an open bracket on the scanner's stack opened. */
const Open = { Array: 0, Object: 1 } as const;

/** Scanner states: expecting a value, expecting an object key, after a complete value. */
const State = { Value: 0, Key: 1, AfterValue: 2 } as const;
type State = (typeof State)[keyof typeof State];

function describe(text: string, i: number): string {
  if (i >= text.length) return 'unexpected end of input';
  const c = text[i] ?? '';
  const shown = c < ' ' ? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}` : c;
  return `unexpected '${shown}' at position ${i}`;
}

function fail(text: string, i: number, expected?: string): never {
  throw new BadRequestError(
    `request body is not valid JSON: ${describe(text, i)}${expected ? ` (expected ${expected})` : ''}`,
  );
}

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Index past the string that starts at `i` (a '"'); validates escapes and control characters. */
function skipString(text: string, i: number): number {
  const n = text.length;
  let j = i + 1;
  for (;;) {
    if (j >= n) fail(text, j, 'a closing quote');
    const c = text.charCodeAt(j);
    if (c === 34) return j + 1;
    if (c < 0x20) fail(text, j, 'no raw control characters in strings');
    if (c === 92) {
      const e = text.charCodeAt(j + 1);
      if (e === 117) {
        for (let k = 2; k < 6; k++) if (!isHex(text.charCodeAt(j + k))) fail(text, j + k, 'four hex digits after \\u');
        j += 6;
      } else if (e === 34 || e === 92 || e === 47 || e === 98 || e === 102 || e === 110 || e === 114 || e === 116) {
        j += 2;
      } else {
        fail(text, j + 1, 'a valid escape');
      }
    } else {
      j++;
    }
  }
}

function skipDigits(text: string, i: number): number {
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c < 48 || c > 57) break;
    j++;
  }
  return j;
}

/** Index past the number that starts at `i`, following JSON's grammar exactly. */
function skipNumber(text: string, i: number): number {
  let j = i;
  if (text.charCodeAt(j) === 45) j++;
  const first = text.charCodeAt(j);
  if (first === 48) j++;
  else if (first >= 49 && first <= 57) j = skipDigits(text, j);
  else fail(text, j, 'a digit');
  if (text.charCodeAt(j) === 46) {
    const after = skipDigits(text, j + 1);
    if (after === j + 1) fail(text, after, 'a digit after the decimal point');
    j = after;
  }
  const e = text.charCodeAt(j);
  if (e === 101 || e === 69) {
    j++;
    const sign = text.charCodeAt(j);
    if (sign === 43 || sign === 45) j++;
    const after = skipDigits(text, j);
    if (after === j) fail(text, after, 'a digit in the exponent');
    j = after;
  }
  return j;
}

function skipLiteral(text: string, i: number, word: string): number {
  if (!text.startsWith(word, i)) fail(text, i, 'a JSON value');
  return i + word.length;
}

function skipSpace(text: string, i: number): number {
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    j++;
  }
  return j;
}

/**
 * Validates the request text as JSON and returns where each event is: the elements of a
 * top-level array, or the one top-level value. Nothing is materialised, so the client's bytes of
 * every event can pass through unchanged (numbers beyond 2^53, `-0`, exponents, escapes, key
 * order), and the scan is iterative, so no nesting depth can overflow a stack: each event's depth
 * is measured for the per-event limit instead. Linear in the text; throws BadRequestError naming
 * the first syntax error.
 */
export function scanEvents(text: string): { spans: EventSpan[]; batch: boolean } {
  const n = text.length;
  const stack: number[] = [];
  const spans: EventSpan[] = [];
  let i = skipSpace(text, 0);
  const batch = text.charCodeAt(i) === 91;
  let state: State = State.Value;
  let elementStart = -1;
  let elementDepth = 0;
  const topStart = i;

  for (;;) {
    if (state === State.Value) {
      i = skipSpace(text, i);
      if (batch && stack.length === 1) {
        elementStart = i;
        elementDepth = 0;
      }
      const c = text.charCodeAt(i);
      if (c === 123 || c === 91) {
        stack.push(c === 123 ? Open.Object : Open.Array);
        if (batch && stack.length - 1 > elementDepth) elementDepth = stack.length - 1;
        i = skipSpace(text, i + 1);
        const close = text.charCodeAt(i);
        if ((c === 123 && close === 125) || (c === 91 && close === 93)) {
          stack.pop();
          i++;
          state = State.AfterValue;
        } else {
          state = c === 123 ? State.Key : State.Value;
        }
        continue;
      }
      if (c === 34) i = skipString(text, i);
      else if (c === 45 || (c >= 48 && c <= 57)) i = skipNumber(text, i);
      else if (c === 116) i = skipLiteral(text, i, 'true');
      else if (c === 102) i = skipLiteral(text, i, 'false');
      else if (c === 110) i = skipLiteral(text, i, 'null');
      else fail(text, i, 'a JSON value');
      state = State.AfterValue;
    } else if (state === State.Key) {
      i = skipSpace(text, i);
      if (text.charCodeAt(i) !== 34) fail(text, i, 'a quoted key');
      i = skipSpace(text, skipString(text, i));
      if (text.charCodeAt(i) !== 58) fail(text, i, "':'");
      i++;
      state = State.Value;
    } else {
      if (batch && stack.length === 1 && elementStart >= 0) {
        spans.push({ start: elementStart, end: i, depth: elementDepth });
        elementStart = -1;
      }
      if (stack.length === 0) break;
      i = skipSpace(text, i);
      const c = text.charCodeAt(i);
      const top = stack[stack.length - 1];
      if (c === 44) {
        i++;
        state = top === Open.Object ? State.Key : State.Value;
      } else if ((c === 125 && top === Open.Object) || (c === 93 && top === Open.Array)) {
        stack.pop();
        i++;
      } else {
        fail(text, i, top === Open.Object ? "',' or '}'" : "',' or ']'");
      }
    }
  }
  const end = i;
  if (skipSpace(text, i) !== n) fail(text, skipSpace(text, i), 'the end of the body');
  if (!batch) return { spans: [{ start: topStart, end, depth: depthOf(text, topStart, end) }], batch };
  return { spans, batch };
}

/** Nesting depth of one already validated value (used for a single, unbatched event). */
function depthOf(text: string, start: number, end: number): number {
  let depth = 0;
  let max = 0;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) i = skipString(text, i) - 1;
    else if (c === 123 || c === 91) max = Math.max(max, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}
