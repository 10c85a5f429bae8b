import { gzipSync } from 'node:zlib';
import { decodeBody, type RawBody } from '../../../functions/ingest/decode-body.ts';
import { limits } from '../../../functions/ingest/limits.ts';

const raw = (body: string, more: Partial<RawBody> = {}): RawBody => ({
  body,
  isBase64Encoded: false,
  compression: undefined,
  contentEncoding: undefined,
  ...more,
});

describe('decodeBody', () => {
  it('returns a string body as the same text, astral characters included', () => {
    const text = '[{"s":"caf\u00e9 \u{1F600} \u4e2d"}]';
    expect(decodeBody(raw(text))).toBe(text);
  });

  it('refuses a string body with a lone surrogate instead of storing U+FFFD', () => {
    expect(() => decodeBody(raw('[{"s":"\ud800"}]'))).toThrow(/not valid UTF-8 text/);
    expect(() => decodeBody(raw('[{"s":"a\udc00b"}]'))).toThrow(/lone surrogate/);
  });

  it('counts a string body in UTF-8 bytes against the body limit', () => {
    // Under the limit in characters, over it in bytes (3 bytes each).
    const text = '\u4e2d'.repeat(Math.floor(limits.maxBodyBytes / 3) + 1);
    expect(text.length).toBeLessThan(limits.maxBodyBytes);
    expect(() => decodeBody(raw(text))).toThrow(`request body is ${Buffer.byteLength(text)} bytes`);
    const fits = '\u4e2d'.repeat(Math.floor(limits.maxBodyBytes / 3));
    expect(decodeBody(raw(fits))).toBe(fits);
  });

  it('decodes base64, gzip and the SDK compression=gzip form to the same text', () => {
    const text = '[{"event_type":"_click","v":1.50}]';
    const gz = gzipSync(Buffer.from(text));
    expect(decodeBody(raw(Buffer.from(text).toString('base64'), { isBase64Encoded: true }))).toBe(text);
    expect(decodeBody(raw(gz.toString('base64'), { isBase64Encoded: true, contentEncoding: 'gzip' }))).toBe(text);
    expect(decodeBody(raw(gz.toString('base64'), { compression: 'gzip' }))).toBe(text);
  });
});
