/**
 * The one rule for a pipeline's topic name: the strictest of the three systems that use it, so a
 * name accepted by POST /pipelines is never refused later by one of them (after the topic exists).
 *
 * - Kafka: 1-249 of `[a-zA-Z0-9._-]`, not `.` or `..`.
 * - Lambda event source mappings (`Topics` of CreateEventSourceMapping): `^[^.]([a-zA-Z0-9\-_.]+)`,
 *   1-249 long, i.e. at least 2 characters and no leading `.`.
 * - MSK Connect: the connector's `topics` is a Kafka name; its own internal topics are
 *   `__amazon_msk_connect_*`, and Kafka's are `__consumer_offsets`, `__transaction_state`: a
 *   leading `__` is reserved for them (the connector role may write those topics).
 */
export const TOPIC_NAME = /^[a-zA-Z0-9_-][a-zA-Z0-9._-]{1,248}$/;

/** Why a topic name is refused (one sentence), or undefined when every system accepts it. */
export function topicNameProblem(name: string): string | undefined {
  if (!TOPIC_NAME.test(name)) {
    return 'must be a topic name every sink accepts: 2-249 of letters, digits, . _ and -, not starting with . (Kafka and Lambda event source mapping rules)';
  }
  if (name.startsWith('__')) return "must not start with __ (reserved for Kafka's and MSK Connect's internal topics)";
  return undefined;
}
