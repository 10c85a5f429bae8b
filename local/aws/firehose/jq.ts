/**
 * A small evaluator for the subset of jq (1.6) that Firehose `MetadataExtraction` queries use to
 * compute dynamic-partitioning keys. It is deliberately small: every expression yields exactly
 * one value (or none, after `?`/`empty`), which is all a partition-key query needs.
 *
 * Supported:
 * - paths: `.`, `.foo`, `."foo"`, `.foo.bar`, `.[0]`, `.["foo"]`, `.foo?`;
 * - literals: numbers, strings (escapes and `\(expr)` interpolation), `null`, `true`, `false`;
 * - construction: `{a: .x, "b": .y, (.k): .v, c}` (values are pipes of terms, as in jq), `[expr]`;
 * - operators: `|`, `//`, `+ - * / %` (numbers; `+` also joins strings, arrays, objects, null);
 * - builtins: `tostring`, `tonumber`, `ascii_downcase`, `ascii_upcase`, `length`, `floor`,
 *   `ceil`, `round`, `ltrimstr(s)`, `rtrimstr(s)`, `split(s)`, `join(s)`, `empty`, and the date
 *   functions `strftime(fmt)`, `gmtime`, `mktime`, `todate`, `todateiso8601`, `fromdate`,
 *   `fromdateiso8601`.
 * Not supported (a clear `JqSyntaxError` at CreateDeliveryStream): `,` producing several
 * outputs, variables, `if`, comparisons, `and`/`or`, regular expressions, user functions.
 */

export type JqValue = null | boolean | number | string | JqValue[] | { [key: string]: JqValue };

/** The "no output" of `empty` and of a failed `expr?`. */
const EMPTY: unique symbol = Symbol('empty');
type Out = JqValue | typeof EMPTY;

export class JqSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JqSyntaxError';
  }
}

export class JqRuntimeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JqRuntimeError';
  }
}

// ---------------------------------------------------------------------------------------------
// Tokens

type Token =
  | { t: 'punct'; v: string; at: number }
  | { t: 'num'; v: number; at: number }
  | { t: 'str'; parts: Array<string | Node>; at: number }
  | { t: 'ident'; v: string; at: number }
  | { t: 'field'; v: string; at: number }
  | { t: 'eof'; at: number };

const PUNCT2 = ['//', '==', '!=', '<=', '>='];
const PUNCT1 = '.[]{}()|,:;?+-*/%<>$=';

