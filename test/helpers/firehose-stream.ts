import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CreateDeliveryStreamCommand } from '@aws-sdk/client-firehose';

/** The project's delivery stream definition (resources/firehose.yml), with local bucket and role. */
export function streamFromResource(name: string, bucket: string) {
  const doc = parse(readFileSync(join(process.cwd(), 'resources', 'firehose.yml'), 'utf8')) as {
    DeliveryStream: { Properties: { ExtendedS3DestinationConfiguration: Record<string, unknown> } };
  };
  const d = doc.DeliveryStream.Properties.ExtendedS3DestinationConfiguration;
  return new CreateDeliveryStreamCommand({
    DeliveryStreamName: name,
    DeliveryStreamType: 'DirectPut',
    ExtendedS3DestinationConfiguration: {
      BucketARN: `arn:aws:s3:::${bucket}`,
      RoleARN: 'arn:aws:iam::000000000000:role/firehose-local',
      Prefix: d.Prefix as string,
      ErrorOutputPrefix: d.ErrorOutputPrefix as string,
      CompressionFormat: d.CompressionFormat as 'GZIP',
      DynamicPartitioningConfiguration: d.DynamicPartitioningConfiguration as never,
      ProcessingConfiguration: d.ProcessingConfiguration as never,
      // The resource takes them from parameters; 64 MiB is the dynamic-partitioning minimum.
      BufferingHints: { SizeInMBs: 64, IntervalInSeconds: 1 },
    },
  });
}
