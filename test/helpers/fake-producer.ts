import type { IngestRoute, OutgoingRecord, RecordProducer } from '../../functions/ingest/collect.ts';

/** A producer port that stores what it was given (the Kafka side of the ingest core). */
export class RecordingProducer implements RecordProducer {
  readonly sent: { topic: string; route: IngestRoute; records: OutgoingRecord[]; timeoutMs: number }[] = [];
  failWith: Error | undefined;

  async send(route: IngestRoute, records: OutgoingRecord[], opts: { timeoutMs: number }): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.sent.push({ topic: route.topic, route, records, timeoutMs: opts.timeoutMs });
  }

  get records(): OutgoingRecord[] {
    return this.sent.flatMap((s) => s.records);
  }
}

export function unavailableError(): Error {
  const err = new Error('Kafka did not acknowledge within 5000 ms');
  err.name = 'KafkaUnavailableError';
  return err;
}