function readString(src: string, start: number): { parts: Array<string | Node>; end: number } {
  // src[start] === '"'
  const parts: Array<string | Node> = [];
  let text = '';
  let i = start + 1;
  while (i < src.length) {
    const ch = src[i] as string;
    if (ch === '"') {
      if (text !== '' || parts.length === 0) parts.push(text);
      return { parts, end: i + 1 };
    }
    if (ch === '\\') {
      const next = src[i + 1];
      const simple: Record<string, string> = {
        '"': '"',
        '\\': '\\',
        '/': '/',
        b: '\b',
        f: '\f',
        n: '\n',
        r: '\r',
        t: '\t',
      };
      if (next !== undefined && next in simple) {
        text += simple[next];
        i += 2;
        continue;
      }
      if (next === 'u') {
        const hex = src.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new JqSyntaxError(`invalid \\u escape at ${i}`);
        text += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      if (next === '(') {
        // Interpolation: find the matching ')' (strings inside may contain parentheses).
        let depth = 1;
        let j = i + 2;
        while (j < src.length && depth > 0) {
          const c = src[j];
          if (c === '"') {
            j = readString(src, j).end;
            continue;
          }
          if (c === '(') depth += 1;
          if (c === ')') depth -= 1;
          j += 1;
        }
        if (depth !== 0) throw new JqSyntaxError(`unterminated string interpolation at ${i}`);
        if (text !== '') parts.push(text);
        text = '';
        parts.push(parseJq(src.slice(i + 2, j - 1)));
        i = j;
        continue;
      }
      throw new JqSyntaxError(`invalid escape '\\${next ?? ''}' at ${i}`);
    }
    text += ch;
    i += 1;
  }
  throw new JqSyntaxError(`unterminated string starting at ${start}`);
}

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const ch = src[i] as string;
    if (/\s/.test(ch)) {
      i += 1;
      continue;
    }
    if (ch === '#') {
      while (i < src.length && src[i] !== '\n') i += 1;
      continue;
    }
    if (ch === '"') {
      const { parts, end } = readString(src, i);
      tokens.push({ t: 'str', parts, at: i });
      i = end;
      continue;
    }
    if (/[0-9]/.test(ch)) {
      const m = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(src.slice(i));
      const text = m?.[0] ?? ch;
      tokens.push({ t: 'num', v: Number(text), at: i });
      i += text.length;
      continue;
    }
    if (/[A-Za-z_]/.test(ch)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
      const text = m?.[0] ?? ch;
      tokens.push({ t: 'ident', v: text, at: i });
      i += text.length;
      continue;
    }
    if (ch === '.') {
      const rest = src.slice(i + 1);
      const ident = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest);
      if (ident) {
        tokens.push({ t: 'field', v: ident[0], at: i });
        i += 1 + ident[0].length;
        continue;
      }
      if (rest.startsWith('"')) {
        const { parts, end } = readString(src, i + 1);
        if (parts.some((p) => typeof p !== 'string'))
          throw new JqSyntaxError(`interpolation is not allowed in a field name at ${i}`);
        tokens.push({ t: 'field', v: parts.join(''), at: i });
        i = end;
        continue;
      }
      if (rest.startsWith('.')) throw new JqSyntaxError(`'..' (recursive descent) is not supported at ${i}`);
    }
    const two = src.slice(i, i + 2);
    if (PUNCT2.includes(two)) {
      tokens.push({ t: 'punct', v: two, at: i });
      i += 2;
      continue;
    }
    if (PUNCT1.includes(ch)) {
      tokens.push({ t: 'punct', v: ch, at: i });
      i += 1;
      continue;
    }
    throw new JqSyntaxError(`unexpected character '${ch}' at ${i}`);
  }
  tokens.push({ t: 'eof', at: src.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// AST and parser

export type Node =
  | { k: 'identity' }
  | { k: 'field'; target: Node; name: string }
  | { k: 'index'; target: Node; index: Node }
  | { k: 'optional'; target: Node }
  | { k: 'literal'; value: JqValue }
  | { k: 'string'; parts: Array<string | Node> }
  | { k: 'object'; entries: Array<{ key: Node; value: Node }> }
  | { k: 'array'; item: Node | undefined }
  | { k: 'pipe'; left: Node; right: Node }
  | { k: 'alt'; left: Node; right: Node }
  | { k: 'binop'; op: string; left: Node; right: Node }
  | { k: 'neg'; operand: Node }
  | { k: 'call'; name: string; args: Node[] };

const UNSUPPORTED_KEYWORDS = new Set([
  'if',
  'then',
  'elif',
  'else',
  'end',
  'and',
  'or',
  'not',
  'as',
  'def',
  'reduce',
  'foreach',
  'try',
  'catch',
  'label',
  'import',
  'include',
]);

class Parser {
  private pos = 0;
  private readonly tokens: Token[];

  constructor(tokens: Token[]) {
    this.tokens = tokens;
  }

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }

  private next(): Token {
    const token = this.peek();
    this.pos += 1;
    return token;
  }

  private isPunct(v: string): boolean {
    const token = this.peek();
    return token.t === 'punct' && token.v === v;
  }

  private expect(v: string): void {
    const token = this.next();
    if (token.t !== 'punct' || token.v !== v)
      throw new JqSyntaxError(`expected '${v}' at ${token.at}, found ${describe(token)}`);
  }

  parseProgram(): Node {
    const node = this.parsePipe();
    const token = this.peek();
    if (token.t !== 'eof') {
      if (token.t === 'punct' && token.v === ',')
        throw new JqSyntaxError(`',' (several outputs) is not supported at ${token.at}`);
      throw new JqSyntaxError(`unexpected ${describe(token)} at ${token.at}`);
    }
    return node;
  }

  private parsePipe(): Node {
    const left = this.parseAlt();
    if (this.isPunct('|')) {
      this.next();
      return { k: 'pipe', left, right: this.parsePipe() };
    }
    return left;
  }

  private parseAlt(): Node {
    const left = this.parseAdditive();
    if (this.isPunct('//')) {
      this.next();
      return { k: 'alt', left, right: this.parseAlt() };
    }
    const token = this.peek();
    if (token.t === 'punct' && ['==', '!=', '<', '<=', '>', '>=', '='].includes(token.v)) {
      throw new JqSyntaxError(`operator '${token.v}' is not supported at ${token.at}`);
    }
    if (token.t === 'ident' && (token.v === 'and' || token.v === 'or' || token.v === 'as')) {
      throw new JqSyntaxError(`'${token.v}' is not supported at ${token.at}`);
    }
    return left;
  }

  private parseAdditive(): Node {
    let left = this.parseMultiplicative();
    while (this.isPunct('+') || this.isPunct('-')) {
      const op = (this.next() as { v: string }).v;
      left = { k: 'binop', op, left, right: this.parseMultiplicative() };
    }
    return left;
  }

  private parseMultiplicative(): Node {
    let left = this.parseUnary();
    while (this.isPunct('*') || this.isPunct('/') || this.isPunct('%')) {
      const op = (this.next() as { v: string }).v;
      left = { k: 'binop', op, left, right: this.parseUnary() };
    }
    return left;
  }

  private parseUnary(): Node {
    if (this.isPunct('-')) {
      this.next();
      return { k: 'neg', operand: this.parseUnary() };
    }
    return this.parsePostfix();
  }

  private parsePostfix(): Node {
    let node = this.parsePrimary();
    for (;;) {
      const token = this.peek();
      if (token.t === 'field') {
        this.next();
        node = { k: 'field', target: node, name: token.v };
      } else if (token.t === 'punct' && token.v === '[') {
        this.next();
        if (this.isPunct(']')) throw new JqSyntaxError(`'[]' (iteration) is not supported at ${token.at}`);
        const index = this.parsePipe();
        this.expect(']');
        node = { k: 'index', target: node, index };
      } else if (
        token.t === 'punct' &&
        token.v === '.' &&
        this.tokens[this.pos + 1]?.t === 'punct' &&
        (this.tokens[this.pos + 1] as { v: string }).v === '['
      ) {
        this.next(); // `.foo.[0]` is the same as `.foo[0]`
      } else if (token.t === 'punct' && token.v === '?') {
        this.next();
        node = { k: 'optional', target: node };
      } else {
        return node;
      }
    }
  }

  private parsePrimary(): Node {
    const token = this.next();
    switch (token.t) {
      case 'field':
        return { k: 'field', target: { k: 'identity' }, name: token.v };
      case 'num':
        return { k: 'literal', value: token.v };
      case 'str':
        return token.parts.every((p) => typeof p === 'string')
          ? { k: 'literal', value: token.parts.join('') }
          : { k: 'string', parts: token.parts };
      case 'ident': {
        if (token.v === 'null') return { k: 'literal', value: null };
        if (token.v === 'true') return { k: 'literal', value: true };
        if (token.v === 'false') return { k: 'literal', value: false };
        if (UNSUPPORTED_KEYWORDS.has(token.v)) throw new JqSyntaxError(`'${token.v}' is not supported at ${token.at}`);
        const args: Node[] = [];
        if (this.isPunct('(')) {
          this.next();
          args.push(this.parsePipe());
          while (this.isPunct(';')) {
            this.next();
            args.push(this.parsePipe());
          }
          this.expect(')');
        }
        checkCall(token.v, args.length, token.at);
        return { k: 'call', name: token.v, args };
      }
      case 'punct':
        if (token.v === '.') return { k: 'identity' };
        if (token.v === '(') {
          const inner = this.parsePipe();
          this.expect(')');
          return inner;
        }
        if (token.v === '[') {
          if (this.isPunct(']')) {
            this.next();
            return { k: 'array', item: undefined };
          }
          const item = this.parsePipe();
          this.expect(']');
          return { k: 'array', item };
        }
        if (token.v === '{') return this.parseObject();
        if (token.v === '$') throw new JqSyntaxError(`variables are not supported at ${token.at}`);
        throw new JqSyntaxError(`unexpected '${token.v}' at ${token.at}`);
      case 'eof':
        throw new JqSyntaxError('unexpected end of query');
    }
  }

  private parseObject(): Node {
    const entries: Array<{ key: Node; value: Node }> = [];
    if (this.isPunct('}')) {
      this.next();
      return { k: 'object', entries };
    }
    for (;;) {
      const token = this.next();
      let key: Node;
      let shorthand: Node | undefined;
      if (token.t === 'ident') {
        key = { k: 'literal', value: token.v };
        shorthand = { k: 'field', target: { k: 'identity' }, name: token.v };
      } else if (token.t === 'str') {
        key = token.parts.every((p) => typeof p === 'string')
          ? { k: 'literal', value: token.parts.join('') }
          : { k: 'string', parts: token.parts };
        shorthand = {
          k: 'field',
          target: { k: 'identity' },
          name: token.parts.every((p) => typeof p === 'string') ? token.parts.join('') : '',
        };
      } else if (token.t === 'num') {
        throw new JqSyntaxError(`object keys must be names or strings, found ${token.v} at ${token.at}`);
      } else if (token.t === 'punct' && token.v === '(') {
        key = this.parsePipe();
        this.expect(')');
      } else {
        throw new JqSyntaxError(`unexpected ${describe(token)} in object at ${token.at}`);
      }
      let value: Node;
      if (this.isPunct(':')) {
        this.next();
        value = this.parseObjectValue();
      } else if (shorthand) {
        value = shorthand;
      } else {
        throw new JqSyntaxError(`expected ':' after a computed key at ${token.at}`);
      }
      entries.push({ key, value });
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      this.expect('}');
      return { k: 'object', entries };
    }
  }

  /** jq's ObjVal: terms (optionally negated) joined by `|`; arithmetic needs parentheses. */
  private parseObjectValue(): Node {
    const term = this.isPunct('-')
      ? (this.next(), { k: 'neg' as const, operand: this.parsePostfix() })
      : this.parsePostfix();
    if (this.isPunct('|')) {
      this.next();
      return { k: 'pipe', left: term, right: this.parseObjectValue() };
    }
    const token = this.peek();
    if (token.t === 'punct' && ['+', '-', '*', '/', '%', '//'].includes(token.v)) {
      throw new JqSyntaxError(
        `'${token.v}' in an object value needs parentheses, e.g. {k: (.a ${token.v} .b)}, at ${token.at}`,
      );
    }
    return term;
  }
}

function describe(token: Token): string {
  switch (token.t) {
    case 'punct':
      return `'${token.v}'`;
    case 'num':
      return String(token.v);
    case 'str':
      return 'a string';
    case 'ident':
      return `'${token.v}'`;
    case 'field':
      return `'.${token.v}'`;
    case 'eof':
      return 'end of query';
  }
}

const ARITY: Record<string, number[]> = {
  tostring: [0],
  tonumber: [0],
  ascii_downcase: [0],
  ascii_upcase: [0],
  length: [0],
  floor: [0],
  ceil: [0],
  round: [0],
  ltrimstr: [1],
  rtrimstr: [1],
  split: [1],
  join: [1],
  empty: [0],
  strftime: [1],
  gmtime: [0],
  mktime: [0],
  todate: [0],
  todateiso8601: [0],
  fromdate: [0],
  fromdateiso8601: [0],
};

function checkCall(name: string, arity: number, at: number): void {
  const allowed = ARITY[name];
  if (!allowed)
    throw new JqSyntaxError(
      `function '${name}' is not supported at ${at} (supported: ${Object.keys(ARITY).join(', ')})`,
    );
  if (!allowed.includes(arity)) throw new JqSyntaxError(`${name}/${arity} is not defined at ${at}`);
}

/** Parses a query; throws JqSyntaxError. */
export function parseJq(source: string): Node {
  return new Parser(tokenize(source)).parseProgram();
}

// ---------------------------------------------------------------------------------------------
// Evaluation

function typeName(value: JqValue): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value === 'object' ? 'object' : typeof value;
}

