import { gzipSync } from 'node:zlib';
import { collect } from '../../../functions/ingest/collect.ts';
import { limits } from '../../../functions/ingest/limits.ts';
import { scanEvents } from '../../../functions/ingest/scan-events.ts';
import { deps, httpStatusOf, NOW, request } from './helpers.ts';

const ev = (id: string, extra = '') =>
  `{"event_id":"${id}","event_type":"t","timestamp":1700000000000,"app_id":"app1"${extra}}`;

describe('collect: byte-exact events', () => {
  it.each([
    ['integers beyond 2^53', '"big":12345678901234567890123,"neg":-9007199254740993'],
    ['negative zero', '"z":-0,"z2":-0.0'],
    ['exponents', '"e":1E+400,"e2":-2.50e-7,"e3":1e0'],
    ['long fractions', '"f":0.1000000000000000055511151231257827021181583404541015625'],
    ['unicode and other escapes', '"s":"caf\\u00e9 \\ud83d\\ude00 \\"q\\" \\/ \\b\\f\\t\\\\","raw":"ÿ€😀"'],
    ['a lone surrogate escape', '"s":"\\udc00"'],
    ['key order and spacing', '"z" : 1 ,\t"a":{ "y":[ 3,2 ,1 ],"b":null }'],
    ['duplicate keys', '"d":1,"d":2'],
  ])('keeps %s exactly as sent, enrichment spliced in', async (_what, extra) => {
    const d = deps();
    const raw = ev('e-1', `,${extra}`);
    await collect(
      request(`[${raw}]`, { query: { appId: 'app1', platform: 'Web', upload_timestamp: String(NOW - 500) } }),
      d,
    );
    const value = d.producer.records[0]!.value;
    expect(value).toBe(
      `${raw.slice(0, -1)},"ingest_time":${NOW},"client_ip":"198.51.100.1","user_agent":"test-agent/1.0","request_id":"req-1","request_platform":"Web","timestamp_corrected":${1_700_000_000_000 + 500}}`,
    );
    expect(() => JSON.parse(value)).not.toThrow();
  });

  it('keeps a single event object (not in an array) and one inside gzip exactly', async () => {
    const d = deps();
    const raw = ev('e-1', ',"big":18446744073709551617');
    await collect(request(raw), d);
    await collect(
      request(gzipSync(`[${raw}]`).toString('base64'), {
        isBase64Encoded: true,
        headers: { 'content-encoding': 'gzip' },
      }),
      d,
    );
    for (const r of d.producer.records) expect(r.value.startsWith(`${raw.slice(0, -1)},"ingest_time":`)).toBe(true);
  });

  it('turns raw line breaks between tokens into spaces, so an event stays one JSON line', async () => {
    const d = deps();
    await collect(request(`[{"event_id":"e-1",\r\n"event_type":"t",\n"timestamp":1,"app_id":"app1","s":"a\\nb"}]`), d);
    expect(
      d.producer.records[0]!.value.startsWith(
        '{"event_id":"e-1",  "event_type":"t", "timestamp":1,"app_id":"app1","s":"a\\nb","ingest_time"',
      ),
    ).toBe(true);
  });

  it('refuses events that carry a field the enrichment adds, naming it', async () => {
    const d = deps();
    const result = await collect(request(`[${ev('e-1', ',"ingest_time":5')},${ev('e-2')}]`), d);
    expect(result.rejected).toEqual([
      {
        index: 0,
        event_id: 'e-1',
        reason: "ingest_time: reserved for the server's enrichment; rename the field",
      },
    ]);
  });
});

