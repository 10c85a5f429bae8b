/**
 * Reads Kafka protocol primitives from one request frame.
 *
 * Byte fields (`bytes`, `records`, `uuid`) come back as views into the frame, never copies: a
 * produced record batch is stored exactly as it arrived, which is what keeps the produce path lean.
 * int64 values are returned as JS numbers: offsets, timestamps and producer ids stay far below
 * 2^53 here, and numbers avoid a BigInt allocation per field.
 */

const TWO_32 = 4294967296;

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export class Reader {
  readonly buf: Buffer;
  pos: number;

  constructor(buf: Buffer, pos = 0) {
    this.buf = buf;
    this.pos = pos;
  }

  get remaining(): number {
    return this.buf.length - this.pos;
  }

  private need(n: number): number {
    const at = this.pos;
    if (at + n > this.buf.length)
      throw new ProtocolError(`Truncated frame: need ${n} bytes at ${at} of ${this.buf.length}`);
    this.pos = at + n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }

  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }

  uint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }

  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }

  int64(): number {
    const at = this.need(8);
    return this.buf.readInt32BE(at) * TWO_32 + this.buf.readUInt32BE(at + 4);
  }

  float64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }

  bool(): boolean {
    return this.buf[this.need(1)] !== 0;
  }

  uvarint(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.buf[this.need(1)]!;
      value += (byte & 0x7f) * 2 ** shift;
      if ((byte & 0x80) === 0) return value;
      shift += 7;
      if (shift > 35) throw new ProtocolError('Varint too long');
    }
  }

  /** Length of a string/bytes/array: int16/int32 classic or uvarint(n+1) compact. -1 = null. */
  private length(compact: boolean, wide: boolean): number {
    if (compact) return this.uvarint() - 1;
    return wide ? this.int32() : this.int16();
  }

  string(compact: boolean): string | null {
    const len = this.length(compact, false);
    if (len < 0) return null;
    const at = this.need(len);
    return this.buf.toString('utf8', at, at + len);
  }

  bytes(compact: boolean): Buffer | null {
    const len = this.length(compact, true);
    if (len < 0) return null;
    const at = this.need(len);
    return this.buf.subarray(at, at + len);
  }

  uuid(): Buffer {
    const at = this.need(16);
    return this.buf.subarray(at, at + 16);
  }

  arrayLength(compact: boolean): number {
    return this.length(compact, true);
  }

  /** Skips a tagged-field section: this broker reads no tagged request fields. */
  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.need(this.uvarint());
    }
  }
}
