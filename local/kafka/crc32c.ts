/**
 * CRC32C (Castagnoli), the checksum of Kafka record batches (magic 2).
 *
 * Node has no built-in CRC32C (zlib.crc32 is the IEEE polynomial), and the check runs over every
 * produced byte, so it is the broker's hottest loop. This is table-driven "slicing-by-8": eight
 * 256-entry tables let one iteration consume 8 bytes, read as two aligned 32-bit words through an
 * Int32Array view (on little-endian hosts), which measured about twice as fast as byte loads.
 */
import { endianness } from 'node:os';

const POLY = 0x82f63b78;

function makeTables(): Int32Array[] {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  const first = tables[0]!;
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    first[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    let c = first[i]!;
    for (let t = 1; t < 8; t++) {
      c = first[c & 0xff]! ^ (c >>> 8);
      tables[t]![i] = c;
    }
  }
  return tables;
}

const [t0, t1, t2, t3, t4, t5, t6, t7] = makeTables() as [
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
];
const WORDS = endianness() === 'LE';

/** CRC32C of `buf[start, end)`, as an unsigned 32-bit number. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = -1;
  let i = start;
  if (WORDS) {
    // bytes up to a 4-byte boundary, then 8 bytes per step as two little-endian words
    while (i < end && ((buf.byteOffset + i) & 3) !== 0) {
      crc = t0[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
      i++;
    }
    const words = ((end - i) >>> 3) << 1;
    if (words > 0) {
      const w = new Int32Array(buf.buffer, buf.byteOffset + i, words);
      for (let k = 0; k < words; k += 2) {
        const lo = crc ^ w[k]!;
        const hi = w[k + 1]!;
        crc =
          t7[lo & 0xff]! ^
          t6[(lo >>> 8) & 0xff]! ^
          t5[(lo >>> 16) & 0xff]! ^
          t4[lo >>> 24]! ^
          t3[hi & 0xff]! ^
          t2[(hi >>> 8) & 0xff]! ^
          t1[(hi >>> 16) & 0xff]! ^
          t0[hi >>> 24]!;
      }
      i += words * 4;
    }
  }
  while (i < end) {
    crc = t0[(crc ^ buf[i]!) & 0xff]! ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}
