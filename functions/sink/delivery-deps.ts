/**
 * The sink's delivery dependencies, built from its SinkConfig: the sink handler (handler.ts) and
 * the redrive route (redrive-handler.ts) deliver to Firehose the same way. Firehose gets
 * maxAttempts 1 because the core runs its own backoff within the remaining time; S3 (dead
 * letters) keeps the SDK's standard retries. Endpoints come from AWS_ENDPOINT_URL when set (the
 * local stack), so nothing here knows it.
 */
import { FirehoseClient } from '@aws-sdk/client-firehose';
import { S3Client } from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { awsClientConfig } from '../lib/aws.ts';
import { logger } from '../lib/logger.ts';
import type { SinkConfig } from './config.ts';
import type { DeliverDeps } from './deliver.ts';

/** Everything of DeliverDeps that does not depend on the invocation. */
export type SinkContainer = Omit<DeliverDeps, 'remainingTimeMs'>;

export function deliveryDeps(config: SinkConfig): SinkContainer {
  return {
    firehose: new FirehoseClient(awsClientConfig({ maxAttempts: 1, requestTimeoutMs: config.requestTimeoutMs })),
    s3: new S3Client(awsClientConfig()),
    streamName: config.streamName,
    deadLetterBucket: config.deadLetterBucket,
    deadLetterPrefix: config.deadLetterPrefix,
    sleep: (ms) => sleep(ms),
    random: Math.random,
    now: Date.now,
    log: logger,
    safetyMarginMs: config.safetyMarginMs,
    retryBaseDelayMs: config.retryBaseDelayMs,
    retryMaxDelayMs: config.retryMaxDelayMs,
    requestTimeoutMs: config.requestTimeoutMs,
  };
}
