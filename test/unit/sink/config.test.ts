import { ConfigError } from '../../../functions/lib/errors.ts';
import { readSinkConfig } from '../../../functions/sink/config.ts';
import { thrownAs } from '../../helpers/thrown.ts';

const base = { FIREHOSE_STREAM_NAME: 'events', DLQ_BUCKET: 'data-bucket' };

function configError(env: Record<string, string>): ConfigError {
  return thrownAs(ConfigError, () => readSinkConfig(env));
}

describe('readSinkConfig', () => {
  it('reads the stream, the dead-letter bucket and the defaults', () => {
    expect(readSinkConfig(base)).toEqual({
      streamName: 'events',
      deadLetterBucket: 'data-bucket',
      deadLetterPrefix: 'errors/sink/',
      safetyMarginMs: 3000,
      retryBaseDelayMs: 100,
      retryMaxDelayMs: 5000,
      requestTimeoutMs: 10000,
    });
  });

  it.each(['FIREHOSE_STREAM_NAME', 'DLQ_BUCKET'])('fails naming %s when it is missing or blank', (name) => {
    expect(configError({ ...base, [name]: '' }).message).toContain(name);
    const without: Record<string, string> = { ...base };
    delete without[name];
    const err = configError(without);
    expect(err.name).toBe('ConfigError');
    expect(err.message).toBe(`${name} is required but not set`);
  });

  it('adds the trailing slash to DLQ_PREFIX and refuses a leading one', () => {
    expect(readSinkConfig({ ...base, DLQ_PREFIX: 'dead/letters' }).deadLetterPrefix).toBe('dead/letters/');
    expect(configError({ ...base, DLQ_PREFIX: '/abs/' }).message).toContain('DLQ_PREFIX');
  });

  it.each([
    ['SINK_SAFETY_MARGIN_MS', '-1'],
    ['SINK_RETRY_BASE_DELAY_MS', '0'],
    ['SINK_RETRY_MAX_DELAY_MS', 'soon'],
    ['FIREHOSE_REQUEST_TIMEOUT_MS', '1.5'],
  ])('fails naming %s for the out-of-range value %s', (name, value) => {
    expect(configError({ ...base, [name]: value }).message).toContain(`${name}='${value}'`);
  });

  it('refuses a backoff cap below the base delay, naming both variables', () => {
    const err = configError({ ...base, SINK_RETRY_BASE_DELAY_MS: '500', SINK_RETRY_MAX_DELAY_MS: '100' });
    expect(err.message).toContain('SINK_RETRY_MAX_DELAY_MS');
    expect(err.message).toContain('SINK_RETRY_BASE_DELAY_MS');
  });
});
