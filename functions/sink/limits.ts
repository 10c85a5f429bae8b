/**
 * Amazon Data Firehose PutRecordBatch quotas (sizes before base64 encoding):
 * at most 500 records and 4 MiB per call, each record at most 1,000 KiB.
 * https://docs.aws.amazon.com/firehose/latest/APIReference/API_PutRecordBatch.html
 * The sink's records include their trailing newline in these sizes.
 */
export const firehoseLimits = {
  maxRecordsPerCall: 500,
  maxBytesPerCall: 4 * 1024 * 1024,
  maxRecordBytes: 1000 * 1024,
} as const;
