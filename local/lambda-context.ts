/**
 * The Lambda `context` object the local stack hands to handlers (gateway calls, Invoke, event
 * source mapping pollers): the fields the runtime sets, and a remaining time that counts down
 * from the function's timeout on the given clock.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

export interface LambdaContextOptions {
  functionName: string;
  functionArn: string;
  timeoutMs: number;
  memoryMb?: number;
  /** Default Date.now; pollers pass their (test-controllable) clock. */
  now?: () => number;
  logStreamSuffix?: string;
}

export function createLambdaContext(options: LambdaContextOptions): Context {
  const now = options.now ?? Date.now;
  const deadline = now() + options.timeoutMs;
  const requestId = randomUUID();
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: options.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: options.functionArn,
    memoryLimitInMB: String(options.memoryMb ?? 1024),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${options.functionName}`,
    logStreamName: `local/[$LATEST]${(options.logStreamSuffix ?? requestId).replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
