/**
 * Thin factories for the other @platformatic/kafka clients, sharing the connection resolution of
 * the producer: the pipelines workflow uses the admin client (validate cluster, create topic), the
 * local stack and tests use consumers. They return the library's own objects; callers own them
 * and must `close()` them.
 */
import { Admin, Consumer, type ConsumeBaseOptions, type GroupOptions } from '@platformatic/kafka';
import type { ClusterConnection } from './config.ts';
import { resolveConnectionOptions, type KafkaDeps } from './client-options.ts';

export interface ClientFactoryOptions extends KafkaDeps {
  /** Default `clickstream-pipeline`. */
  clientId?: string;
  /** Connect and request timeout in ms. Default 10000. */
  timeoutMs?: number;
  /** Retries per request. Default 3. */
  retries?: number;
}

function baseOptions(options: ClientFactoryOptions) {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    clientId: options.clientId ?? 'clickstream-pipeline',
    connectTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    timeout: timeoutMs,
    retries: options.retries ?? 3,
    retryDelay: (_client: unknown, _operation: string, attempt: number) =>
      Math.round(Math.random() * Math.min(2000, 100 * 2 ** attempt)),
  };
}

/** An admin client for the cluster (topics, configs, groups). */
export async function createAdmin(conn: ClusterConnection, options: ClientFactoryOptions = {}): Promise<Admin> {
  const connection = await resolveConnectionOptions(conn, options);
  return new Admin({ ...baseOptions(options), ...connection });
}

export interface ConsumerFactoryOptions<Key, Value, HeaderKey, HeaderValue> extends ClientFactoryOptions {
  /** Group and fetch settings (session timeout, deserializers, autocommit, ...). */
  consumer?: Partial<GroupOptions> & ConsumeBaseOptions<Key, Value, HeaderKey, HeaderValue>;
}

/** A group consumer; call `consume({ topics })` on it. Keys/values are Buffers unless deserializers are given. */
export async function createConsumer<Key = Buffer, Value = Buffer, HeaderKey = Buffer, HeaderValue = Buffer>(
  conn: ClusterConnection,
  groupId: string,
  options: ConsumerFactoryOptions<Key, Value, HeaderKey, HeaderValue> = {},
): Promise<Consumer<Key, Value, HeaderKey, HeaderValue>> {
  const connection = await resolveConnectionOptions(conn, options);
  return new Consumer<Key, Value, HeaderKey, HeaderValue>({
    ...baseOptions(options),
    ...connection,
    ...options.consumer,
    groupId,
  });
}
