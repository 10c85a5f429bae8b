/**
 * Hand-made Kafka requests over a plain socket, for error paths no real client will produce
 * (a corrupted record batch, unknown API keys, too-new versions).
 */
import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { crc32c } from '../../../../local/kafka/crc32c.ts';

function varint(n: number): number[] {
  let v = (n << 1) ^ (n >> 31); // zig-zag
  const out: number[] = [];
  while ((v & ~0x7f) !== 0) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  out.push(v);
  return out;
}

/**
 * A magic-2 record batch holding one record with the given value, optionally gzip-compressed;
 * with `producer`, an idempotent producer's batch (producer id, epoch, base sequence).
 */
export function recordBatch(
  value: string,
  timestamp = Date.now(),
  gzip = false,
  producer?: { id: number; epoch: number; sequence: number },
): Buffer {
  const valueBytes = Buffer.from(value);
  const body = Buffer.from([
    0, // attributes
    ...varint(0), // timestamp delta
    ...varint(0), // offset delta
    ...varint(-1), // null key
    ...varint(valueBytes.length),
    ...valueBytes,
    ...varint(0), // headers
  ]);
  const plain = Buffer.concat([Buffer.from(varint(body.length)), body]);
  const record = gzip ? gzipSync(plain) : plain;
  const batch = Buffer.alloc(61 + record.length);
  batch.writeBigInt64BE(0n, 0);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(-1, 12); // partition leader epoch
  batch.writeInt8(2, 16); // magic
  batch.writeInt16BE(gzip ? 1 : 0, 21); // attributes: compression codec
  batch.writeInt32BE(0, 23); // last offset delta
  batch.writeBigInt64BE(BigInt(timestamp), 27);
  batch.writeBigInt64BE(BigInt(timestamp), 35);
  batch.writeBigInt64BE(BigInt(producer?.id ?? -1), 43); // producer id
  batch.writeInt16BE(producer?.epoch ?? -1, 51);
  batch.writeInt32BE(producer?.sequence ?? -1, 53);
  batch.writeInt32BE(1, 57); // record count
  record.copy(batch, 61);
  batch.writeUInt32BE(crc32c(batch, 21), 17);
  return batch;
}

function str(s: string): Buffer {
  const b = Buffer.alloc(2 + Buffer.byteLength(s));
  b.writeInt16BE(Buffer.byteLength(s), 0);
  b.write(s, 2);
  return b;
}

function int16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

/** A size-prefixed request with a v1 header. */
export function frame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer): Buffer {
  const payload = Buffer.concat([int16(apiKey), int16(apiVersion), int32(correlationId), str('raw-test'), body]);
  return Buffer.concat([int32(payload.length), payload]);
}

/** Produce v3 body for one partition (acks=1 unless told). */
export function produceBody(topic: string, partition: number, records: Buffer, acks = 1): Buffer {
  return Buffer.concat([
    int16(-1),
    int16(acks),
    int32(5000),
    int32(1),
    str(topic),
    int32(1),
    int32(partition),
    int32(records.length),
    records,
  ]);
}

/** Reads the error code and base offset out of a Produce v3 response body (one topic/partition). */
export function parseProduceResponse(body: Buffer): { errorCode: number; baseOffset: bigint } {
  let pos = 4; // topic count
  pos += 2 + body.readInt16BE(pos); // topic name
  pos += 4 + 4; // partition count, partition index
  return { errorCode: body.readInt16BE(pos), baseOffset: body.readBigInt64BE(pos + 2) };
}

export class RawConnection {
  private readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  private waiting: ((frame: Buffer | null) => void) | null = null;
  closed = false;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (d: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.deliver();
    });
    socket.on('close', () => {
      this.closed = true;
      this.waiting?.(null);
      this.waiting = null;
    });
    socket.on('error', () => undefined);
  }

  static open(port: number, host = '127.0.0.1'): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Opens a connection to `broker` (`host:port`), runs `use` on it and closes it, whatever `use` does. */
  static async using<T>(broker: string, use: (conn: RawConnection) => Promise<T>): Promise<T> {
    const conn = await RawConnection.open(Number(broker.split(':')[1]));
    try {
      return await use(conn);
    } finally {
      conn.close();
    }
  }

  private deliver(): void {
    if (this.waiting === null || this.buffer.length < 4) return;
    const size = this.buffer.readInt32BE(0);
    if (this.buffer.length < 4 + size) return;
    const response = this.buffer.subarray(4, 4 + size);
    this.buffer = this.buffer.subarray(4 + size);
    const w = this.waiting;
    this.waiting = null;
    w(response);
  }

  /** Sends one request and resolves with the response frame (correlation id first), or null if the broker closed the connection. */
  request(data: Buffer): Promise<Buffer | null> {
    return new Promise((resolve) => {
      if (this.closed) {
        resolve(null);
        return;
      }
      this.waiting = resolve;
      this.socket.write(data);
      this.deliver();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Metadata v4 body asking for one topic. */
export function metadataV4Body(topic: string, allowAutoTopicCreation: boolean): Buffer {
  return Buffer.concat([int32(1), str(topic), Buffer.from([allowAutoTopicCreation ? 1 : 0])]);
}

/** The first topic entry of a Metadata v4 response body. */
export function metadataV4TopicError(body: Buffer): { name: string; errorCode: number } {
  let pos = 4; // throttle
  const brokers = body.readInt32BE(pos);
  pos += 4;
  for (let i = 0; i < brokers; i++) {
    pos += 4; // node id
    pos += 2 + body.readInt16BE(pos); // host
    pos += 4; // port
    const rack = body.readInt16BE(pos);
    pos += 2 + Math.max(0, rack);
  }
  const clusterId = body.readInt16BE(pos);
  pos += 2 + Math.max(0, clusterId);
  pos += 4; // controller id
  pos += 4; // topic count
  const errorCode = body.readInt16BE(pos);
  pos += 2;
  const len = body.readInt16BE(pos);
  return { errorCode, name: body.toString('utf8', pos + 2, pos + 2 + len) };
}
