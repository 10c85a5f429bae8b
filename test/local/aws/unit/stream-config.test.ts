import { AwsError } from '../../../../local/aws/errors.ts';
import { compileDestination, validateCreateRequest } from '../../../../local/aws/firehose/stream-config.ts';
import { partitionedDestination } from './helpers.ts';

function errorOf(fn: () => unknown): AwsError {
  try {
    fn();
  } catch (error) {
    if (error instanceof AwsError) return error;
    throw error;
  }
  throw new Error('expected an AwsError');
}

const create = (destination: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  validateCreateRequest({
    DeliveryStreamName: 'events',
    ExtendedS3DestinationConfiguration: destination,
    ...extra,
  });

describe('CreateDeliveryStream validation', () => {
  it('accepts the project stream and fills the described defaults', () => {
    const { destination } = create(partitionedDestination());
    expect(destination.EncryptionConfiguration).toEqual({ NoEncryptionConfig: 'NoEncryption' });
    expect(destination.S3BackupMode).toBe('Disabled');
    const compiled = compileDestination(destination);
    expect(compiled).toMatchObject({
      bucket: 'data-bucket',
      sizeBytes: 64 * 1024 * 1024,
      intervalMs: 60_000,
      compression: 'GZIP',
      extension: '.gz',
      dynamicPartitioning: true,
    });
    expect(compiled.prefixKeys).toEqual(['app_id', 'year', 'month', 'day', 'hour']);
  });

  it('uses 5 MiB / 300 s buffering and no compression by default', () => {
    const compiled = compileDestination(
      create({ RoleARN: 'arn:aws:iam::000000000000:role/r', BucketARN: 'arn:aws:s3:::bucket-a' }).destination,
    );
    expect(compiled).toMatchObject({
      sizeBytes: 5 * 1024 * 1024,
      intervalMs: 300_000,
      compression: 'UNCOMPRESSED',
      extension: '',
    });
  });

  it('reports constraint violations as ValidationException with AWS wording', () => {
    const e = errorOf(() =>
      create({
        RoleARN: 'arn:aws:iam::000000000000:role/r',
        BucketARN: 'arn:aws:s3:::bucket-a',
        BufferingHints: { SizeInMBs: 0, IntervalInSeconds: 901 },
      }),
    );
    expect(e.code).toBe('ValidationException');
    expect(e.message).toMatch(
      /^2 validation errors detected: Value '0' at 'extendedS3DestinationConfiguration.bufferingHints.sizeInMBs' failed to satisfy constraint/,
    );
    expect(errorOf(() => validateCreateRequest({ DeliveryStreamName: 'bad name!' })).code).toBe('ValidationException');
    expect(errorOf(() => create({ BucketARN: 'arn:aws:s3:::bucket-a' })).message).toContain(
      "Value null at 'extendedS3DestinationConfiguration.roleARN'",
    );
  });

  it('refuses what the local endpoint does not implement with InvalidArgumentException', () => {
    const cases: Array<Record<string, unknown>> = [
      { CompressionFormat: 'Snappy' },
      { ProcessingConfiguration: { Enabled: true, Processors: [{ Type: 'Lambda', Parameters: [] }] } },
      { DataFormatConversionConfiguration: { Enabled: true } },
    ];
    for (const extra of cases) {
      const e = errorOf(() =>
        create({ RoleARN: 'arn:aws:iam::000000000000:role/r', BucketARN: 'arn:aws:s3:::bucket-a', ...extra }),
      );
      expect(e.code).toBe('InvalidArgumentException');
    }
    expect(
      errorOf(() => validateCreateRequest({ DeliveryStreamName: 's', DeliveryStreamType: 'KinesisStreamAsSource' }))
        .code,
    ).toBe('InvalidArgumentException');
    expect(
      errorOf(() => validateCreateRequest({ DeliveryStreamName: 's', RedshiftDestinationConfiguration: {} })).code,
    ).toBe('InvalidArgumentException');
  });

  it('enforces the dynamic partitioning rules of the service', () => {
    const rules: Array<[Record<string, unknown>, RegExp]> = [
      [{ BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 } }, /at least 64/],
      [{ ErrorOutputPrefix: undefined }, /ErrorOutputPrefix cannot be null or empty/],
      [{ ErrorOutputPrefix: 'errors/!{timestamp:yyyy}/' }, /must contain !\{firehose:error-output-type\}/],
      [{ Prefix: 'events/!{timestamp:yyyy}/' }, /at least one partitionKeyFromQuery/],
      [
        { Prefix: 'events/!{firehose:error-output-type}/!{partitionKeyFromQuery:app_id}/' },
        /Prefix cannot contain !\{firehose:error-output-type\}/,
      ],
      [{ ProcessingConfiguration: { Enabled: false } }, /requires an enabled MetadataExtraction processor/],
      [
        {
          DynamicPartitioningConfiguration: { Enabled: false },
          BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 60 },
        },
        /dynamic partitioning is not enabled/,
      ],
    ];
    for (const [overrides, message] of rules) {
      const e = errorOf(() => create(partitionedDestination(overrides)));
      expect(e.code).toBe('InvalidArgumentException');
      expect(e.message).toMatch(message);
    }
  });

  it("refuses a MetadataExtraction query jq cannot compile at creation, with jq's message", () => {
    const destination = partitionedDestination();
    (
      destination.ProcessingConfiguration as {
        Processors: Array<{ Parameters: Array<{ ParameterValue: string }> }>;
      }
    ).Processors[0]!.Parameters[0]!.ParameterValue = '{app_id: .app_id';
    const e = errorOf(() => create(destination));
    expect(e.code).toBe('InvalidArgumentException');
    expect(e.message).toMatch(
      /MetadataExtractionQuery '.*' is not a valid jq query: syntax error, unexpected end of file/,
    );
  });
});
