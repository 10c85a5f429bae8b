import { toMessages, utf8Slabs } from '../../../functions/lib/kafka/messages.ts';

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

  it('sizes its slab to what the send encodes, so a small request allocates little', () => {
    const view = utf8Slabs(10)('{"a":1}');
    expect(view.toString()).toBe('{"a":1}');
    expect(view.buffer.byteLength).toBeLessThan(64 * 1024);
  });
});

describe('toMessages', () => {
  it('encodes keys, values and headers exactly, with each header text encoded once per send', () => {
    const records = [
      { key: 'k\u00e9-1', value: '{"v":"\u{1F600}"}', headers: { app_id: 'shop', event_type: 'click' } },
      { key: 'k-2', value: Buffer.from('raw'), headers: { app_id: 'shop', event_type: 'view' } },
    ];
    const [first, second] = toMessages('events', records);
    expect(first!.topic).toBe('events');
    expect(first!.key.equals(Buffer.from('k\u00e9-1'))).toBe(true);
    expect(first!.value.equals(Buffer.from('{"v":"\u{1F600}"}'))).toBe(true);
    expect(second!.value.toString()).toBe('raw');
    const names = (m: typeof first) => [...m!.headers!.keys()];
    expect(names(first).map(String)).toEqual(['app_id', 'event_type']);
    expect(names(second)[0]).toBe(names(first)[0]); // the same buffer: encoded once
    expect([...second!.headers!.values()].map(String)).toEqual(['shop', 'view']);
  });
});
