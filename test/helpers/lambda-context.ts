/**
 * A Lambda invocation context as the runtime passes it, for calling a handler export directly:
 * every field Powertools and the handlers read, and a clock of remaining time that tests can set.
 */
import type { Context } from 'aws-lambda';

export function lambdaContext(functionName = 'f', remainingMs = 60_000): Context {
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: 'req-1',
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 's',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => remainingMs,
    done() {},
    fail() {},
    succeed() {},
  };
}