function isObject(value: JqValue): value is { [key: string]: JqValue } {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function shown(value: JqValue): string {
  const text = JSON.stringify(value);
  return text.length > 30 ? `${text.slice(0, 27)}...` : text;
}

/** jq's `tostring` of a value (strings unchanged, everything else as compact JSON). */
export function jqToString(value: JqValue): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function index(target: JqValue, key: JqValue): JqValue {
  if (target === null) return null;
  if (typeof key === 'string') {
    if (!isObject(target)) throw new JqRuntimeError(`Cannot index ${typeName(target)} with "${key}"`);
    return Object.hasOwn(target, key) ? (target[key] as JqValue) : null;
  }
  if (typeof key === 'number') {
    if (!Array.isArray(target)) throw new JqRuntimeError(`Cannot index ${typeName(target)} with number`);
    const i = Math.floor(key);
    const item = target[i < 0 ? target.length + i : i];
    return item === undefined ? null : item;
  }
  throw new JqRuntimeError(`Cannot index ${typeName(target)} with ${typeName(key)}`);
}

function arithmetic(op: string, a: JqValue, b: JqValue): JqValue {
  if (op === '+') {
    if (a === null) return b;
    if (b === null) return a;
    if (typeof a === 'number' && typeof b === 'number') return a + b;
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
    if (isObject(a) && isObject(b)) return { ...a, ...b };
  } else if (typeof a === 'number' && typeof b === 'number') {
    if (op === '-') return a - b;
    if (op === '*') return a * b;
    if (op === '/') {
      if (b === 0)
        throw new JqRuntimeError(`${shown(a)} and ${shown(b)} cannot be divided because the divisor is zero`);
      return a / b;
    }
    if (op === '%') {
      const divisor = Math.trunc(b);
      if (divisor === 0)
        throw new JqRuntimeError(`${shown(a)} and ${shown(b)} cannot be divided because the divisor is zero`);
      return Math.trunc(a) % divisor;
    }
  }
  const verb = { '+': 'added', '-': 'subtracted', '*': 'multiplied', '/': 'divided', '%': 'divided' }[op] ?? 'combined';
  throw new JqRuntimeError(`${typeName(a)} (${shown(a)}) and ${typeName(b)} (${shown(b)}) cannot be ${verb}`);
}

// --- dates (UTC, as jq's gmtime/strftime) ---

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/** jq's broken-down time: [year, month(0-11), mday, hours, minutes, seconds, wday, yday]. */
function gmtime(seconds: number): number[] {
  if (!Number.isFinite(seconds)) throw new JqRuntimeError('gmtime() requires a number');
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) throw new JqRuntimeError(`gmtime(): ${seconds} is out of range`);
  const startOfYear = Date.UTC(date.getUTCFullYear(), 0, 1);
  const yday = Math.floor(
    (Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()) - startOfYear) / 86_400_000,
  );
  const wholeSeconds = date.getUTCSeconds() + (seconds - Math.floor(seconds));
  return [
    date.getUTCFullYear(),
    date.getUTCMonth(),
    date.getUTCDate(),
    date.getUTCHours(),
    date.getUTCMinutes(),
    wholeSeconds,
    date.getUTCDay(),
    yday,
  ];
}

