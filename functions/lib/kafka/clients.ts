/**
 * Thin factory for the @platformatic/kafka admin client, sharing the connection resolution of the
 * producer: the pipelines workflow uses it (validate cluster, create topic, check drained, delete
 * topic). It returns the library's own object; callers own it and must `close()` it.
 */
import { Admin } from '@platformatic/kafka';
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
