/**
 * Builds one response frame as a list of chunks.
 *
 * Small fields go into a growing scratch buffer; large byte fields (stored record batches on
 * fetch) are appended by reference, so a fetch response never copies the log. The first 4 bytes
 * are reserved for the frame size, patched by `finish()`; the connection then writes the chunks
 * with one corked writev.
 */

const TWO_32 = 4294967296;
/** Byte fields at least this large are referenced instead of copied. */
const REFERENCE_THRESHOLD = 512;

export class Writer {
  private readonly chunks: Buffer[] = [];
  private scratch: Buffer;
  private start = 0;
  private pos = 0;
  private total = 0;

  constructor(initialSize = 256) {
    this.scratch = Buffer.allocUnsafe(initialSize);
    this.int32(0); // frame size, patched in finish()
  }

  private ensure(n: number): Buffer {
    if (this.pos + n > this.scratch.length) {
      this.seal();
      this.scratch = Buffer.allocUnsafe(Math.max(n, Math.min(this.scratch.length * 2, 1 << 20)));
      this.start = 0;
      this.pos = 0;
    }
    this.total += n;
    return this.scratch;
  }

  /** Moves the used part of the scratch buffer into the chunk list. */
  private seal(): void {
    if (this.pos > this.start) this.chunks.push(this.scratch.subarray(this.start, this.pos));
    this.start = this.pos;
  }

  int8(v: number): this {
    this.ensure(1).writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }

  int16(v: number): this {
    this.ensure(2).writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  uint16(v: number): this {
    this.ensure(2).writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.ensure(4).writeInt32BE(v | 0, this.pos);
    this.pos += 4;
    return this;
  }

  int64(v: number): this {
    const b = this.ensure(8);
    const hi = Math.floor(v / TWO_32);
    b.writeInt32BE(hi, this.pos);
    b.writeUInt32BE(v - hi * TWO_32, this.pos + 4);
    this.pos += 8;
    return this;
  }

  float64(v: number): this {
    this.ensure(8).writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  uvarint(v: number): this {
    let n = v;
    while (n >= 0x80) {
      this.int8Unsigned((n & 0x7f) | 0x80);
      n = Math.floor(n / 128);
    }
    return this.int8Unsigned(n);
  }

  private int8Unsigned(v: number): this {
    this.ensure(1)[this.pos] = v;
    this.pos += 1;
    return this;
  }

  private length(len: number, compact: boolean, wide: boolean): this {
    if (compact) return this.uvarint(len + 1);
    return wide ? this.int32(len) : this.int16(len);
  }

  string(v: string | null, compact: boolean): this {
    if (v === null) return this.length(-1, compact, false);
    const len = Buffer.byteLength(v);
    this.length(len, compact, false);
    this.ensure(len).write(v, this.pos, len, 'utf8');
    this.pos += len;
    return this;
  }

  bytes(v: Uint8Array | null, compact: boolean): this {
    if (v === null) return this.length(-1, compact, true);
    this.length(v.length, compact, true);
    return this.raw(v);
  }

  /** A `records` field made of several stored batches, written back to back. */
  recordBatches(batches: readonly Buffer[], compact: boolean): this {
    let len = 0;
    for (const b of batches) len += b.length;
    this.length(len, compact, true);
    for (const b of batches) this.raw(b);
    return this;
  }

  uuid(v: Uint8Array | null): this {
    if (v === null || v.length !== 16) {
      this.ensure(16).fill(0, this.pos, this.pos + 16);
      this.pos += 16;
      return this;
    }
    return this.raw(v);
  }

  raw(v: Uint8Array): this {
    if (v.length >= REFERENCE_THRESHOLD) {
      this.seal();
      this.chunks.push(Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.length));
      this.total += v.length;
      return this;
    }
    this.ensure(v.length).set(v, this.pos);
    this.pos += v.length;
    return this;
  }

  /** An empty tagged-field section: the broker sends no tagged fields. */
  emptyTaggedFields(): this {
    return this.int8Unsigned(0);
  }

  /** Patches the frame size and returns the chunks to write. */
  finish(): Buffer[] {
    this.seal();
    const first = this.chunks[0];
    if (first === undefined) throw new Error('Writer is empty');
    first.writeInt32BE(this.total - 4, 0);
    return this.chunks;
  }
}
