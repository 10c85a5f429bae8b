import { firehoseLimits, lowerBoundCalls, packBoundaries } from '../../../functions/sink/limits.ts';

const MiB4 = 4 * 1024 * 1024;

describe('packBoundaries', () => {
  it('puts 500 records in one call and the 501st in a second', () => {
    expect(packBoundaries(new Array(500).fill(10))).toEqual([500]);
    expect(packBoundaries(new Array(501).fill(10))).toEqual([500, 501]);
  });

  it('fills a call to exactly 4 MiB and starts a new one at 4 MiB + 1 byte', () => {
    const quarter = MiB4 / 4;
    expect(packBoundaries([quarter, quarter, quarter, quarter])).toEqual([4]);
    expect(packBoundaries([quarter, quarter, quarter, quarter, 1])).toEqual([4, 5]);
    expect(packBoundaries([quarter, quarter, quarter, quarter + 1])).toEqual([3, 4]);
  });

  it('keeps the order of the records (boundaries only, no reordering)', () => {
    // A non-order-preserving packer could pair 3 MiB with 1 MiB twice; in order, 3 calls are needed.
    const sizes = [3 * 1024 * 1024, 3 * 1024 * 1024, 1024 * 1024, 1024 * 1024];
    expect(packBoundaries(sizes)).toEqual([1, 3, 4]);
  });

  it('returns no call for no records', () => {
    expect(packBoundaries([])).toEqual([]);
  });

  it('refuses a record larger than a whole call', () => {
    expect(() => packBoundaries([MiB4 + 1])).toThrow(RangeError);
  });

  it('matches the exhaustive minimum number of order-preserving calls on random inputs', () => {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const limits = { maxRecordsPerCall: 5, maxBytesPerCall: 100 };
    for (let round = 0; round < 200; round++) {
      const sizes = Array.from({ length: 1 + Math.floor(rnd() * 30) }, () => 1 + Math.floor(rnd() * 60));
      // dp[i] = fewest calls for the first i records, trying every last call.
      const dp = new Array(sizes.length + 1).fill(Infinity);
      dp[0] = 0;
      for (let i = 1; i <= sizes.length; i++) {
        let bytes = 0;
        for (let j = i - 1; j >= 0 && i - j <= limits.maxRecordsPerCall; j--) {
          bytes += sizes[j]!;
          if (bytes > limits.maxBytesPerCall) break;
          dp[i] = Math.min(dp[i], dp[j] + 1);
        }
      }
      expect(packBoundaries(sizes, limits).length).toBe(dp[sizes.length]);
    }
  });
});

describe('lowerBoundCalls', () => {
  it('is the larger of the record-count and the byte bound', () => {
    expect(lowerBoundCalls(new Array(1000).fill(1))).toBe(2);
    expect(lowerBoundCalls([MiB4, 1])).toBe(2);
    expect(firehoseLimits.maxRecordBytes).toBe(1_024_000);
  });
});
