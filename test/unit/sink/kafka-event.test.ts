import { decodeHeaders, InvalidKafkaEventError, readKafkaEvent } from '../../../functions/sink/kafka-event.ts';
import { fixture } from '../../helpers/fixtures.ts';

describe('decodeHeaders', () => {
  it('decodes header byte arrays to UTF-8 strings, in order, keeping repeated names', () => {
    const headers: Record<string, number[]>[] = [
      { headerKey: [104, 101, 97, 100, 101, 114, 86, 97, 108, 117, 101] },
      { app_id: [...Buffer.from('demo-app')] },
      { app_id: [...Buffer.from('second')] },
    ];
    expect(decodeHeaders(headers)).toEqual([
      { name: 'headerKey', value: 'headerValue' },
      { name: 'app_id', value: 'demo-app' },
      { name: 'app_id', value: 'second' },
    ]);
  });

  it('decodes signed byte values (Java bytes) as their unsigned octets', () => {
    const e = [...Buffer.from('é✓')].map((b) => (b > 127 ? b - 256 : b));
    expect(e.some((b) => b < 0)).toBe(true);
    expect(decodeHeaders([{ title: e }])).toEqual([{ name: 'title', value: 'é✓' }]);
  });

  it('decodes a base64 string value and treats missing headers as none', () => {
    expect(decodeHeaders([{ headerKey: 'aGVhZGVyVmFsdWU=' }])).toEqual([{ name: 'headerKey', value: 'headerValue' }]);
    expect(decodeHeaders(undefined)).toEqual([]);
    expect(decodeHeaders([{ empty: [] }])).toEqual([{ name: 'empty', value: '' }]);
  });
});

describe('readKafkaEvent', () => {
  it('reads the MSK fixture: source, cluster ARN and partitions by their records key', () => {
    const { source, eventSourceArn, partitions } = readKafkaEvent(fixture('msk/msk-event.json'));
    expect(source).toBe('aws:kafka');
    expect(eventSourceArn).toMatch(/^arn:aws:kafka:/);
    expect(partitions.map((p) => [p.key, p.topic, p.partition, p.records.map((r) => r.offset)])).toEqual([
      ['demo-0', 'demo', 0, [15, 16]],
      ['demo-1', 'demo', 1, [7]],
    ]);
  });

  it('reads the self-managed Kafka fixture (no event source ARN)', () => {
    const { source, eventSourceArn, partitions } = readKafkaEvent(fixture('msk/self-managed-kafka-event.json'));
    expect(source).toBe('SelfManagedKafka');
    expect(eventSourceArn).toBeUndefined();
    expect(partitions).toHaveLength(1);
  });

  it('sorts records of a partition by offset when they arrive out of order', () => {
    const rec = (offset: number) => ({ topic: 't', partition: 0, offset, timestamp: 1, value: null });
    const { partitions } = readKafkaEvent({
      eventSource: 'aws:kafka',
      records: { 't-0': [rec(5), rec(3), rec(4)] },
    });
    expect(partitions[0]!.records.map((r) => r.offset)).toEqual([3, 4, 5]);
  });

  it.each([
    ['null', null, 'not an object'],
    ['an SQS event', { Records: [] }, 'eventSource'],
    ['records as an array', { eventSource: 'aws:kafka', records: [] }, 'records must be an object'],
    [
      'a partition that is not a list',
      { eventSource: 'aws:kafka', records: { 't-0': {} } },
      "records['t-0'] must be an array",
    ],
    [
      'a record without offset',
      { eventSource: 'aws:kafka', records: { 't-0': [{ topic: 't', partition: 0, timestamp: 1 }] } },
      'offset',
    ],
    [
      'mixed partitions under one key',
      {
        eventSource: 'aws:kafka',
        records: {
          't-0': [
            { topic: 't', partition: 0, offset: 1 },
            { topic: 't', partition: 1, offset: 2 },
          ],
        },
      },
      'mixes',
    ],
  ])('refuses %s with InvalidKafkaEventError', (_label, event, message) => {
    let error: unknown;
    try {
      readKafkaEvent(event);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidKafkaEventError);
    expect((error as Error).name).toBe('InvalidKafkaEventError');
    expect((error as Error).message).toContain(message);
  });
});
