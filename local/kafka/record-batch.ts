/**
 * Record batch (magic 2) header access.
 *
 * The broker never parses individual records on produce: it walks the batch headers of a
 * `records` blob, verifies each CRC32C, then assigns offsets by overwriting the base offset (and
 * the partition leader epoch) in place. Neither field is covered by the CRC, so the stored batch
 * stays byte-for-byte valid and compressed batches pass through untouched.
 *
 * Header layout: baseOffset int64 @0, batchLength int32 @8, partitionLeaderEpoch int32 @12,
 * magic int8 @16, crc uint32 @17, attributes int16 @21, lastOffsetDelta int32 @23,
 * baseTimestamp int64 @27, maxTimestamp int64 @35, producerId int64 @43, producerEpoch int16 @51,
 * baseSequence int32 @53, recordCount int32 @57, records @61. The CRC covers @21..end.
 */
import { crc32c } from './crc32c.ts';
import { ErrorCode } from './protocol/errors.ts';

export const BATCH_HEADER_SIZE = 61;
/**
 * Kafka's default `message.max.bytes`: the largest record batch (log overhead included) a broker
 * accepts; a larger one is refused with MESSAGE_TOO_LARGE, as Kafka does.
 */
export const MESSAGE_MAX_BYTES = 1048588;
const TWO_32 = 4294967296;

export interface BatchHeader {
  /** The batch bytes (a view into the request frame). */
  readonly buf: Buffer;
  readonly lastOffsetDelta: number;
  readonly recordCount: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly attributes: number;
}

export type ParseResult = { ok: true; batches: BatchHeader[] } | { ok: false; errorCode: number; message: string };

function readInt64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * TWO_32 + buf.readUInt32BE(at + 4);
}

/** Splits and validates the batches of one partition's produce data; nothing is mutated. */
export function parseBatches(records: Buffer | null): ParseResult {
  if (records === null || records.length === 0) {
    return {
      ok: false,
      errorCode: ErrorCode.INVALID_RECORD,
      message: 'Produce request carries no record batch',
    };
  }
  const batches: BatchHeader[] = [];
  let pos = 0;
  while (pos < records.length) {
    if (records.length - pos < BATCH_HEADER_SIZE) {
      return { ok: false, errorCode: ErrorCode.CORRUPT_MESSAGE, message: 'Truncated record batch header' };
    }
    const size = 12 + records.readInt32BE(pos + 8);
    if (size < BATCH_HEADER_SIZE || pos + size > records.length) {
      return {
        ok: false,
        errorCode: ErrorCode.CORRUPT_MESSAGE,
        message: 'Record batch length out of bounds',
      };
    }
    const magic = records.readInt8(pos + 16);
    if (magic !== 2) {
      return {
        ok: false,
        errorCode: ErrorCode.CORRUPT_MESSAGE,
        message: `Unsupported record batch magic ${magic}`,
      };
    }
    const expected = records.readUInt32BE(pos + 17);
    const actual = crc32c(records, pos + 21, pos + size);
    if (expected !== actual) {
      return {
        ok: false,
        errorCode: ErrorCode.CORRUPT_MESSAGE,
        message: `Record batch CRC mismatch (stored ${expected}, computed ${actual})`,
      };
    }
    batches.push({
      buf: records.subarray(pos, pos + size),
      attributes: records.readInt16BE(pos + 21),
      lastOffsetDelta: records.readInt32BE(pos + 23),
      baseTimestamp: readInt64(records, pos + 27),
      maxTimestamp: readInt64(records, pos + 35),
      producerId: readInt64(records, pos + 43),
      producerEpoch: records.readInt16BE(pos + 51),
      baseSequence: records.readInt32BE(pos + 53),
      recordCount: records.readInt32BE(pos + 57),
    });
    pos += size;
  }
  return { ok: true, batches };
}

/** The idempotence fields of a stored batch's header (already validated when it was appended). */
export function storedHeader(
  batch: Buffer,
): Pick<BatchHeader, 'producerId' | 'producerEpoch' | 'baseSequence' | 'lastOffsetDelta'> {
  return {
    producerId: readInt64(batch, 43),
    producerEpoch: batch.readInt16BE(51),
    baseSequence: batch.readInt32BE(53),
    lastOffsetDelta: batch.readInt32BE(23),
  };
}

/** Writes the broker-assigned base offset and leader epoch into a batch (outside the CRC). */
export function assignOffsets(batch: Buffer, baseOffset: number, leaderEpoch: number): void {
  const hi = Math.floor(baseOffset / TWO_32);
  batch.writeInt32BE(hi, 0);
  batch.writeUInt32BE(baseOffset - hi * TWO_32, 4);
  batch.writeInt32BE(leaderEpoch, 12);
}

/** Reads the header fields of a stored batch (used when loading a log from disk). */
export function readStoredBatch(batch: Buffer): {
  baseOffset: number;
  lastOffsetDelta: number;
  maxTimestamp: number;
} {
  return {
    baseOffset: readInt64(batch, 0),
    lastOffsetDelta: batch.readInt32BE(23),
    maxTimestamp: readInt64(batch, 35),
  };
}

function readVarint(buf: Buffer, at: number): [value: number, next: number] {
  let raw = 0;
  let shift = 0;
  let pos = at;
  for (;;) {
    const byte = buf[pos++];
    if (byte === undefined) throw new RangeError('Truncated varint');
    raw += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) break;
    shift += 7;
  }
  // zig-zag decode without 32-bit overflow
  const value = raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
  return [value, pos];
}

/**
 * Offset of the first record with timestamp >= `timestamp` inside one stored batch, for
 * ListOffsets by time. Only uncompressed batches are walked; for a compressed batch the batch's
 * base offset is the answer (the consumer skips the earlier records it then receives).
 */
export function firstOffsetAtOrAfter(batch: Buffer, timestamp: number): { offset: number; timestamp: number } {
  const baseOffset = readInt64(batch, 0);
  const baseTimestamp = readInt64(batch, 27);
  const maxTimestamp = readInt64(batch, 35);
  const compression = batch.readInt16BE(21) & 0x07;
  const count = batch.readInt32BE(57);
  if (compression !== 0) return { offset: baseOffset, timestamp: maxTimestamp };
  let pos = BATCH_HEADER_SIZE;
  try {
    for (let i = 0; i < count; i++) {
      const [length, bodyAt] = readVarint(batch, pos);
      let p = bodyAt + 1; // attributes int8
      const [tsDelta, afterTs] = readVarint(batch, p);
      p = afterTs;
      const [offsetDelta] = readVarint(batch, p);
      if (baseTimestamp + tsDelta >= timestamp)
        return { offset: baseOffset + offsetDelta, timestamp: baseTimestamp + tsDelta };
      pos = bodyAt + length;
    }
  } catch {
    // fall through to the batch-level answer
  }
  return { offset: baseOffset, timestamp: maxTimestamp };
}
