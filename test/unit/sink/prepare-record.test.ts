import { firehoseLimits } from '../../../functions/sink/limits.ts';
import { prepareRecord } from '../../../functions/sink/prepare-record.ts';
import { b64, eventJson } from './helpers.ts';

describe('prepareRecord', () => {
  it('passes the value bytes through unchanged and appends one newline', () => {
    const json = '{"app_id":"demo-app","ingest_time":1763726400000,"big":12345678901234567890,"b":1.50,"a":"é"}';
    const out = prepareRecord(b64(json));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    expect(out.data.toString('utf8')).toBe(`${json}\n`);
  });

  it('accepts a record whose line is exactly 1,000 KiB including the newline', () => {
    const out = prepareRecord(b64(eventJson(firehoseLimits.maxRecordBytes - 1)));
    expect(out.ok).toBe(true);
    if (out.ok) expect(out.data.length).toBe(1_024_000);
  });

  it('rejects as too large a record one byte over 1,000 KiB with its newline', () => {
    const out = prepareRecord(b64(eventJson(firehoseLimits.maxRecordBytes)));
    expect(out).toMatchObject({ ok: false, reason: 'RECORD_TOO_LARGE' });
  });

  it('replaces raw newlines (JSON whitespace) so one event stays one line', () => {
    const json = '{\n  "app_id": "demo-app",\r\n  "ingest_time": 1763726400000,\n  "s": "a\\nb"\n}';
    const out = prepareRecord(b64(json));
    expect(out.ok).toBe(true);
    if (!out.ok) return;
    const line = out.data.toString('utf8');
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(/[\r\n]/);
    expect(JSON.parse(line)).toEqual(JSON.parse(json));
  });

  it.each([
    ['a null value (tombstone)', null, 'VALUE_MISSING'],
    ['an absent value', undefined, 'VALUE_MISSING'],
    ['an empty value', '', 'VALUE_MISSING'],
    ['a value that is not base64', 'not base64!', 'VALUE_NOT_BASE64'],
    ['a base64 value with a bad length', 'abc', 'VALUE_NOT_BASE64'],
    [
      'a base64 value with a character outside the alphabet',
      `${b64('{"app_id":"a","ingest_time":1}').slice(0, 8)}!${b64('{"app_id":"a","ingest_time":1}').slice(9)}`,
      'VALUE_NOT_BASE64',
    ],
    [
      'a base64 value with whitespace',
      `${b64('{"app_id":"a","ingest_time":12}').slice(0, 8)} ${b64('{"app_id":"a","ingest_time":12}').slice(9)}`,
      'VALUE_NOT_BASE64',
    ],
    ['a base64 value with padding in the middle', 'ab==abcd', 'VALUE_NOT_BASE64'],
    ['a base64 value with a bad final quantum', 'abcda===', 'VALUE_NOT_BASE64'],
    ['a value that is not JSON', b64('Hello, this is a test.'), 'VALUE_NOT_JSON'],
    ['a value that is not UTF-8', b64(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])), 'VALUE_NOT_JSON'],
    ['a JSON array', b64('[1,2]'), 'PARTITION_FIELDS_INVALID'],
    ['a JSON object without app_id', b64('{"ingest_time":1}'), 'PARTITION_FIELDS_INVALID'],
    ['an app_id that is not a path-safe id', b64('{"app_id":"../x","ingest_time":1}'), 'PARTITION_FIELDS_INVALID'],
    [
      'an ingest_time that is not a number',
      b64('{"app_id":"a","ingest_time":"2025-01-01"}'),
      'PARTITION_FIELDS_INVALID',
    ],
  ])('gives a dead-letter reason for %s', (_label, value, reason) => {
    expect(prepareRecord(value as string | null | undefined)).toMatchObject({ ok: false, reason });
  });

  it('names what is wrong in the detail', () => {
    const out = prepareRecord(b64('{"app_id":"a"}'));
    expect(out.ok).toBe(false);
    if (!out.ok) expect(out.detail).toContain('ingest_time');
  });
});