function brokenDown(value: JqValue, fn: string): number[] {
  if (typeof value === 'number') return gmtime(value);
  if (Array.isArray(value) && value.length >= 6 && value.every((v) => typeof v === 'number')) return value as number[];
  throw new JqRuntimeError(`${fn} requires parsed datetime inputs`);
}

function mktime(parts: number[]): number {
  const [year = 1970, month = 0, day = 1, hours = 0, minutes = 0, seconds = 0] = parts;
  return Math.floor(Date.UTC(year, month, day, hours, minutes, Math.floor(seconds)) / 1000);
}

const pad = (n: number, width = 2, fill = '0'): string => String(Math.trunc(n)).padStart(width, fill);

export function strftime(value: JqValue, format: string): string {
  const [year = 1970, month = 0, day = 1, hours = 0, minutes = 0, seconds = 0, wday = 0, yday = 0] = brokenDown(
    value,
    'strftime/1',
  );
  let out = '';
  for (let i = 0; i < format.length; i += 1) {
    const ch = format[i];
    if (ch !== '%') {
      out += ch;
      continue;
    }
    i += 1;
    const spec = format[i];
    switch (spec) {
      case 'Y':
        out += String(year);
        break;
      case 'y':
        out += pad(year % 100);
        break;
      case 'C':
        out += pad(Math.floor(year / 100));
        break;
      case 'm':
        out += pad(month + 1);
        break;
      case 'd':
        out += pad(day);
        break;
      case 'e':
        out += pad(day, 2, ' ');
        break;
      case 'H':
        out += pad(hours);
        break;
      case 'I':
        out += pad(hours % 12 === 0 ? 12 : hours % 12);
        break;
      case 'M':
        out += pad(minutes);
        break;
      case 'S':
        out += pad(Math.floor(seconds));
        break;
      case 'j':
        out += pad(yday + 1, 3);
        break;
      case 'p':
        out += hours < 12 ? 'AM' : 'PM';
        break;
      case 'a':
        out += (DAYS[wday] ?? '').slice(0, 3);
        break;
      case 'A':
        out += DAYS[wday] ?? '';
        break;
      case 'b':
      case 'h':
        out += (MONTHS[month] ?? '').slice(0, 3);
        break;
      case 'B':
        out += MONTHS[month] ?? '';
        break;
      case 'u':
        out += String(wday === 0 ? 7 : wday);
        break;
      case 'w':
        out += String(wday);
        break;
      case 's':
        out += String(mktime([year, month, day, hours, minutes, seconds]));
        break;
      case 'Z':
        out += 'UTC';
        break;
      case 'z':
        out += '+0000';
        break;
      case 'F':
        out += `${year}-${pad(month + 1)}-${pad(day)}`;
        break;
      case 'T':
        out += `${pad(hours)}:${pad(minutes)}:${pad(Math.floor(seconds))}`;
        break;
      case 'D':
        out += `${pad(month + 1)}/${pad(day)}/${pad(year % 100)}`;
        break;
      case '%':
        out += '%';
        break;
      default:
        throw new JqRuntimeError(`strftime/1: unsupported conversion '%${spec ?? ''}'`);
    }
  }
  return out;
}

