/**
 * Committed consumer-group offsets (what Kafka keeps in __consumer_offsets).
 *
 * Kept apart from group membership on purpose: offsets outlive members, generations and even
 * broker restarts (when a data dir is set), which is what lets a restarted consumer resume.
 */

export interface CommittedOffset {
  readonly offset: number;
  readonly leaderEpoch: number;
  readonly metadata: string | null;
}

export interface OffsetRecord extends CommittedOffset {
  readonly group: string;
  readonly topic: string;
  readonly partition: number;
}

export class OffsetStore {
  private readonly byGroup = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  /** Receives every commit; set when a data dir persists offsets. */
  sink: ((record: OffsetRecord) => void) | null = null;

  commit(record: OffsetRecord): void {
    this.restore(record);
    this.sink?.(record);
  }

  /** Applies a commit without forwarding it to the sink (startup replay). */
  restore(record: OffsetRecord): void {
    let topics = this.byGroup.get(record.group);
    if (topics === undefined) {
      topics = new Map();
      this.byGroup.set(record.group, topics);
    }
    let partitions = topics.get(record.topic);
    if (partitions === undefined) {
      partitions = new Map();
      topics.set(record.topic, partitions);
    }
    partitions.set(record.partition, {
      offset: record.offset,
      leaderEpoch: record.leaderEpoch,
      metadata: record.metadata,
    });
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.byGroup.get(group)?.get(topic)?.get(partition);
  }

  /** Every committed partition of a group, by topic (OffsetFetch with a null topic list). */
  topicsOf(group: string): ReadonlyMap<string, ReadonlyMap<number, CommittedOffset>> {
    return this.byGroup.get(group) ?? new Map();
  }

  groupIds(): string[] {
    return [...this.byGroup.keys()];
  }

  /** Drops the offsets of a deleted topic from every group, as Kafka does. */
  deleteTopic(topic: string): void {
    for (const topics of this.byGroup.values()) topics.delete(topic);
  }

  /** Every stored commit (used to compact the offsets file). */
  *entries(): Generator<OffsetRecord> {
    for (const [group, topics] of this.byGroup) {
      for (const [topic, partitions] of topics) {
        for (const [partition, c] of partitions) yield { group, topic, partition, ...c };
      }
    }
  }
}
