import { PutRecordBatchCommand, type PutRecordBatchCommandInput } from '@aws-sdk/client-firehose';
import { PutObjectCommand, type PutObjectCommandInput } from '@aws-sdk/client-s3';
import { deliverKafkaEvent } from '../../../functions/sink/deliver.ts';
import { isRetryableCallError } from '../../../functions/sink/firehose-calls.ts';
import { InvalidKafkaEventError } from '../../../functions/sink/kafka-event.ts';
import { fixture } from '../../helpers/fixtures.ts';
import {
  acceptAll,
  b64,
  callSizes,
  eventJson,
  idOf,
  kafkaEvent,
  record,
  rejectWhere,
  sentIds,
  setup,
  validRecords,
} from './helpers.ts';

const MiB4 = 4 * 1024 * 1024;

function awsError(name: string, status: number, fault: 'client' | 'server') {
  return Object.assign(new Error(`${name} from the service`), {
    name,
    $fault: fault,
    $metadata: { httpStatusCode: status },
  });
}

describe('deliverKafkaEvent', () => {
  describe('packing', () => {
    it('sends 500 records in one call and the 501st in a second call', async () => {
      const { deps, firehoseMock } = setup();
      firehoseMock.on(PutRecordBatchCommand).callsFake(acceptAll);
      const { response, stats } = await deliverKafkaEvent(kafkaEvent({ 't-0': validRecords('t', 0, 501) }), deps);
      expect(callSizes(firehoseMock).map((c) => c.records)).toEqual([500, 1]);
      expect(response).toEqual({ batchItemFailures: [] });
      expect(stats).toMatchObject({ records: 501, delivered: 501, firehoseCalls: 2 });
    });

    it('fills a call to exactly 4 MiB including newlines and starts another at one byte more', async () => {
      // Four lines of 1,000 KiB (the record maximum) and one of 98,304 bytes make exactly 4 MiB.
      const big = [0, 1, 2, 3].map((i) => record('t', 0, i, b64(eventJson(1_024_000 - 1, `e${i}`))));
      const exact = [...big, record('t', 0, 4, b64(eventJson(98_304 - 1, 'e4')))];
      const { deps, firehoseMock } = setup();
      firehoseMock.on(PutRecordBatchCommand).callsFake(acceptAll);
      await deliverKafkaEvent(kafkaEvent({ 't-0': exact }), deps);
      expect(callSizes(firehoseMock)).toEqual([{ records: 5, bytes: MiB4 }]);

      const over = [...big, record('t', 0, 4, b64(eventJson(98_304, 'e4')))];
      const second = setup();
      second.firehoseMock.on(PutRecordBatchCommand).callsFake(acceptAll);
      await deliverKafkaEvent(kafkaEvent({ 't-0': over }), second.deps);
      expect(callSizes(second.firehoseMock)).toEqual([
        { records: 4, bytes: 4_096_000 },
        { records: 1, bytes: 98_305 },
      ]);
    });

    it('delivers a record of exactly 1,000 KiB with its newline and dead-letters one a byte larger', async () => {
      const { deps, firehoseMock, s3Mock } = setup();
      firehoseMock.on(PutRecordBatchCommand).callsFake(acceptAll);
      const records = [
        record('t', 0, 0, b64(eventJson(1_024_000 - 1, 'fits'))),
        record('t', 0, 1, b64(eventJson(1_024_000, 'too-big'))),
      ];
      const { response, stats } = await deliverKafkaEvent(kafkaEvent({ 't-0': records }), deps);
      expect(sentIds(firehoseMock)).toEqual([['fits']]);
      expect(callSizes(firehoseMock)[0]!.bytes).toBe(1_024_000);
      const body = String((s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input as PutObjectCommandInput).Body);
      expect(JSON.parse(body.trim())).toMatchObject({ offset: 1, reason: 'RECORD_TOO_LARGE' });
      expect(response.batchItemFailures).toEqual([]);
      expect(stats).toMatchObject({ delivered: 1, deadLettered: 1 });
    });

    it('uses the optimal number of calls for many partitions of mixed sizes when nothing fails', async () => {
      const { deps, firehoseMock } = setup();
      firehoseMock.on(PutRecordBatchCommand).callsFake(acceptAll);
      const event = kafkaEvent({
        'a-0': validRecords('a', 0, 700, 3000),
        'a-1': validRecords('a', 1, 900, 150),
        'b-0': validRecords('b', 0, 400, 9000),
      });
      await deliverKafkaEvent(event, deps);
      const sizes = callSizes(firehoseMock);
      // Greedy over the partitions in order: a-0 (3,001-byte lines), a-1, b-0 (9,001-byte lines).
      const lines = [...new Array(700).fill(3001), ...new Array(900).fill(151), ...new Array(400).fill(9001)];
      let calls = 0;
      let n = 0;
      let bytes = 0;
      for (const size of lines) {
        if (n > 0 && (n === 500 || bytes + size > MiB4)) {
          calls++;
          n = 0;
          bytes = 0;
        }
        n++;
        bytes += size;
      }
      expect(sizes).toHaveLength(calls + 1);
      expect(sizes.every((c) => c.records <= 500 && c.bytes <= MiB4)).toBe(true);
      expect(sizes.reduce((s, c) => s + c.records, 0)).toBe(2000);
    });
  });

  describe('retries', () => {
    it('resends exactly the rejected entries, in order, in the next call', async () => {
      const { deps, firehoseMock, clock } = setup();
      const rejectOnce = new Set(['t-0-3', 't-0-7', 't-0-8']);
      firehoseMock.on(PutRecordBatchCommand).callsFake(
        rejectWhere((data) => {
          const id = idOf(data);
          if (rejectOnce.has(id)) {
            rejectOnce.delete(id);
            return true;
          }
          return false;
        }),
      );
      const { response, stats } = await deliverKafkaEvent(kafkaEvent({ 't-0': validRecords('t', 0, 10) }), deps);
      const calls = sentIds(firehoseMock);
      expect(calls).toHaveLength(2);
      expect(calls[1]).toEqual(['t-0-3', 't-0-7', 't-0-8']);
      expect(response.batchItemFailures).toEqual([]);
      expect(stats).toMatchObject({ delivered: 10, failedPuts: 3, firehoseCalls: 2 });
      // Full jitter: random 0.5 of the first ceiling (100 ms).
      expect(clock.sleeps).toEqual([50]);
    });

    it('backs off exponentially with full jitter while records keep failing', async () => {
      const { deps, firehoseMock, clock } = setup({ random: () => 0.999 });
      let failuresLeft = 5;
      firehoseMock.on(PutRecordBatchCommand).callsFake(rejectWhere(() => failuresLeft-- > 0));
      await deliverKafkaEvent(kafkaEvent({ 't-0': validRecords('t', 0, 1) }), deps);
      // ceilings 100, 200, 400, 800, 1600 (cap 2000) times 0.999, floored
      expect(clock.sleeps).toEqual([99, 199, 399, 799, 1598]);
    });

    it('backs off per record: calls that each carry only first-time rejections do not escalate the delay', async () => {
      const { deps, firehoseMock, clock } = setup({ random: () => 0.999 });
      const firstOfPartition = new Set(['t-0-0', 't-1-0', 't-2-0', 't-3-0']);
      firehoseMock.on(PutRecordBatchCommand).callsFake(rejectWhere((data) => firstOfPartition.delete(idOf(data))));
      const event = kafkaEvent({
        't-0': validRecords('t', 0, 500),
        't-1': validRecords('t', 1, 500),
        't-2': validRecords('t', 2, 500),
        't-3': validRecords('t', 3, 500),
      });
      const { response, stats } = await deliverKafkaEvent(event, deps);
      expect(response.batchItemFailures).toEqual([]);
      expect(stats.failedPuts).toBe(4);
      // Every retry is a record's first: the ceiling stays at the base delay (100 ms).
      expect(clock.sleeps.length).toBeGreaterThanOrEqual(4);
      expect(Math.max(...clock.sleeps)).toBe(99);
    });

    it("adds consecutive whole-call failures to the records' own backoff exponent", async () => {
      const { deps, firehoseMock, clock } = setup({ random: () => 0.999 });
      let first = true;
      firehoseMock
        .on(PutRecordBatchCommand)
        .callsFakeOnce(
          rejectWhere(() => {
            const r = first;
            first = false;
            return r;
          }),
        )
        .rejectsOnce(awsError('ThrottlingException', 400, 'client'))
        .callsFake(acceptAll);
      await deliverKafkaEvent(kafkaEvent({ 't-0': validRecords('t', 0, 1) }), deps);
      // rejected once (ceiling 100), then rejected once + one throttled call (ceiling 200)
      expect(clock.sleeps).toEqual([99, 199]);
    });

    it('holds back later records of a partition until its rejected records are in', async () => {
      const { deps, firehoseMock } = setup();
      let rejected = false;
      firehoseMock.on(PutRecordBatchCommand).callsFake(
        rejectWhere((data) => {
          if (!rejected && idOf(data) === 't-0-10') {
            rejected = true;
            return true;
          }
          return false;
        }),
      );
      const event = kafkaEvent({ 't-0': validRecords('t', 0, 600), 'u-0': validRecords('u', 0, 3) });
      await deliverKafkaEvent(event, deps);
      const calls = sentIds(firehoseMock);
      expect(calls[0]).toHaveLength(500);
      // The retry goes first; t-0's records 500..599 wait; u-0 (not stalled) fills the call.
      expect(calls[1]).toEqual(['t-0-10', 'u-0-0', 'u-0-1', 'u-0-2']);
      expect(calls[2]).toEqual(Array.from({ length: 100 }, (_, i) => `t-0-${500 + i}`));
    });

    it('retries a throttled call whole and then succeeds', async () => {
      const { deps, firehoseMock, clock } = setup();
      firehoseMock
        .on(PutRecordBatchCommand)
        .rejectsOnce(awsError('ThrottlingException', 400, 'client'))
        .rejectsOnce(awsError('ServiceUnavailableException', 503, 'server'))
        .callsFake(acceptAll);
      const { response, stats } = await deliverKafkaEvent(kafkaEvent({ 't-0': validRecords('t', 0, 5) }), deps);
      const calls = sentIds(firehoseMock);
      expect(calls).toHaveLength(3);
      expect(calls[0]).toEqual(calls[2]);
      expect(response.batchItemFailures).toEqual([]);
      expect(stats).toMatchObject({ failedCalls: 2, delivered: 5 });
      expect(clock.sleeps).toEqual([50, 100]);
    });

    it('stops at an error retrying cannot fix and reports every partition from its first record', async () => {
      const { deps, firehoseMock } = setup();
      firehoseMock.on(PutRecordBatchCommand).rejects(awsError('ResourceNotFoundException', 400, 'client'));
      const event = kafkaEvent({
        't-0': validRecords('t', 0, 3, 200, 40),
        't-1': validRecords('t', 1, 2, 200, 7),
      });
      const { response, stats } = await deliverKafkaEvent(event, deps);
      expect(firehoseMock.commandCalls(PutRecordBatchCommand)).toHaveLength(1);
      expect(response).toEqual({
        batchItemFailures: [
          { itemIdentifier: { partition: 't-0', offset: 40 } },
          { itemIdentifier: { partition: 't-1', offset: 7 } },
        ],
      });
      expect(stats.permanentError).toContain('ResourceNotFoundException');
    });

    it('classifies call errors: throttling, 5xx and transport errors retry; client errors do not', () => {
      expect(isRetryableCallError(awsError('ThrottlingException', 400, 'client'))).toBe(true);
      expect(isRetryableCallError(awsError('LimitExceededException', 400, 'client'))).toBe(true);
      expect(isRetryableCallError(awsError('InternalFailure', 500, 'server'))).toBe(true);
      expect(isRetryableCallError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe(true);
      expect(isRetryableCallError(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))).toBe(true);
      expect(isRetryableCallError(awsError('ResourceNotFoundException', 400, 'client'))).toBe(false);
      expect(isRetryableCallError(awsError('AccessDeniedException', 403, 'client'))).toBe(false);
      expect(isRetryableCallError(awsError('InvalidArgumentException', 400, 'client'))).toBe(false);
      expect(isRetryableCallError(new TypeError('bug'))).toBe(false);
    });
  });

  describe('time budget', () => {
    it('stops retrying before the deadline and reports the first undelivered record of the partition', async () => {
      const { deps, firehoseMock, clock } = setup({ deadlineMs: 5_000 });
      // Every call takes 400 ms; record offset 3 is always rejected.
      firehoseMock.on(PutRecordBatchCommand).callsFake((input: PutRecordBatchCommandInput) => {
        clock.now += 400;
        return rejectWhere((data) => idOf(data) === 't-0-3')(input);
      });
      const { response, stats } = await deliverKafkaEvent(
        kafkaEvent({ 't-0': validRecords('t', 0, 6, 200, 0), 't-1': validRecords('t', 1, 2) }),
        deps,
      );
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 't-0', offset: 3 } }] });
      expect(stats.timedOut).toBe(true);
      // Records 4 and 5 shared the first call with 3 and were accepted: Lambda will redeliver them.
      expect(stats.deliveredAhead).toBe(2);
      // Nothing started inside the safety margin (1 s) + minimum call budget.
      expect(clock.now).toBeLessThanOrEqual(5_000 - 1_000);
      expect(firehoseMock.commandCalls(PutRecordBatchCommand).length).toBeGreaterThan(2);
    });

    it('sends nothing when the invocation starts inside the safety margin, and reports every partition', async () => {
      const { deps, firehoseMock } = setup({ deadlineMs: 900 });
      firehoseMock.on(PutRecordBatchCommand).callsFake(acceptAll);
      const { response, stats } = await deliverKafkaEvent(
        kafkaEvent({ 't-0': validRecords('t', 0, 2, 200, 10) }),
        deps,
      );
      expect(firehoseMock.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
      expect(response.batchItemFailures).toEqual([{ itemIdentifier: { partition: 't-0', offset: 10 } }]);
      expect(stats.timedOut).toBe(true);
    });

    it('shortens the last backoff to the time left instead of giving up early', async () => {
      const { deps, firehoseMock, clock } = setup({ deadlineMs: 1_300, random: () => 0.99 });
      let first = true;
      firehoseMock.on(PutRecordBatchCommand).callsFake(
        rejectWhere(() => {
          const r = first;
          first = false;
          return r;
        }),
      );
      const { response } = await deliverKafkaEvent(kafkaEvent({ 't-0': validRecords('t', 0, 1) }), deps);
      // 1,300 - 1,000 margin - 100 minimum call budget leaves 200 ms; the jittered 99 ms fits.
      expect(clock.sleeps).toEqual([99]);
      expect(response.batchItemFailures).toEqual([]);
    });
  });

  describe('exactly-once boundaries', () => {
    function seeded(seed: number) {
      let s = seed;
      return () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    }

    it('delivers every record exactly once with 30% random per-record failures and enough time', async () => {
      const { deps, firehoseMock } = setup({ deadlineMs: 600_000 });
      const rnd = seeded(7);
      const accepted: string[] = [];
      firehoseMock.on(PutRecordBatchCommand).callsFake((input: PutRecordBatchCommandInput) => {
        const out = rejectWhere(() => rnd() < 0.3)(input);
        out.RequestResponses.forEach((r, i) => {
          if (!('ErrorCode' in r)) accepted.push(idOf(Buffer.from(input.Records![i]!.Data as Uint8Array)));
        });
        return out;
      });
      const event = kafkaEvent({
        't-0': validRecords('t', 0, 1200),
        't-1': validRecords('t', 1, 800),
        't-2': validRecords('t', 2, 5),
      });
      const { response } = await deliverKafkaEvent(event, deps);
      expect(response.batchItemFailures).toEqual([]);
      expect(accepted).toHaveLength(2005);
      expect(new Set(accepted).size).toBe(2005);
    });

    it('reports, per partition, an offset before which everything was delivered (random failures, short deadline)', async () => {
      let timedOut = 0;
      for (const seed of [1, 2, 3, 4, 5]) {
        const { deps, firehoseMock, clock } = setup({ deadlineMs: 4_000 });
        const rnd = seeded(seed);
        const accepted = new Map<string, number>();
        firehoseMock.on(PutRecordBatchCommand).callsFake((input: PutRecordBatchCommandInput) => {
          clock.now += 300;
          const out = rejectWhere(() => rnd() < 0.6)(input);
          out.RequestResponses.forEach((r, i) => {
            if ('ErrorCode' in r) return;
            const id = idOf(Buffer.from(input.Records![i]!.Data as Uint8Array));
            accepted.set(id, (accepted.get(id) ?? 0) + 1);
          });
          return out;
        });
        const sizes: Record<string, number> = { 't-0': 700, 't-1': 300 };
        const event = kafkaEvent({ 't-0': validRecords('t', 0, 700), 't-1': validRecords('t', 1, 300) });
        const { response, stats } = await deliverKafkaEvent(event, deps);
        expect([...accepted.values()].every((n) => n === 1)).toBe(true);
        let ahead = 0;
        for (const key of Object.keys(sizes)) {
          const failure = response.batchItemFailures.find((f) => f.itemIdentifier.partition === key);
          const boundary = failure ? failure.itemIdentifier.offset : sizes[key]!;
          for (let o = 0; o < boundary; o++) expect(accepted.has(`${key}-${o}`)).toBe(true);
          if (failure) expect(accepted.has(`${key}-${boundary}`)).toBe(false);
          for (let o = boundary + 1; o < sizes[key]!; o++) if (accepted.has(`${key}-${o}`)) ahead++;
        }
        expect(stats.deliveredAhead).toBe(ahead);
        if (stats.timedOut && response.batchItemFailures.length > 0) timedOut++;
      }
      expect(timedOut).toBeGreaterThan(0);
    });
  });

  describe('dead letters', () => {
    it('writes undeliverable records to S3 under the error prefix, one object per partition, with topic, partition, offset, timestamp, reason and raw value', async () => {
      const { deps, firehoseMock, s3Mock } = setup();
      firehoseMock.on(PutRecordBatchCommand).callsFake(acceptAll);
      const notJson = b64('Hello, this is a test.');
      const records = [
        ...validRecords('t', 0, 2, 200, 100),
        record('t', 0, 102, notJson, { headers: [{ trace: [...Buffer.from('abc')] }] }),
        record('t', 0, 103, null, { key: null }),
        ...validRecords('t', 0, 1, 200, 104),
      ];
      const { response, stats } = await deliverKafkaEvent(kafkaEvent({ 't-0': records }), deps);
      expect(response.batchItemFailures).toEqual([]);
      expect(sentIds(firehoseMock).flat()).toEqual(['t-0-100', 't-0-101', 't-0-104']);
      expect(stats).toMatchObject({ delivered: 3, deadLettered: 2 });
      const puts = s3Mock.commandCalls(PutObjectCommand);
      expect(puts).toHaveLength(1);
      const input = puts[0]!.args[0].input as PutObjectCommandInput;
      expect(input.Bucket).toBe('data-bucket');
      // Date from the first dead record's Kafka timestamp (2025-11-21), name from its offsets.
      expect(input.Key).toBe('errors/sink/topic=t/partition=0/year=2025/month=11/day=21/t-0-102-103.jsonl');
      const lines = String(input.Body)
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      expect(lines).toEqual([
        expect.objectContaining({
          topic: 't',
          partition: 0,
          offset: 102,
          timestamp: records[2]!.timestamp,
          reason: 'VALUE_NOT_JSON',
          value: notJson,
          headers: [{ name: 'trace', value: 'abc' }],
          eventSource: 'aws:kafka',
        }),
        expect.objectContaining({
          topic: 't',
          partition: 0,
          offset: 103,
          reason: 'VALUE_MISSING',
          value: null,
          key: null,
        }),
      ]);
      expect(lines[0].detail).toContain('not JSON');
      expect(lines[0].failedAt).toBe('2025-11-21T12:01:00.000Z');
    });

    it('reports a record whose dead-letter write failed, delivers the records before it and sends none after it', async () => {
      const { deps, firehoseMock, s3Mock } = setup();
      firehoseMock.on(PutRecordBatchCommand).callsFake(acceptAll);
      s3Mock.on(PutObjectCommand).rejects(awsError('AccessDenied', 403, 'client'));
      const records = [
        ...validRecords('t', 0, 2, 200, 0),
        record('t', 0, 2, b64('not json')),
        ...validRecords('t', 0, 2, 200, 3),
      ];
      const { response, stats } = await deliverKafkaEvent(
        kafkaEvent({ 't-0': records, 't-1': validRecords('t', 1, 2) }),
        deps,
      );
      expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: { partition: 't-0', offset: 2 } }] });
      expect(sentIds(firehoseMock).flat().sort()).toEqual(['t-0-0', 't-0-1', 't-1-0', 't-1-1']);
      expect(stats).toMatchObject({ deadLettered: 0, deliveredAhead: 0 });
    });

    it('dead-letters the record of the AWS documentation example (its value is not JSON)', async () => {
      const { deps, firehoseMock, s3Mock } = setup();
      firehoseMock.on(PutRecordBatchCommand).callsFake(acceptAll);
      const { response } = await deliverKafkaEvent(fixture('msk/aws-docs-msk-example.json'), deps);
      expect(response.batchItemFailures).toEqual([]);
      expect(firehoseMock.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
      const input = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input as PutObjectCommandInput;
      expect(input.Key).toBe('errors/sink/topic=mytopic/partition=0/year=2018/month=12/day=17/mytopic-0-15-15.jsonl');
      expect(JSON.parse(String(input.Body))).toMatchObject({
        offset: 15,
        reason: 'VALUE_NOT_JSON',
        headers: [{ name: 'headerKey', value: 'headerValue' }],
        eventSourceArn:
          'arn:aws:kafka:us-east-1:123456789012:cluster/vpc-2priv-2pub/751d2973-a626-431c-9d4e-d7975eb44dd7-2',
      });
    });
  });

  describe('events', () => {
    it.each([
      ['msk/msk-event.json', 3],
      ['msk/self-managed-kafka-event.json', 2],
    ])('delivers every record of %s as its value bytes plus a newline', async (name, count) => {
      const { deps, firehoseMock } = setup();
      firehoseMock.on(PutRecordBatchCommand).callsFake(acceptAll);
      const event = fixture<{ records: Record<string, { value: string }[]> }>(name);
      const { response } = await deliverKafkaEvent(event, deps);
      expect(response).toEqual({ batchItemFailures: [] });
      const sent = firehoseMock
        .commandCalls(PutRecordBatchCommand)
        .flatMap((c) =>
          (c.args[0].input as PutRecordBatchCommandInput).Records!.map((r) =>
            Buffer.from(r.Data as Uint8Array).toString('utf8'),
          ),
        );
      const expected = Object.values(event.records)
        .flat()
        .map((r) => `${Buffer.from(r.value, 'base64').toString('utf8')}\n`);
      expect(sent).toEqual(expected);
      expect(sent).toHaveLength(count);
      expect(firehoseMock.commandCalls(PutRecordBatchCommand)[0]!.args[0].input.DeliveryStreamName).toBe(
        'events-stream',
      );
    });

    it('answers an event without records with an empty failure list and no calls', async () => {
      const { deps, firehoseMock } = setup();
      const { response } = await deliverKafkaEvent(kafkaEvent({}), deps);
      expect(response).toEqual({ batchItemFailures: [] });
      expect(firehoseMock.commandCalls(PutRecordBatchCommand)).toHaveLength(0);
    });

    it('throws InvalidKafkaEventError for a payload that is not a Kafka event', async () => {
      const { deps } = setup();
      await expect(deliverKafkaEvent({ Records: [] }, deps)).rejects.toBeInstanceOf(InvalidKafkaEventError);
    });
  });
});
