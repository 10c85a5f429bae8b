/**
 * Partial batch response of a Kafka event source mapping with `ReportBatchItemFailures`.
 *
 * For Kafka the item identifier is an object, not a string: `partition` is the key of the
 * event's `records` map (`"<topic>-<partition>"`) and `offset` the record to resume from.
 * Lambda commits everything before the reported offset of that partition and redelivers from
 * it; an empty list means the whole batch succeeded. This is the shape AWS's own Powertools
 * (Python batch utility, `EventType.Kafka`) and middy's event-batch-response emit, per
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-retry-configurations.html
 * An identifier with an unknown key name makes Lambda treat the batch as a complete failure.
 */
export interface KafkaItemIdentifier {
  partition: string;
  offset: number;
}

export interface KafkaBatchResponse {
  batchItemFailures: { itemIdentifier: KafkaItemIdentifier }[];
}

export function batchResponse(failures: readonly KafkaItemIdentifier[]): KafkaBatchResponse {
  return {
    batchItemFailures: failures.map((f) => ({
      itemIdentifier: { partition: f.partition, offset: f.offset },
    })),
  };
}
