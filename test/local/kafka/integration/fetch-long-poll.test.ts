import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import { fetchApi } from '../../../../local/kafka/apis/fetch.ts';
import { Reader } from '../../../../local/kafka/protocol/reader.ts';
import { decodeStruct, encodeStruct } from '../../../../local/kafka/protocol/schema.ts';
import { Writer } from '../../../../local/kafka/protocol/writer.ts';
import { RawConnection, frame, metadataV4Body, parseProduceResponse, produceBody, recordBatch } from './raw-client.ts';

const VERSION = 4;

function fetchFrame(
  correlationId: number,
  topic: string,
  maxWaitMs: number,
  minBytes: number,
  fetchOffset = 0,
): Buffer {
  const w = new Writer();
  w.int16(1).int16(VERSION).int32(correlationId).string('long-poll-test', false);
  encodeStruct(
    w,
    fetchApi.request,
    {
      replicaId: -1,
      maxWaitMs,
      minBytes,
      maxBytes: 1 << 20,
      isolationLevel: 0,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset, partitionMaxBytes: 1 << 20 }] }],
    },
    VERSION,
    false,
  );
  return Buffer.concat(w.finish());
}

/** The records blob returned for partition 0 of the single fetched topic. */
function records(response: Buffer): Buffer {
  const body = decodeStruct(new Reader(response, 4), fetchApi.response, VERSION, false) as {
    responses: Array<{ partitions: Array<{ errorCode: number; records: Buffer | null }> }>;
  };
  const partition = body.responses[0]!.partitions[0]!;
  expect(partition.errorCode).toBe(0);
  return partition.records ?? Buffer.alloc(0);
}

function recordBytes(response: Buffer): number {
  return records(response).length;
}

describe('dev broker fetch long polling', () => {
  let cluster: DevCluster;
  let port: number;
  const connections: RawConnection[] = [];

  beforeAll(async () => {
    cluster = await startCluster({ brokers: 1, port: 0, numPartitions: 1 });
    port = Number(cluster.brokers[0]!.split(':')[1]);
  });

  afterAll(async () => {
    for (const c of connections) c.close();
    await cluster?.close();
  });

  async function open(): Promise<RawConnection> {
    const c = await RawConnection.open(port);
    connections.push(c);
    return c;
  }

  async function produce(topic: string, value: string): Promise<void> {
    const c = await open();
    await c.request(frame(3, 4, 98, metadataV4Body(topic, true))); // auto-creates the topic
    const response = await c.request(frame(0, 3, 99, produceBody(topic, 0, recordBatch(value))));
    expect(parseProduceResponse(response!.subarray(4)).errorCode).toBe(0);
  }

  it('waits max wait on an empty partition and answers with no records', async () => {
    await produce('lp-empty', 'creates the topic');
    const c = await open();
    const started = Date.now();
    const response = await c.request(fetchFrame(1, 'lp-empty', 300, 1, 1)); // from the end: nothing new
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
    expect(recordBytes(response!)).toBe(0);
  });

  it('answers a parked fetch as soon as a produce brings data', async () => {
    await produce('lp-wake', 'x'); // topic exists; offset 0 holds one record
    const c = await open();
    // first drain offset 0 so the next fetch has to wait
    expect(recordBytes((await c.request(fetchFrame(2, 'lp-wake', 0, 1)))!)).toBeGreaterThan(0);
    const started = Date.now();
    const pending = c.request(fetchFrame(3, 'lp-wake', 10_000, 1, 1));
    setTimeout(() => void produce('lp-wake', 'wake up'), 150);
    const response = await pending;
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(140);
    expect(elapsed).toBeLessThan(2000);
    expect(recordBytes(response!)).toBeGreaterThan(0);
  });

  it('stores a compressed batch untouched and serves it back byte for byte', async () => {
    await produce('lp-gzip', 'first'); // offset 0
    const batch = recordBatch('compressed payload '.repeat(20), Date.now(), true);
    const sent = Buffer.from(batch);
    const c = await open();
    const produced = await c.request(frame(0, 3, 5, produceBody('lp-gzip', 0, batch)));
    expect(parseProduceResponse(produced!.subarray(4))).toEqual({ errorCode: 0, baseOffset: 1n });
    const served = records((await c.request(fetchFrame(6, 'lp-gzip', 0, 1, 1)))!);
    expect(served.length).toBe(sent.length);
    expect(served.readBigInt64BE(0)).toBe(1n); // base offset assigned by the broker
    expect(served.subarray(16)).toEqual(sent.subarray(16)); // magic, CRC, attributes, compressed records unchanged
  });

  it('holds the answer until min bytes are available or max wait passes', async () => {
    await produce('lp-min', 'small');
    const c = await open();
    const started = Date.now();
    const response = await c.request(fetchFrame(4, 'lp-min', 400, 1_000_000));
    expect(Date.now() - started).toBeGreaterThanOrEqual(380);
    expect(recordBytes(response!)).toBeGreaterThan(0); // the data there is still returned at the deadline
  });
});
