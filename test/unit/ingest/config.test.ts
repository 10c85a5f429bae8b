/**
 * The ingest's environment, read once per cold start: the static allowlist route, the pipelines
 * registry, or both; every bad or missing variable named in the error.
 */
import { readIngestConfig } from '../../../functions/ingest/config.ts';

describe('readIngestConfig', () => {
  it.each([
    [
      'reads the topic, the allowed apps and the timeouts',
      { INGEST_TOPIC: 't', ALLOWED_APP_IDS: 'a, b', KAFKA_ACK_TIMEOUT_MS: '2000' },
      {
        topic: 't',
        allowedAppIds: new Set(['a', 'b']),
        ackTimeoutMs: 2000,
        retryAfterSeconds: 5,
        origins: undefined,
        maxProducers: 16,
        routeMaxAgeMs: 30_000,
      },
    ],
    [
      'keeps the allowlist as a static route next to the registry',
      { PIPELINES_TABLE: 'registry', ALLOWED_APP_IDS: 'demo-app', INGEST_TOPIC: 'clickstream' },
      { pipelinesTable: 'registry', topic: 'clickstream', allowedAppIds: new Set(['demo-app']) },
    ],
  ])('%s', (_name, env, expected) => {
    expect(readIngestConfig(env)).toMatchObject(expected);
  });
  it('lets ROUTE_MAX_AGE_MS lower the route cache age but never raise it past the teardown fence', () => {
    expect(readIngestConfig({ PIPELINES_TABLE: 'p', ROUTE_MAX_AGE_MS: '5600' }).routeMaxAgeMs).toBe(5600);
    expect(() => readIngestConfig({ PIPELINES_TABLE: 'p', ROUTE_MAX_AGE_MS: '31000' })).toThrow(
      /ROUTE_MAX_AGE_MS='31000' must be an integer between 1 and 30000/,
    );
  });
  it.each([
    [{ ALLOWED_APP_IDS: 'a' }, /INGEST_TOPIC is required/],
    [{ INGEST_TOPIC: 't' }, /ALLOWED_APP_IDS is required/],
    [{ INGEST_TOPIC: 't', ALLOWED_APP_IDS: 'a', KAFKA_ACK_TIMEOUT_MS: 'soon' }, /KAFKA_ACK_TIMEOUT_MS='soon'/],
    [
      { INGEST_TOPIC: 't', ALLOWED_APP_IDS: 'a', CORS_ALLOWED_ORIGINS: 'shop.example.com' },
      /CORS_ALLOWED_ORIGINS: 'shop.example.com' needs a scheme/,
    ],
  ])('fails naming the variable for %j', (env, message) => {
    expect(() => readIngestConfig(env)).toThrow(message);
  });
});

describe('readIngestConfig with the pipelines registry', () => {
  it('accepts PIPELINES_TABLE without a static allowlist', () => {
    const config = readIngestConfig({ PIPELINES_TABLE: 'registry' });
    expect(config.pipelinesTable).toBe('registry');
    expect(config.topic).toBeUndefined();
    expect(config.allowedAppIds.size).toBe(0);
  });

  it('still requires INGEST_TOPIC for an allowlist', () => {
    expect(() => readIngestConfig({ PIPELINES_TABLE: 'registry', ALLOWED_APP_IDS: 'demo-app' })).toThrow(
      /INGEST_TOPIC is required/,
    );
  });

  it('names both ways to route when neither is configured', () => {
    expect(() => readIngestConfig({})).toThrow(/ALLOWED_APP_IDS is required.*PIPELINES_TABLE/);
  });
});
