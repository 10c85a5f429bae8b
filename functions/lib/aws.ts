import { NodeHttpHandler } from '@smithy/node-http-handler';

/** What every AWS SDK v3 client of the project is built with. */
export interface AwsClientOptions {
  /**
   * Attempts per request including the first, for the SDK's own standard retry strategy.
   * Cores that run their own backoff within the Lambda's remaining time (the sink's Firehose
   * writer) pass 1 so that retries are not multiplied and the time budget stays theirs.
   */
  maxAttempts?: number;
  /** TCP connect timeout, ms. */
  connectionTimeoutMs?: number;
  /** Whole request + response timeout, ms; a breach throws a TimeoutError (retryable). */
  requestTimeoutMs?: number;
}

export const defaultAwsClientOptions = {
  maxAttempts: 3,
  connectionTimeoutMs: 3_000,
  requestTimeoutMs: 10_000,
} as const satisfies Required<AwsClientOptions>;

/**
 * Shared constructor configuration for AWS SDK v3 clients, created once at module scope by each
 * function. Region and credentials come from the Lambda environment; the endpoint too: the SDK
 * honours `AWS_ENDPOINT_URL` (and `AWS_ENDPOINT_URL_<SERVICE>`) by itself, which is how the local
 * stack is reached without any `if (local)` branch here.
 */
export function awsClientConfig(options: AwsClientOptions = {}) {
  const o = { ...defaultAwsClientOptions, ...options };
  return {
    maxAttempts: o.maxAttempts,
    retryMode: 'standard' as const,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: o.connectionTimeoutMs,
      requestTimeout: o.requestTimeoutMs,
      throwOnRequestTimeout: true,
    }),
  };
}

/**
 * A task's port for one AWS service: `{ [key]: new Client(awsClientConfig()) }`, built when the
 * container first needs it.
 */
export function clientPort<K extends string, C>(
  key: K,
  Client: new (config: ReturnType<typeof awsClientConfig>) => C,
): () => Record<K, C> {
  return () => ({ [key]: new Client(awsClientConfig()) }) as Record<K, C>;
}