function fromIso8601(value: JqValue): number {
  if (typeof value !== 'string') throw new JqRuntimeError(`strptime/1 requires string inputs and arguments`);
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/.exec(value);
  if (!m) throw new JqRuntimeError(`date "${value}" does not match format "%Y-%m-%dT%H:%M:%SZ"`);
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s) / 1000;
}

function callBuiltin(name: string, input: JqValue, args: JqValue[]): Out {
  const arg = args[0] ?? null;
  switch (name) {
    case 'empty':
      return EMPTY;
    case 'tostring':
      return jqToString(input);
    case 'tonumber': {
      if (typeof input === 'number') return input;
      if (typeof input === 'string' && input.trim() !== '' && Number.isFinite(Number(input))) return Number(input);
      throw new JqRuntimeError(`Cannot parse ${shown(input)} as a number`);
    }
    case 'ascii_downcase':
    case 'ascii_upcase': {
      if (typeof input !== 'string') throw new JqRuntimeError(`${name} input must be a string`);
      return name === 'ascii_downcase'
        ? input.replace(/[A-Z]/g, (c) => c.toLowerCase())
        : input.replace(/[a-z]/g, (c) => c.toUpperCase());
    }
    case 'length':
      if (input === null) return 0;
      if (typeof input === 'string') return [...input].length;
      if (Array.isArray(input)) return input.length;
      if (isObject(input)) return Object.keys(input).length;
      if (typeof input === 'number') return Math.abs(input);
      throw new JqRuntimeError(`boolean (${shown(input)}) has no length`);
    case 'floor':
    case 'ceil':
    case 'round':
      if (typeof input !== 'number') throw new JqRuntimeError(`${typeName(input)} (${shown(input)}) number required`);
      return name === 'floor' ? Math.floor(input) : name === 'ceil' ? Math.ceil(input) : Math.round(input);
    case 'ltrimstr':
      return typeof input === 'string' && typeof arg === 'string' && input.startsWith(arg)
        ? input.slice(arg.length)
        : input;
    case 'rtrimstr':
      return typeof input === 'string' && typeof arg === 'string' && arg !== '' && input.endsWith(arg)
        ? input.slice(0, input.length - arg.length)
        : input;
    case 'split':
      if (typeof input !== 'string' || typeof arg !== 'string')
        throw new JqRuntimeError('split input and separator must be strings');
      return input === '' ? [] : input.split(arg);
    case 'join': {
      if (!Array.isArray(input)) throw new JqRuntimeError(`Cannot iterate over ${typeName(input)}`);
      if (typeof arg !== 'string') throw new JqRuntimeError('join separator must be a string');
      return input
        .map((item) => {
          if (item === null) return '';
          if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') return String(item);
          throw new JqRuntimeError(`Cannot join with ${typeName(item)}`);
        })
        .join(arg);
    }
    case 'strftime':
      if (typeof arg !== 'string') throw new JqRuntimeError('strftime/1 requires a string format');
      return strftime(input, arg);
    case 'todate':
    case 'todateiso8601':
      return strftime(input, '%Y-%m-%dT%H:%M:%SZ');
    case 'gmtime':
      if (typeof input !== 'number') throw new JqRuntimeError('gmtime() requires a number');
      return gmtime(input);
    case 'mktime':
      if (!Array.isArray(input)) throw new JqRuntimeError('mktime requires array of 6 numbers');
      return mktime(brokenDown(input, 'mktime'));
    case 'fromdate':
    case 'fromdateiso8601':
      return fromIso8601(input);
    default:
      throw new JqRuntimeError(`${name} is not defined`);
  }
}

