import { utf8Slabs } from '../../../functions/lib/kafka/utf8-slabs.ts';

describe('utf8Slabs', () => {
  it('encodes each string to exactly its UTF-8 bytes, across slab boundaries', () => {
    const utf8 = utf8Slabs();
    const texts = Array.from({ length: 3000 }, (_, i) => `{"i":${i},"s":"caf\u00e9 \u{1F600} ${'x'.repeat(i % 300)}"}`);
    const views = texts.map((t) => utf8(t));
    // Every earlier view is still intact after later writes (no slab is reused while in use).
    views.forEach((view, i) => expect(view.equals(Buffer.from(texts[i]!, 'utf8'))).toBe(true));
    expect(new Set(views.map((v) => v.buffer)).size).toBeGreaterThan(1);
  });

  it('gives a long string a buffer of its own', () => {
    const utf8 = utf8Slabs();
    const long = '\u4e2d'.repeat(100_000);
    const short = utf8('k');
    const view = utf8(long);
    expect(view.equals(Buffer.from(long, 'utf8'))).toBe(true);
    expect(view.length).toBe(300_000);
    expect(utf8('after').toString()).toBe('after');
    expect(short.toString()).toBe('k');
  });

  it('encodes the empty string as an empty buffer', () => {
    expect(utf8Slabs()('').length).toBe(0);
  });
});
