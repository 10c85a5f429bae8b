import { compileJq, JqRuntimeError, JqSyntaxError, strftime } from '../../../local/aws/firehose/jq.ts';

const run = (query: string, input: unknown): unknown => compileJq(query).evaluate(input as never);

describe('jq subset evaluator', () => {
  const event = {
    app_id: 'demo-app',
    ingest_time: 1767225600123,
    nested: { device: { os: 'ios' } },
    list: ['a', 'b'],
    n: 7,
  };

  it('evaluates the project query that partitions by app and ingest hour', () => {
    const query =
      '{app_id: .app_id, year: ((.ingest_time / 1000) | floor | strftime("%Y")), month: ((.ingest_time / 1000) | floor | strftime("%m")), day: ((.ingest_time / 1000) | floor | strftime("%d")), hour: ((.ingest_time / 1000) | floor | strftime("%H"))}';
    expect(run(query, { ...event, ingest_time: Date.UTC(2026, 2, 9, 7, 5, 1, 999) })).toEqual({
      app_id: 'demo-app',
      year: '2026',
      month: '03',
      day: '09',
      hour: '07',
    });
  });

  it('reads nested fields, quoted fields and array indexes', () => {
    expect(run('.nested.device.os', event)).toBe('ios');
    expect(run('."app_id"', event)).toBe('demo-app');
    expect(run('.list[1]', event)).toBe('b');
    expect(run('.list[-1]', event)).toBe('b');
    expect(run('.["n"]', event)).toBe(7);
    expect(run('.missing.deeper', event)).toBeNull();
  });

  it('supports shorthand keys, quoted keys and computed keys in objects', () => {
    expect(run('{app_id, "n": .n, (.app_id): 1}', event)).toEqual({
      app_id: 'demo-app',
      n: 7,
      'demo-app': 1,
    });
  });

  it('pipes terms inside object values as jq does', () => {
    expect(run('{year: .ingest_time / 1000 | strftime("%Y")}'.replace(' / 1000', ''), { ingest_time: 0 })).toEqual({
      year: '1970',
    });
  });

  it('rejects unparenthesised arithmetic in object values like jq', () => {
    expect(() => compileJq('{y: .a / 1000}')).toThrow(JqSyntaxError);
  });

  it('does arithmetic with precedence and the alternative operator', () => {
    expect(run('.n + 3 * 2', event)).toBe(13);
    expect(run('(.n + 3) % 4', event)).toBe(2);
    expect(run('.missing // "unknown"', event)).toBe('unknown');
    expect(run('.app_id // "unknown"', event)).toBe('demo-app');
    expect(run('"a" + "b"', event)).toBe('ab');
    expect(run('-.n', event)).toBe(-7);
  });

  it('interpolates strings', () => {
    expect(run('"\\(.app_id)/\\(.n)"', event)).toBe('demo-app/7');
  });

  it('runs the string builtins', () => {
    expect(run('.app_id | ascii_upcase', event)).toBe('DEMO-APP');
    expect(run('"AbC" | ascii_downcase', event)).toBe('abc');
    expect(run('.app_id | ltrimstr("demo-")', event)).toBe('app');
    expect(run('.app_id | rtrimstr("-app")', event)).toBe('demo');
    expect(run('.app_id | split("-") | .[0]', event)).toBe('demo');
    expect(run('.list | join("+")', event)).toBe('a+b');
    expect(run('.n | tostring', event)).toBe('7');
    expect(run('"12" | tonumber', event)).toBe(12);
    expect(run('.list | length', event)).toBe(2);
  });

  it('formats and parses dates in UTC', () => {
    expect(run('1767225600 | todate', {})).toBe('2026-01-01T00:00:00Z');
    expect(run('"2026-01-01T00:00:00Z" | fromdateiso8601', {})).toBe(1767225600);
    expect(run('1767225600 | gmtime | mktime', {})).toBe(1767225600);
    expect(strftime(1767225600.9, '%Y-%m-%dT%H:%M:%S %j %a %b %%')).toBe('2026-01-01T00:00:00 001 Thu Jan %');
  });

  it('throws a runtime error when a field of a non-object is read', () => {
    expect(() => run('.n.x', event)).toThrow(JqRuntimeError);
    expect(() => run('.app_id | strftime("%Y")', event)).toThrow('strftime/1 requires parsed datetime inputs');
  });

  it('produces no output when an optional expression fails', () => {
    expect(run('.n.x?', event)).toBeUndefined();
    expect(run('{a: .n.x?}', event)).toBeUndefined();
    expect(run('.n.x? // "fallback"', event)).toBe('fallback');
    expect(run('empty', event)).toBeUndefined();
  });

  it('refuses the parts of jq it does not implement with a syntax error', () => {
    for (const query of ['.a, .b', '.[]', 'if .a then 1 else 2 end', '.a == 1', '$x', 'now', 'test("x")', '..']) {
      expect(() => compileJq(query)).toThrow(JqSyntaxError);
    }
  });

  it('lists the literal keys of a top-level object construction', () => {
    expect(compileJq('{a: .x, "b": .y}').literalKeys).toEqual(['a', 'b']);
    expect(compileJq('.x').literalKeys).toBeUndefined();
  });
});
