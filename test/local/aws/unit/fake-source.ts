import type {
  CommitOffset,
  KafkaSource,
  KafkaSourceOptions,
  OpenKafkaSource,
  SourceHandlers,
  SourceRecord,
} from '../../../../local/aws/lambda/kafka-source.ts';

/** An in-memory stand-in for the Kafka consumer of a poller. */
export class FakeSource implements KafkaSource {
  readonly options: KafkaSourceOptions;
  readonly handlers: SourceHandlers;
  readonly commits: CommitOffset[][] = [];
  paused = false;
  closed = false;
  failCommits = false;

  constructor(options: KafkaSourceOptions, handlers: SourceHandlers) {
    this.options = options;
    this.handlers = handlers;
  }

  emit(records: SourceRecord[]): void {
    for (const r of records) this.handlers.onRecord(r);
  }

  /** Last committed offset per "<topic>-<partition>". */
  committed(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const batch of this.commits) for (const c of batch) out[`${c.topic}-${c.partition}`] = Number(c.offset);
    return out;
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  async commit(offsets: readonly CommitOffset[]): Promise<void> {
    if (this.failCommits) throw new Error('REBALANCE_IN_PROGRESS');
    this.commits.push([...offsets]);
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

export function fakeSources(): { open: OpenKafkaSource; sources: FakeSource[] } {
  const sources: FakeSource[] = [];
  return {
    sources,
    open: async (options, handlers) => {
      const source = new FakeSource(options, handlers);
      sources.push(source);
      handlers.onAssignment([
        { topic: options.topic, partition: 0 },
        { topic: options.topic, partition: 1 },
      ]);
      return source;
    },
  };
}

export function record(
  topic: string,
  partition: number,
  offset: number,
  value: string,
  extra: Partial<SourceRecord> = {},
): SourceRecord {
  return {
    topic,
    partition,
    offset: BigInt(offset),
    timestamp: 1_767_225_600_000n + BigInt(offset),
    key: Buffer.from(`k${offset}`),
    value: Buffer.from(value),
    headers: [],
    leaderEpoch: 0,
    ...extra,
  };
}
