import { Reader } from '../../../../local/kafka/protocol/reader.ts';
import { array, decodeStruct, encodeStruct, field } from '../../../../local/kafka/protocol/schema.ts';
import { Writer } from '../../../../local/kafka/protocol/writer.ts';

const fields = [
  field('throttleTimeMs', 'int32', '1+'),
  field('name', 'string'),
  field('offset', 'int64'),
  field('id', 'uuid', '3+'),
  array('partitions', [field('index', 'int32'), array('replicas', 'int32'), field('rack', 'string', '2+')]),
  field('records', 'records'),
];

/** Encodes `value` and returns the body bytes (without the 4-byte frame size). */
function encode(value: Record<string, unknown>, version: number, flexible: boolean): Buffer {
  const w = new Writer();
  encodeStruct(w, fields, value, version, flexible);
  return Buffer.concat(w.finish()).subarray(4);
}

describe('protocol schema codec', () => {
  const value = {
    throttleTimeMs: 7,
    name: 'clicks',
    offset: 2 ** 40 + 5,
    id: Buffer.from('00112233445566778899aabbccddeeff', 'hex'),
    partitions: [{ index: 0, replicas: [1, 2], rack: null }],
    records: Buffer.alloc(600, 1),
  };

  it('round-trips a struct at a classic and at a flexible version', () => {
    for (const [version, flexible] of [
      [3, false],
      [3, true],
    ] as const) {
      const decoded = decodeStruct(new Reader(encode(value, version, flexible)), fields, version, flexible);
      expect(decoded).toEqual({ ...value, id: value.id, records: value.records });
    }
  });

  it('leaves out fields outside their version range', () => {
    const decoded = decodeStruct(new Reader(encode(value, 0, false)), fields, 0, false);
    expect(decoded).not.toHaveProperty('throttleTimeMs');
    expect(decoded).not.toHaveProperty('id');
    expect(decoded.partitions).toEqual([{ index: 0, replicas: [1, 2] }]);
  });

  it('uses int16 string lengths classically and uvarint(n+1) lengths when flexible', () => {
    const only = [field('name', 'string')];
    const w1 = new Writer();
    encodeStruct(w1, only, { name: 'ab' }, 0, false);
    expect([...Buffer.concat(w1.finish()).subarray(4)]).toEqual([0, 2, 0x61, 0x62]);
    const w2 = new Writer();
    encodeStruct(w2, only, { name: 'ab' }, 0, true);
    expect([...Buffer.concat(w2.finish()).subarray(4)]).toEqual([3, 0x61, 0x62, 0]); // length+1, bytes, no tagged fields
  });

  it('encodes null arrays and strings as -1 classically and 0 when flexible', () => {
    const nullable = [array('topics', 'string'), field('name', 'string')];
    const w1 = new Writer();
    encodeStruct(w1, nullable, { topics: null, name: null }, 0, false);
    expect([...Buffer.concat(w1.finish()).subarray(4)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const w2 = new Writer();
    encodeStruct(w2, nullable, { topics: null, name: null }, 0, true);
    expect([...Buffer.concat(w2.finish()).subarray(4)]).toEqual([0, 0, 0]);
  });

  it('skips unknown tagged fields when decoding a flexible struct', () => {
    // name "a" (compact), then 1 tagged field: tag 5, 2 bytes
    const body = Buffer.from([2, 0x61, 1, 5, 2, 0xaa, 0xbb]);
    expect(decodeStruct(new Reader(body), [field('name', 'string')], 0, true)).toEqual({ name: 'a' });
  });

  it('fails on a truncated frame instead of reading garbage', () => {
    expect(() => decodeStruct(new Reader(Buffer.from([0, 5, 0x61])), [field('name', 'string')], 0, false)).toThrow(
      /Truncated/,
    );
  });

  it('writes several stored batches as one records field without copying them', () => {
    const a = Buffer.alloc(1024, 1);
    const b = Buffer.alloc(2048, 2);
    const w = new Writer();
    encodeStruct(w, [field('records', 'records')], { records: [a, b] }, 0, false);
    const chunks = w.finish();
    expect(chunks).toContain(a);
    expect(chunks).toContain(b);
    const body = Buffer.concat(chunks);
    expect(body.readInt32BE(0)).toBe(body.length - 4);
    expect(body.readInt32BE(4)).toBe(3072);
  });
});