describe('collect: hostile shapes are per-event rejections or 4xx, never 5xx', () => {
  it('rejects an event nested deeper than maxEventDepth, keeping the others', async () => {
    const d = deps();
    const deep = `{"event_id":"deep","event_type":"t","timestamp":1,"app_id":"app1","n":${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    const result = await collect(request(`[${deep},${ev('ok')}]`), d);
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([
      {
        index: 0,
        reason: `event nests 100001 levels deep; the limit is ${limits.maxEventDepth} (maxEventDepth)`,
      },
    ]);
  });

  it('accepts an event exactly at the depth limit', async () => {
    const d = deps();
    const nest = limits.maxEventDepth - 1;
    const result = await collect(request(`[${ev('edge', `,"n":${'['.repeat(nest)}${']'.repeat(nest)}`)}]`), d);
    expect(result).toEqual({ accepted: 1, rejected: [] });
  });

  it('rejects identity fields longer than maxIdentityChars, naming the field and limit, and echoes only a short event_id', async () => {
    const d = deps();
    const long = 'u'.repeat(limits.maxIdentityChars + 1);
    const result = await collect(
      request(
        `[${ev('a', `,"user_id":"${long}"`)},${ev(long)},${ev('c', `,"device_id":"${'d'.repeat(limits.maxIdentityChars)}"`)}]`,
      ),
      d,
    );
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([
      {
        index: 0,
        event_id: 'a',
        reason: `user_id: ${limits.maxIdentityChars + 1} characters; the limit is ${limits.maxIdentityChars} (maxIdentityChars)`,
      },
      {
        index: 1,
        event_id: expect.stringMatching(/^u{80}… \(257 characters\)$/),
        reason: expect.stringContaining('event_id: 257 characters'),
      },
    ]);
    expect(d.producer.records[0]!.key).toBe(`app1:${'d'.repeat(limits.maxIdentityChars)}`);
  });

  it('refuses more events than maxEventsPerRequest with 413', async () => {
    const r = await httpStatusOf(
      collect(request(`[${Array.from({ length: limits.maxEventsPerRequest + 1 }, () => '1').join(',')}]`), deps()),
    );
    expect(r.status).toBe(413);
    expect(r.message).toContain('maxEventsPerRequest');
  });

  it.each([
    ['empty array', '[]', 400],
    ['null', 'null', 400],
    ['a string', '"hi"', 400],
    ['a number', '12', 400],
    ['truncated', '[{"event_id":', 400],
    ['trailing garbage', `[${ev('x')}] x`, 400],
    ['only deep arrays', `${'['.repeat(500_000)}${']'.repeat(500_000)}`, 400],
    ['unclosed deep arrays', '['.repeat(500_000), 400],
    ['lone control character in a string', '[{"a":"\u0001"}]', 400],
    ['bad escape', '[{"a":"\\x"}]', 400],
    ['array of non-objects', '[1,"a",null,[],true]', 400],
    ['only empty objects', '[{},{}]', 400],
  ])('%s is refused with a 4xx and a message', async (_what, body, status) => {
    const r = await httpStatusOf(collect(request(body), deps()));
    expect(r.status).toBe(status);
    expect(r.message.length).toBeGreaterThan(0);
  });

  it('refuses invalid UTF-8 with 400', async () => {
    const r = await httpStatusOf(
      collect(request(Buffer.from([0x5b, 0xff, 0xfe, 0x5d]).toString('base64'), { isBase64Encoded: true }), deps()),
    );
    expect(r).toMatchObject({ status: 400, message: expect.stringContaining('UTF-8') });
  });
});

describe('scanEvents', () => {
  it('finds each element of a batch with its depth, iteratively', () => {
    const text = ' [ {"a":1} , {"b":[1,{"c":2}]}, 3 ] ';
    expect(scanEvents(text).spans.map((s) => [text.slice(s.start, s.end), s.depth])).toEqual([
      ['{"a":1}', 1],
      ['{"b":[1,{"c":2}]}', 3],
      ['3', 0],
    ]);
  });

  it('agrees with JSON.parse on what is valid JSON', () => {
    const samples = [
      '[1,]',
      '{"a" 1}',
      '[01]',
      '[1e]',
      '[-]',
      '[.5]',
      '[1.]',
      '["\\u12"]',
      '[1 2]',
      '{"a":1,}',
      '[true,false,null]',
      '[-0.0e-0]',
      '[{"":""}]',
      '[\t\n\r ]',
      '{}',
    ];
    for (const sample of samples) {
      let parsed = true;
      try {
        JSON.parse(sample);
      } catch {
        parsed = false;
      }
      let scanned = true;
      try {
        scanEvents(sample);
      } catch {
        scanned = false;
      }
      expect([sample, scanned]).toEqual([sample, parsed]);
    }
  });
});
