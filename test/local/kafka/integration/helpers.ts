/** Shared helpers for the dev broker's integration tests. */
import kafkajs, { type RetryOptions } from 'kafkajs';

/**
 * A kafkajs client of dev brokers with its logging off (the tests assert on what matters) and
 * the retries the test wants (kafkajs's defaults when none are given).
 */
export function quietKafka(brokers: readonly string[], clientId?: string, retry?: RetryOptions): kafkajs.Kafka {
  return new kafkajs.Kafka({
    brokers: [...brokers],
    logLevel: kafkajs.logLevel.NOTHING,
    ...(clientId === undefined ? {} : { clientId }),
    ...(retry === undefined ? {} : { retry }),
  });
}

/** Polls `check` until it returns true, failing with `what` after `timeoutMs`. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
  intervalMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export const MESSAGE_COUNT = 10_000;
export const KEY_COUNT = 500;

/** Keyed messages: key `user-<i mod 500>`, value carrying the sequence number. */
export function keyedMessages(count: number, from = 0): Array<{ key: string; value: string }> {
  return Array.from({ length: count }, (_, j) => {
    const i = from + j;
    return { key: `user-${i % KEY_COUNT}`, value: JSON.stringify({ seq: i, page: `/page/${i % 37}` }) };
  });
}

/** Records what a consumer group received and checks the invariants every flow asserts. */
export class Received {
  readonly byMember = new Map<string, number>();
  readonly positions = new Set<string>();
  readonly seqs = new Set<number>();
  readonly keyPartitions = new Map<string, Set<number>>();
  duplicates = 0;

  add(member: string, partition: number, offset: string | number | bigint, key: string, value: string): void {
    const position = `${partition}:${offset}`;
    if (this.positions.has(position)) this.duplicates++;
    this.positions.add(position);
    this.seqs.add((JSON.parse(value) as { seq: number }).seq);
    this.byMember.set(member, (this.byMember.get(member) ?? 0) + 1);
    let partitions = this.keyPartitions.get(key);
    if (partitions === undefined) {
      partitions = new Set();
      this.keyPartitions.set(key, partitions);
    }
    partitions.add(partition);
  }

  /** True when every key went to exactly one partition (keyed partitioning held end to end). */
  keysStayOnOnePartition(): boolean {
    return [...this.keyPartitions.values()].every((p) => p.size === 1);
  }

  /**
   * What a group of members 'a' and 'b' must have seen together: each of `messages` once, all
   * `keys`, every key on one partition, and work done by both members.
   */
  expectEachOnceByBoth(messages: number, keys: number): void {
    expect(this.duplicates).toBe(0);
    expect(this.seqs.size).toBe(messages);
    expect(this.keyPartitions.size).toBe(keys);
    expect(this.keysStayOnOnePartition()).toBe(true);
    expect([...this.byMember.keys()].sort()).toEqual(['a', 'b']);
  }
}

/**
 * Starts a kafkajs consumer in `groupId` reading `topic` from the beginning into `received`
 * under `member`, with the short session and heartbeat the group tests rebalance within.
 */
export async function startKafkajsMember(
  kafka: kafkajs.Kafka,
  options: { groupId: string; topic: string; member: string; maxWaitTimeInMs: number },
  received: Received,
): Promise<kafkajs.Consumer> {
  const consumer = kafka.consumer({
    groupId: options.groupId,
    sessionTimeout: 6000,
    heartbeatInterval: 300,
    maxWaitTimeInMs: options.maxWaitTimeInMs,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      received.add(options.member, partition, message.offset, message.key!.toString(), message.value!.toString());
    },
  });
  return consumer;
}

/** A @platformatic/kafka ListOffsets request for the latest offset of each of `partitions` of `topic`. */
export function latestOffsetsOf(topic: string, partitions: number) {
  return {
    topics: [
      {
        name: topic,
        partitions: Array.from({ length: partitions }, (_, partitionIndex) => ({ partitionIndex, timestamp: -1n })),
      },
    ],
  };
}

type StartMember = (received: Received, name: string) => Promise<unknown>;

/** Starts two `members` of the group and waits until they consumed `consumed` records and the group's commits total `committed`. */
async function consumeWithTwoMembers(
  startMember: StartMember,
  committedTotal: () => Promise<number>,
  members: [string, string],
  consumed: number,
  committed: number,
): Promise<Received> {
  const received = new Received();
  await Promise.all(members.map((name) => startMember(received, name)));
  await waitFor(() => received.positions.size >= consumed, 'all messages consumed');
  await waitFor(async () => (await committedTotal()) === committed, 'offsets committed');
  return received;
}

/**
 * The group check of both client suites: members 'a' and 'b' of one group together consume each
 * of `messages` once and commit them all (see Received.expectEachOnceByBoth for what "once" holds).
 */
export async function expectGroupConsumesAll(
  startMember: StartMember,
  committedTotal: () => Promise<number>,
  messages: number,
  keys: number,
): Promise<void> {
  const received = await consumeWithTwoMembers(startMember, committedTotal, ['a', 'b'], messages, messages);
  received.expectEachOnceByBoth(messages, keys);
}

/**
 * The resume check of both client suites: two new members 'a2' and 'b2' of the group read only
 * the `more` messages produced after the `committed` ones, once the group's commits reach both.
 */
export async function expectResumeFromCommitted(
  startMember: StartMember,
  committedTotal: () => Promise<number>,
  committed: number,
  more: number,
): Promise<void> {
  const received = await consumeWithTwoMembers(startMember, committedTotal, ['a2', 'b2'], more, committed + more);
  expect(received.positions.size).toBe(more);
  expect(Math.min(...received.seqs)).toBe(committed);
}
