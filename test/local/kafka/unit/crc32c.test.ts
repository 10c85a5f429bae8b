import { crc32c } from '../../../../local/kafka/crc32c.ts';

describe('crc32c', () => {
  it('matches the RFC 3720 / iSCSI test vectors', () => {
    expect(crc32c(Buffer.alloc(32, 0))).toBe(0x8a9136aa);
    expect(crc32c(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43);
    expect(crc32c(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e);
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('returns 0 for an empty range', () => {
    expect(crc32c(Buffer.alloc(0))).toBe(0);
  });

  it('checksums only the requested range when given offsets', () => {
    const data = Buffer.concat([Buffer.from('xx'), Buffer.from('123456789'), Buffer.from('yyy')]);
    expect(crc32c(data, 2, 11)).toBe(0xe3069283);
  });

  it('gives the same result whatever the alignment of the data in memory', () => {
    const backing = Buffer.alloc(1100);
    for (let i = 0; i < backing.length; i++) backing[i] = (i * 131 + 7) & 0xff;
    const expected = crc32c(Buffer.from(backing.subarray(0, 1024)));
    for (let shift = 1; shift < 8; shift++) {
      const moved = Buffer.alloc(1100);
      backing.copy(moved, shift, 0, 1024);
      expect(crc32c(moved, shift, shift + 1024)).toBe(expected);
      expect(crc32c(moved.subarray(shift, shift + 1024))).toBe(expected);
    }
  });

  it('agrees between the 8-byte fast path and the byte-wise tail for every length', () => {
    const data = Buffer.from(Array.from({ length: 40 }, (_, i) => (i * 37) & 0xff));
    for (let len = 0; len <= 40; len++) {
      // reference: plain bitwise CRC32C
      let crc = 0xffffffff;
      for (let i = 0; i < len; i++) {
        crc ^= data[i]!;
        for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
      }
      expect(crc32c(data, 0, len)).toBe((crc ^ 0xffffffff) >>> 0);
    }
  });
});
