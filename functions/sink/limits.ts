/**
 * Amazon Data Firehose PutRecordBatch quotas (sizes before base64 encoding):
 * at most 500 records and 4 MiB per call, each record at most 1,000 KiB.
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
 * The sink's records include their trailing newline in these sizes.
 */
export const firehoseLimits = {
  maxRecordsPerCall: 500,
  maxBytesPerCall: 4 * 1024 * 1024,
  maxRecordBytes: 1000 * 1024,
} as const;

export interface PackLimits {
  maxRecordsPerCall: number;
  maxBytesPerCall: number;
}

/**
 * Splits a sequence of record sizes, in order, into PutRecordBatch calls: returns the index where
 * each call ends (exclusive). Greedy next-fit: a call is closed only when the next record would
 * break the record or byte limit. For order-preserving contiguous calls this is optimal: by
 * induction, after k calls greedy has covered at least as many records as any valid split into
 * k calls (each call of the other split starts no earlier, and both limits are monotone), so no
 * split uses fewer calls. Every size must itself be within maxBytesPerCall.
 */
export function packBoundaries(sizes: ArrayLike<number>, limits: PackLimits = firehoseLimits): number[] {
  const ends: number[] = [];
  let count = 0;
  let bytes = 0;
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i]!;
    if (size > limits.maxBytesPerCall)
      throw new RangeError(`record ${i} is ${size} bytes, larger than a whole call (${limits.maxBytesPerCall})`);
    if (count > 0 && (count === limits.maxRecordsPerCall || bytes + size > limits.maxBytesPerCall)) {
      ends.push(i);
      count = 0;
      bytes = 0;
    }
    count++;
    bytes += size;
  }
  if (count > 0) ends.push(sizes.length);
  return ends;
}

/**
 * A lower bound on the number of calls for these sizes: max(ceil(n/500), ceil(total/4 MiB)).
 * Greedy reaches it whenever records are small relative to the call size (the bench checks it).
 */
export function lowerBoundCalls(sizes: ArrayLike<number>, limits: PackLimits = firehoseLimits): number {
  let total = 0;
  for (let i = 0; i < sizes.length; i++) total += sizes[i]!;
  return Math.max(Math.ceil(sizes.length / limits.maxRecordsPerCall), Math.ceil(total / limits.maxBytesPerCall));
}