function evaluateNode(node: Node, input: JqValue): Out {
  switch (node.k) {
    case 'identity':
      return input;
    case 'literal':
      return node.value;
    case 'field': {
      const target = evaluateNode(node.target, input);
      return target === EMPTY ? EMPTY : index(target, node.name);
    }
    case 'index': {
      const target = evaluateNode(node.target, input);
      const key = evaluateNode(node.index, input);
      return target === EMPTY || key === EMPTY ? EMPTY : index(target, key);
    }
    case 'optional':
      try {
        return evaluateNode(node.target, input);
      } catch (error) {
        if (error instanceof JqRuntimeError) return EMPTY;
        throw error;
      }
    case 'string': {
      let out = '';
      for (const part of node.parts) {
        if (typeof part === 'string') {
          out += part;
        } else {
          const value = evaluateNode(part, input);
          if (value === EMPTY) return EMPTY;
          out += jqToString(value);
        }
      }
      return out;
    }
    case 'object': {
      const result: { [key: string]: JqValue } = {};
      for (const entry of node.entries) {
        const key = evaluateNode(entry.key, input);
        if (key === EMPTY) return EMPTY;
        if (typeof key !== 'string') throw new JqRuntimeError(`Object keys must be strings, not ${typeName(key)}`);
        const value = evaluateNode(entry.value, input);
        if (value === EMPTY) return EMPTY;
        result[key] = value;
      }
      return result;
    }
    case 'array': {
      if (!node.item) return [];
      const value = evaluateNode(node.item, input);
      return value === EMPTY ? [] : [value];
    }
    case 'pipe': {
      const left = evaluateNode(node.left, input);
      return left === EMPTY ? EMPTY : evaluateNode(node.right, left);
    }
    case 'alt': {
      let left: Out;
      try {
        left = evaluateNode(node.left, input);
      } catch (error) {
        if (!(error instanceof JqRuntimeError)) throw error;
        left = EMPTY;
      }
      return left === EMPTY || left === null || left === false ? evaluateNode(node.right, input) : left;
    }
    case 'binop': {
      const left = evaluateNode(node.left, input);
      const right = evaluateNode(node.right, input);
      return left === EMPTY || right === EMPTY ? EMPTY : arithmetic(node.op, left, right);
    }
    case 'neg': {
      const value = evaluateNode(node.operand, input);
      if (value === EMPTY) return EMPTY;
      if (typeof value !== 'number') throw new JqRuntimeError(`${typeName(value)} (${shown(value)}) cannot be negated`);
      return -value;
    }
    case 'call': {
      const args: JqValue[] = [];
      for (const argument of node.args) {
        const value = evaluateNode(argument, input);
        if (value === EMPTY) return EMPTY;
        args.push(value);
      }
      return callBuiltin(node.name, input, args);
    }
  }
}

export interface CompiledJq {
  readonly source: string;
  /** The value of the query, or undefined when it produced no output. Throws JqRuntimeError. */
  evaluate(input: JqValue): JqValue | undefined;
  /** Keys of a top-level object construction with literal keys (for validating the S3 prefix). */
  readonly literalKeys: readonly string[] | undefined;
}

/** Compiles a query once; throws JqSyntaxError. */
export function compileJq(source: string): CompiledJq {
  const ast = parseJq(source);
  let literalKeys: string[] | undefined;
  if (ast.k === 'object' && ast.entries.every((e) => e.key.k === 'literal' && typeof e.key.value === 'string')) {
    literalKeys = ast.entries.map((e) => (e.key as { value: string }).value);
  }
  return {
    source,
    literalKeys,
    evaluate(input) {
      const out = evaluateNode(ast, input);
      return out === EMPTY ? undefined : out;
    },
  };
}
