import { compileJq, JqSyntaxError } from '../../../../local/aws/firehose/jq.ts';
import { PROJECT_QUERY } from './helpers.ts';

const run = (query: string, input: unknown) => compileJq(query).evaluateAll([input as never])[0];

describe('jq (jq-web) for MetadataExtraction queries', () => {
  it('partitions by app and ingest hour with the stack query, one result per record in order', () => {
    const records = [
      { app_id: 'demo-app', ingest_time: Date.UTC(2026, 2, 9, 7, 5, 1, 999) },
      { app_id: 'other', ingest_time: Date.UTC(2025, 11, 31, 23, 59, 59, 0) },
      { app_id: 'late', ingest_time: 'not a number' },
      { app_id: 'ünï😀', ingest_time: 0 },
    ];
    expect(compileJq(PROJECT_QUERY).evaluateAll(records)).toEqual([
      { outputs: [{ app_id: 'demo-app', year: '2026', month: '03', day: '09', hour: '07' }] },
      { outputs: [{ app_id: 'other', year: '2025', month: '12', day: '31', hour: '23' }] },
      { error: 'string ("not a number") and number (1000) cannot be divided' },
      { outputs: [{ app_id: 'ünï😀', year: '1970', month: '01', day: '01', hour: '00' }] },
    ]);
  });

  it.each([
    ['if .n > 5 then "big" else "small" end', { n: 7 }, ['big']],
    ['if .n > 5 then "big" else "small" end', { n: 3 }, ['small']],
    ['.n >= 7 and .app == "a"', { n: 7, app: 'a' }, [true]],
    ['.n < 7 or .app != "a"', { n: 7, app: 'a' }, [false]],
    ['.app // "unknown"', {}, ['unknown']],
    ['.a, .b', { a: 1, b: 2 }, [1, 2]],
    ['empty', {}, []],
    ['.list | map(ascii_upcase) | join("-")', { list: ['a', 'b'] }, ['A-B']],
    ['.s | test("^ab")', { s: 'abc' }, [true]],
  ])('runs %s on %j', (query, input, outputs) => {
    expect(run(query, input)).toEqual({ outputs });
  });

  it('reports a runtime error per record and goes on with the next ones', () => {
    const results = compileJq('.a.b').evaluateAll([{ a: 'text' }, { a: { b: 1 } }]);
    expect(results).toEqual([{ error: 'Cannot index string with string "b"' }, { outputs: [1] }]);
  });

  it('keeps results in line with records when the query stops jq early', () => {
    expect(compileJq('halt_error').evaluateAll([{ a: 1 }, { a: 2 }])).toEqual([
      { error: '{"a":1}' },
      { error: '{"a":2}' },
    ]);
  });

  it.each([
    [
      '{app_id: .app_id',
      /^syntax error, unexpected end of file, expecting '}' at <top-level>, line 1: \{app_id: \.app_id$/,
    ],
    ['.a |', /^syntax error, unexpected end of file/],
    ['no_such_function(1)', /^no_such_function\/1 is not defined/],
    ['$undefined_variable', /^\$undefined_variable is not defined/],
  ])("refuses %s with jq's own message", (query, message) => {
    expect(() => compileJq(query)).toThrow(JqSyntaxError);
    expect(() => compileJq(query)).toThrow(message);
  });

  it('accepts a query that only fails at run time on some input', () => {
    expect(() => compileJq('.ingest_time / 1000')).not.toThrow();
  });

  it('leaves process.exitCode as it was after jq errors (the emscripten runtime sets it to jq status 5/3)', () => {
    const before = process.exitCode;
    try {
      process.exitCode = undefined;
      expect(compileJq('.a.b').evaluateAll([{ a: 'text' }])[0]).toHaveProperty('error');
      expect(() => compileJq('{')).toThrow(JqSyntaxError);
      expect(process.exitCode).toBeUndefined();
    } finally {
      process.exitCode = before;
    }
  });
});
