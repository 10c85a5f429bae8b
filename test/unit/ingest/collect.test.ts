import { gzipSync } from 'node:zlib';
import { collect } from '../../../functions/ingest/collect.ts';
import { limits } from '../../../functions/ingest/limits.ts';
import { RecordingProducer, unavailableError } from '../../helpers/fake-producer.ts';
import { deps, httpStatusOf, NOW, request } from './helpers.ts';

function event(i: number, extra: Record<string, unknown> = {}) {
  return {
    event_id: `e-${i}`,
    event_type: 'click',
    timestamp: 1_700_000_000_000 + i,
    app_id: 'app1',
    ...extra,
  };
}

describe('collect', () => {
  it('writes every valid event to the configured topic and reports the count', async () => {
    const d = deps();
    const result = await collect(request([event(1), event(2)]), d);
    expect(result).toEqual({ accepted: 2, rejected: [] });
    expect(d.producer.sent).toHaveLength(1);
    expect(d.producer.sent[0]!.topic).toBe('clicks');
    expect(d.producer.sent[0]!.timeoutMs).toBe(1234);
    expect(d.producer.records.map((r) => JSON.parse(r.value).event_id)).toEqual(['e-1', 'e-2']);
  });

  it('accepts a single event object as a batch of one', async () => {
    const d = deps();
    expect(await collect(request(event(1)), d)).toEqual({ accepted: 1, rejected: [] });
  });

  it('enriches events with server time, client ip, user agent, request id and skew-corrected time', async () => {
    const d = deps();
    await collect(
      request([event(1, { custom: { nested: [1, 2] } })], {
        query: { appId: 'app1', upload_timestamp: String(NOW - 60_000) },
      }),
      d,
    );
    const value = JSON.parse(d.producer.records[0]!.value);
    expect(value).toEqual({
      ...event(1, { custom: { nested: [1, 2] } }),
      ingest_time: NOW,
      client_ip: '198.51.100.1',
      user_agent: 'test-agent/1.0',
      request_id: 'req-1',
      timestamp_corrected: 1_700_000_000_001 + 60_000,
    });
  });

  it('omits timestamp_corrected when the client sent no upload_timestamp', async () => {
    const d = deps();
    await collect(request([event(1)]), d);
    expect(JSON.parse(d.producer.records[0]!.value)).not.toHaveProperty('timestamp_corrected');
  });

  it('keys records by app and user identity, falling back to the event id', async () => {
    const d = deps();
    await collect(
      request([
        event(1, { user_id: 'u1', device_id: 'd1' }),
        event(2, { device_id: 'd1', session_id: 's1' }),
        event(3, { session_id: 's1' }),
        event(4, { unique_id: 'x' }),
        event(5),
      ]),
      d,
    );
    expect(d.producer.records.map((r) => r.key)).toEqual(['app1:u1', 'app1:d1', 'app1:s1', 'app1:x', 'app1:e-5']);
  });

  it('sets app_id and event_type headers on every record', async () => {
    const d = deps();
    await collect(request([event(1, { event_type: 'purchase' })]), d);
    expect(d.producer.records[0]!.headers).toEqual({ app_id: 'app1', event_type: 'purchase' });
  });

  it('writes the valid events and lists each invalid one with the field at fault', async () => {
    const d = deps();
    const batch = [
      event(0),
      { ...event(1), event_id: 7 },
      { ...event(2), event_type: '' },
      { ...event(3), timestamp: '2024-01-01' },
      { ...event(4), app_id: 'other' },
      'text',
      event(6),
    ];
    const result = await collect(request(batch), d);
    expect(result.accepted).toBe(2);
    expect(result.rejected).toEqual([
      { index: 1, reason: expect.stringContaining('event_id') },
      { index: 2, event_id: 'e-2', reason: expect.stringContaining('event_type') },
      { index: 3, event_id: 'e-3', reason: expect.stringContaining('timestamp') },
      { index: 4, event_id: 'e-4', reason: expect.stringContaining("app_id: 'other'") },
      { index: 5, reason: 'event must be a JSON object' },
    ]);
    expect(d.producer.records.map((r) => JSON.parse(r.value).event_id)).toEqual(['e-0', 'e-6']);
  });

  it('rejects an event that is too large to deliver, keeping the rest', async () => {
    const d = deps();
    const result = await collect(request([event(1, { blob: 'x'.repeat(limits.maxEventBytes) }), event(2)]), d);
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([
      {
        index: 0,
        reason: expect.stringMatching(/^event is \d+ bytes; the limit is 1023999 bytes \(maxEventBytes\)$/),
      },
    ]);
  });

  it('counts UTF-8 bytes, not characters: an event under the limit in characters but over it in bytes is rejected', async () => {
    const d = deps();
    // 3 bytes per character: ~1/3 of the limit in characters, just over it in bytes.
    const blob = '€'.repeat(Math.floor(limits.maxEventBytes / 3) + 1);
    const result = await collect(request([event(1, { blob }), event(2)]), d);
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([
      { index: 0, reason: expect.stringMatching(/^event is \d+ bytes; the limit is 1023999 bytes \(maxEventBytes\)$/) },
    ]);
  });

  it('rejects an event that only the enrichment makes too large, naming its event_id', async () => {
    const d = deps();
    const fits = JSON.stringify(event(1, { blob: '' }));
    const result = await collect(
      request([event(1, { blob: 'x'.repeat(limits.maxEventBytes - fits.length - 10) }), event(2)]),
      d,
    );
    expect(result.accepted).toBe(1);
    expect(result.rejected).toEqual([{ index: 0, event_id: 'e-1', reason: expect.stringContaining('once enriched') }]);
  });

  describe('gzip bodies', () => {
    const batch = [event(1), event(2)];
    it('decodes compression=gzip (base64 text of gzipped JSON)', async () => {
      const d = deps();
      const body = gzipSync(JSON.stringify(batch)).toString('base64');
      expect(await collect(request(body, { query: { appId: 'app1', compression: 'gzip' } }), d)).toEqual({
        accepted: 2,
        rejected: [],
      });
    });
    it('decodes compression=gzip when API Gateway base64-encoded the body again', async () => {
      const d = deps();
      const body = Buffer.from(gzipSync(JSON.stringify(batch)).toString('base64')).toString('base64');
      expect(
        await collect(request(body, { isBase64Encoded: true, query: { appId: 'app1', compression: 'gzip' } }), d),
      ).toEqual({ accepted: 2, rejected: [] });
    });
    it('decodes Content-Encoding: gzip passed base64-encoded by API Gateway', async () => {
      const d = deps();
      const body = gzipSync(JSON.stringify(batch)).toString('base64');
      expect(
        await collect(request(body, { isBase64Encoded: true, headers: { 'content-encoding': 'gzip' } }), d),
      ).toEqual({ accepted: 2, rejected: [] });
      expect(d.producer.records).toHaveLength(2);
    });
  });

  describe('400', () => {
    it.each([
      ['the body is not JSON', request('{"event_id":'), /not valid JSON/],
      ['the body is a JSON scalar', request('42'), /JSON array of events or one event object/],
      ['the batch is empty', request([]), /empty batch/],
      ['the body is missing', request('', { body: undefined }), /body is empty/],
      ['appId is missing', request([event(1)], { query: {} }), /appId is required/],
      [
        'upload_timestamp is not a number',
        request([event(1)], { query: { appId: 'app1', upload_timestamp: 'yesterday' } }),
        /upload_timestamp='yesterday'/,
      ],
      [
        'compression=gzip body is not base64',
        request('@@not base64@@', { query: { appId: 'app1', compression: 'gzip' } }),
        /not valid base64/,
      ],
      [
        'compression=gzip body is not gzip',
        request(Buffer.from('plain text').toString('base64'), {
          query: { appId: 'app1', compression: 'gzip' },
        }),
        /not valid gzip/,
      ],
      [
        'Content-Encoding gzip body is not gzip',
        request(Buffer.from('[]').toString('base64'), {
          isBase64Encoded: true,
          headers: { 'content-encoding': 'gzip' },
        }),
        /not valid gzip/,
      ],
      [
        'compression names an unknown codec',
        request([event(1)], { query: { appId: 'app1', compression: 'zstd' } }),
        /compression="zstd"/,
      ],
    ])('when %s', async (_case, req, message) => {
      const d = deps();
      const { status, message: text } = await httpStatusOf(collect(req, d));
      expect(status).toBe(400);
      expect(text).toMatch(message);
      expect(d.producer.sent).toHaveLength(0);
    });

    it('when every event is invalid, listing each one', async () => {
      const d = deps();
      const { status, message, details } = await httpStatusOf(
        collect(request([{ event_id: 'a' }, { ...event(2), app_id: 'x' }]), d),
      );
      expect(status).toBe(400);
      expect(message).toBe('all 2 events are invalid');
      expect(details).toEqual({
        accepted: 0,
        rejected: [
          { index: 0, event_id: 'a', reason: expect.stringContaining('event_type') },
          { index: 1, event_id: 'e-2', reason: expect.stringContaining('app_id') },
        ],
      });
      expect(d.producer.sent).toHaveLength(0);
    });
  });

  it('answers 403 for an appId that is not registered, before reading the body', async () => {
    const d = deps();
    const { status, message } = await httpStatusOf(
      collect(request('not even json', { query: { appId: 'intruder' } }), d),
    );
    expect(status).toBe(403);
    expect(message).toContain("'intruder'");
  });

  describe('413', () => {
    it('when the body is over 1 MiB', async () => {
      const big = JSON.stringify([event(1, { pad: 'x'.repeat(limits.maxBodyBytes) })]);
      const { status, message } = await httpStatusOf(collect(request(big), deps()));
      expect(status).toBe(413);
      expect(message).toContain(String(limits.maxBodyBytes));
    });
    it('when a base64-encoded body is over 1 MiB', async () => {
      const body = Buffer.alloc(limits.maxBodyBytes + 10, 1).toString('base64');
      expect(
        (
          await httpStatusOf(
            collect(request(body, { isBase64Encoded: true, headers: { 'content-encoding': 'gzip' } }), deps()),
          )
        ).status,
      ).toBe(413);
    });
    it('when a gzip body decompresses over 5 MiB (gzip bomb)', async () => {
      const bomb = gzipSync(Buffer.alloc(limits.maxDecompressedBytes + 1, 0x20));
      expect(bomb.length).toBeLessThan(limits.maxBodyBytes);
      const { status, message } = await httpStatusOf(
        collect(
          request(bomb.toString('base64'), {
            isBase64Encoded: true,
            headers: { 'content-encoding': 'gzip' },
          }),
          deps(),
        ),
      );
      expect(status).toBe(413);
      expect(message).toContain('decompresses');
    });
    it('when a compression=gzip body decompresses over 5 MiB', async () => {
      const bomb = gzipSync(Buffer.alloc(limits.maxDecompressedBytes + 1, 0x20)).toString('base64');
      expect(
        (await httpStatusOf(collect(request(bomb, { query: { appId: 'app1', compression: 'gzip' } }), deps()))).status,
      ).toBe(413);
    });
    it('accepts a gzip body that decompresses to just under the bound', async () => {
      const pad = 'x'.repeat(900_000);
      const batch = Array.from({ length: 5 }, (_, i) => event(i, { pad }));
      const text = JSON.stringify(batch);
      expect(text.length).toBeLessThan(limits.maxDecompressedBytes);
      const body = gzipSync(text).toString('base64');
      const result = await collect(
        request(body, { isBase64Encoded: true, headers: { 'content-encoding': 'gzip' } }),
        deps(),
      );
      expect(result.accepted).toBe(5);
    });
  });

  it('answers 415 for an unsupported Content-Encoding', async () => {
    const { status, message } = await httpStatusOf(
      collect(request([event(1)], { headers: { 'content-encoding': 'br' } }), deps()),
    );
    expect(status).toBe(415);
    expect(message).toContain('"br"');
  });

  it('answers 503 with Retry-After when Kafka does not acknowledge', async () => {
    const producer = new RecordingProducer();
    producer.failWith = unavailableError();
    const { status, headers } = await httpStatusOf(collect(request([event(1)]), deps(producer)));
    expect(status).toBe(503);
    expect(headers['retry-after']).toBe('7');
  });

  it('tells the route cache when Kafka refused the write, so a deleted pipeline stops being used', async () => {
    const producer = new RecordingProducer();
    producer.failWith = unavailableError();
    const failed: string[] = [];
    await expect(
      collect(request([event(1)]), { ...deps(producer), routeFailed: (appId) => failed.push(appId) }),
    ).rejects.toThrow();
    expect(failed).toEqual(['app1']);
  });

  it('lets unexpected producer errors through (they become a generic 500 upstream)', async () => {
    const producer = new RecordingProducer();
    producer.failWith = new TypeError('bug');
    await expect(collect(request([event(1)]), deps(producer))).rejects.toThrow(TypeError);
  });
});
