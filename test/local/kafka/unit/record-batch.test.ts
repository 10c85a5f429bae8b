import { crc32c } from '../../../../local/kafka/crc32c.ts';
import { PartitionLog } from '../../../../local/kafka/log.ts';
import { ErrorCode } from '../../../../local/kafka/protocol/errors.ts';
import { firstOffsetAtOrAfter, parseBatches } from '../../../../local/kafka/record-batch.ts';
import { recordBatch } from '../integration/raw-client.ts';

/** A batch as an idempotent producer would send it. */
function idempotentBatch(producerId: number, sequence: number, timestamp = 1000): Buffer {
  const b = recordBatch('v', timestamp);
  b.writeBigInt64BE(BigInt(producerId), 43);
  b.writeInt16BE(0, 51);
  b.writeInt32BE(sequence, 53);
  b.writeUInt32BE(crc32c(b, 21), 17);
  return b;
}

function parsed(buf: Buffer) {
  const r = parseBatches(buf);
  if (!r.ok) throw new Error(r.message);
  return r.batches;
}

describe('record batch validation', () => {
  it('accepts concatenated valid batches', () => {
    const r = parseBatches(Buffer.concat([recordBatch('a'), recordBatch('b')]));
    expect(r.ok && r.batches.map((b) => b.recordCount)).toEqual([1, 1]);
  });

  it('rejects a CRC mismatch with CORRUPT_MESSAGE', () => {
    const b = recordBatch('hello');
    b[b.length - 3]! ^= 1;
    expect(parseBatches(b)).toMatchObject({ ok: false, errorCode: ErrorCode.CORRUPT_MESSAGE });
  });

  it('rejects a truncated batch and an old message format', () => {
    expect(parseBatches(recordBatch('hello').subarray(0, 70))).toMatchObject({
      ok: false,
      errorCode: ErrorCode.CORRUPT_MESSAGE,
    });
    const v1 = recordBatch('x');
    v1.writeInt8(1, 16);
    expect(parseBatches(v1)).toMatchObject({ ok: false, errorCode: ErrorCode.CORRUPT_MESSAGE });
  });

  it('keeps the CRC valid after the broker assigns offsets', () => {
    const log = new PartitionLog();
    log.append(parsed(recordBatch('first')), 0);
    const second = recordBatch('second');
    expect(log.append(parsed(second), 4)).toEqual({ errorCode: 0, baseOffset: 1 });
    expect(second.readBigInt64BE(0)).toBe(1n);
    expect(second.readInt32BE(12)).toBe(4);
    expect(parseBatches(second).ok).toBe(true);
  });

  it('finds the first record at or after a timestamp', () => {
    expect(firstOffsetAtOrAfter(recordBatch('x', 5000), 4000)).toEqual({ offset: 0, timestamp: 5000 });
  });
});

describe('partition log', () => {
  it('reads from an offset and returns at least one batch', () => {
    const log = new PartitionLog();
    for (let i = 0; i < 5; i++) log.append(parsed(recordBatch(`m${i}`)), 0);
    const read = log.read(3, 1, true);
    expect(read.batches).toHaveLength(1);
    expect(read.batches[0]!.readBigInt64BE(0)).toBe(3n);
    expect(log.read(2, 10_000, false).batches).toHaveLength(3);
    expect(log.read(5, 10_000, true).batches).toHaveLength(0);
  });

  it('answers offsets by timestamp', () => {
    const log = new PartitionLog();
    log.append(parsed(recordBatch('a', 1000)), 0);
    log.append(parsed(recordBatch('b', 2000)), 0);
    expect(log.offsetForTimestamp(1500)).toEqual({ offset: 1, timestamp: 2000 });
    expect(log.offsetForTimestamp(3000)).toBeNull();
  });

  it('drops a retried idempotent batch and rejects a sequence gap', () => {
    const log = new PartitionLog();
    expect(log.append(parsed(idempotentBatch(7, 0)), 0)).toEqual({ errorCode: 0, baseOffset: 0 });
    expect(log.append(parsed(idempotentBatch(7, 1)), 0)).toEqual({ errorCode: 0, baseOffset: 1 });
    expect(log.append(parsed(idempotentBatch(7, 1)), 0)).toEqual({ errorCode: 0, baseOffset: 1 });
    expect(log.nextOffset).toBe(2);
    expect(log.append(parsed(idempotentBatch(7, 5)), 0)).toMatchObject({
      errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER,
    });
  });

  it('wakes waiters on append until they unregister', () => {
    const log = new PartitionLog();
    let wakes = 0;
    const remove = log.onAppend(() => wakes++);
    log.append(parsed(recordBatch('a')), 0);
    remove();
    log.append(parsed(recordBatch('b')), 0);
    expect(wakes).toBe(1);
  });
});
