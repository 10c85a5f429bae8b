/**
 * A @platformatic/kafka group consumer over the product's connection resolution (TLS, SCRAM, IAM),
 * for tests that read back what the product produced. The product itself never consumes: the
 * event source mapping (Lambda, or the local poller on its own client) does.
 */
import { Consumer, type ConsumeBaseOptions, type GroupOptions } from '@platformatic/kafka';
import { resolveConnectionOptions, type ClusterConnection } from '../../functions/lib/kafka/index.ts';

export interface TestConsumerOptions {
  /** Group and fetch settings (session timeout, deserializers, autocommit, ...). */
  consumer?: Partial<GroupOptions> & ConsumeBaseOptions<Buffer, Buffer, Buffer, Buffer>;
}

/** A group consumer of Buffers; call `consume({ topics })` on it and `close()` it when done. */
export async function createConsumer(
  conn: ClusterConnection,
  groupId: string,
  options: TestConsumerOptions = {},
): Promise<Consumer<Buffer, Buffer, Buffer, Buffer>> {
  const connection = await resolveConnectionOptions(conn, {});
  return new Consumer<Buffer, Buffer, Buffer, Buffer>({
    clientId: 'clickstream-pipeline-test',
    connectTimeout: 10_000,
    requestTimeout: 10_000,
    timeout: 10_000,
    retries: 3,
    ...connection,
    ...options.consumer,
    groupId,
  });
}
