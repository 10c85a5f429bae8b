import {
  effectiveErrorPrefix,
  effectivePrefix,
  formatTimestamp,
  objectName,
  parsePrefix,
  parseTimePattern,
  PrefixError,
  renderPrefix,
} from '../../../../local/aws/firehose/prefix.ts';

const T = Date.UTC(2026, 2, 9, 7, 5, 1, 234); // 2026-03-09T07:05:01.234Z

describe('Firehose prefix rendering', () => {
  it('renders partition keys and timestamp namespaces', () => {
    const parts = parsePrefix(
      'events/app_id=!{partitionKeyFromQuery:app_id}/dt=!{timestamp:yyyy-MM-dd}/h=!{timestamp:HH}/',
    );
    expect(renderPrefix(parts, { timestamp: T, partitionKeys: { app_id: 'demo' } })).toBe(
      'events/app_id=demo/dt=2026-03-09/h=07/',
    );
  });

  it('formats Java DateTimeFormatter patterns with quoted literals', () => {
    expect(formatTimestamp(parseTimePattern("yyyy'-'MM'-'dd' at 'HH:mm:ss.SSS"), T)).toBe('2026-03-09 at 07:05:01.234');
    expect(formatTimestamp(parseTimePattern('yy/D/h a'), T)).toBe('26/68/7 AM');
    expect(formatTimestamp(parseTimePattern('DDD/hh'), T)).toBe('068/07');
  });

  it('formats in the stream CustomTimeZone', () => {
    expect(formatTimestamp(parseTimePattern('yyyy-MM-dd HH'), T, 'Asia/Tokyo')).toBe('2026-03-09 16');
  });

  it('uses the default yyyy/MM/dd/HH/ prefix when none or a static one is given', () => {
    expect(renderPrefix(effectivePrefix(undefined), { timestamp: T })).toBe('2026/03/09/07/');
    expect(renderPrefix(effectivePrefix('raw/'), { timestamp: T })).toBe('raw/2026/03/09/07/');
  });

  it('appends the error output type and time to a static error prefix', () => {
    expect(
      renderPrefix(effectiveErrorPrefix('errors/'), { timestamp: T, errorOutputType: 'partitioning-failed' }),
    ).toBe('errors/partitioning-failed/2026/03/09/07/');
    expect(
      renderPrefix(effectiveErrorPrefix('e/!{firehose:error-output-type}/'), {
        timestamp: T,
        errorOutputType: 'partitioning-failed',
      }),
    ).toBe('e/partitioning-failed/');
  });

  it('rejects unknown namespaces, bad patterns and missing key values', () => {
    expect(() => parsePrefix('!{nope:x}')).toThrow(PrefixError);
    expect(() => parsePrefix('!{timestamp:yyyy')).toThrow(PrefixError);
    expect(() => parsePrefix('!{timestamp:QQ}')).toThrow(PrefixError);
    expect(() => renderPrefix(parsePrefix('!{partitionKeyFromQuery:a}'), { timestamp: T })).toThrow(PrefixError);
  });

  it('names objects <stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><ext>', () => {
    expect(objectName('events', '1', T, '.gz', 'UTC', '00000000-0000-4000-8000-000000000000')).toBe(
      'events-1-2026-03-09-07-05-01-00000000-0000-4000-8000-000000000000.gz',
    );
  });
});
