/**
 * Kafka's key partitioner hash (murmur2, seed 0x9747b28c, as `Utils.murmur2` in the Java client)
 * in 32-bit integer arithmetic: linear in the key's length.
 *
 * @platformatic/kafka's own murmur2 keeps its state in a BigInt that is never truncated, so the
 * state grows with every 4 bytes and each multiplication costs more: hashing a key is quadratic
 * in its length (a 1 MB key took seconds of CPU, stalling every request of the process).
 * The results are identical (see test/unit/kafka-client/murmur2.test.ts).
 */
const SEED = 0x9747b28c;
const M = 0x5bd1e995;
const R = 24;

export function murmur2(data: Buffer): number {
  const length = data.length;
  let h = (SEED ^ length) | 0;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, M);
    k ^= k >>> R;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  const rest = length % 4;
  if (rest > 0) {
    if (rest === 3) h ^= (data[whole + 2]! & 0xff) << 16;
    if (rest >= 2) h ^= (data[whole + 1]! & 0xff) << 8;
    h ^= data[whole]! & 0xff;
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/** The Java client's partition of a key: `toPositive(murmur2(key)) % partitions`. */
export function keyPartitioner(_message: unknown, key: Buffer | undefined): number {
  return Buffer.isBuffer(key) ? murmur2(key) & 0x7fffffff : 0;
}
