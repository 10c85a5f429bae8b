import type { Context } from 'aws-lambda';
import { ConfigError } from '../../../../functions/lib/errors.ts';
import { logger } from '../../../../functions/lib/logger.ts';
import { ClusterValidationError } from '../../../../functions/pipelines/tasks/errors.ts';
import { registryStore, taskHandler } from '../../../../functions/pipelines/tasks/lambda.ts';

const context = {
  functionName: 'clickstream-pipeline-test-validateCluster', functionVersion: '$LATEST', invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:x',
  memoryLimitInMB: '512', awsRequestId: 'req-1', logGroupName: '/aws/lambda/x', logStreamName: 's', callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000, done() {}, fail() {}, succeed() {},
} as unknown as Context;

describe('task Lambda handlers', () => {
  beforeAll(() => logger.setLogLevel('SILENT'));

  it('return the core\'s plain object as the task result', async () => {
    const handler = taskHandler('Echo', async (input: { pipelineId: string }) => ({ pipelineId: input.pipelineId, state: 'ACTIVE' }));
    await expect(handler({ pipelineId: 'p-1' }, context)).resolves.toEqual({ pipelineId: 'p-1', state: 'ACTIVE' });
  });

  it('rethrow the core\'s error unchanged, so its name is the errorType the ASL matches', async () => {
    const error = new ClusterValidationError('MSK cluster x', ['a', 'b']);
    const handler = taskHandler('ValidateCluster', async () => { throw error; });
    await expect(handler({ pipelineId: 'p-1' }, context)).rejects.toBe(error);
    expect(error.name).toBe('ClusterValidationError');
  });

  it('fail with the name of a missing variable when the registry is not configured', () => {
    expect(() => registryStore({})).toThrow(new ConfigError('PIPELINES_TABLE is required but not set'));
  });
});
