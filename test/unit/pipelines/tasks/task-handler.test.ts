import { lambdaContext } from '../../../helpers/lambda-context.ts';
import { ConfigError } from '../../../../functions/lib/errors.ts';
import { ClusterValidationError } from '../../../../functions/pipelines/tasks/errors.ts';

const context = lambdaContext('clickstream-pipeline-test-validateCluster', 30_000);

describe('task Lambda handlers', () => {
  // The Powertools logger reads its level when the module is first imported (and the middleware
  // restores it on every invocation): set it before importing the handler module.
  let taskHandler: typeof import('../../../../functions/pipelines/tasks/lambda.ts').taskHandler;
  let registryStore: typeof import('../../../../functions/pipelines/tasks/lambda.ts').registryStore;
  const saved = process.env.POWERTOOLS_LOG_LEVEL;
  beforeAll(async () => {
    process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
    ({ taskHandler, registryStore } = await import('../../../../functions/pipelines/tasks/lambda.ts'));
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
    else process.env.POWERTOOLS_LOG_LEVEL = saved;
  });

  it("return the core's plain object as the task result", async () => {
    const handler = taskHandler('Echo', async (input: { pipelineId: string }) => ({
      pipelineId: input.pipelineId,
      state: 'ACTIVE',
    }));
    await expect(handler({ pipelineId: 'p-1' }, context)).resolves.toEqual({
      pipelineId: 'p-1',
      state: 'ACTIVE',
    });
  });

  it("rethrow the core's error unchanged, so its name is the errorType the ASL matches", async () => {
    const error = new ClusterValidationError('MSK cluster x', ['a', 'b']);
    const handler = taskHandler('ValidateCluster', async () => {
      throw error;
    });
    await expect(handler({ pipelineId: 'p-1' }, context)).rejects.toBe(error);
    expect(error.name).toBe('ClusterValidationError');
  });

  it('fail with the name of a missing variable when the registry is not configured', () => {
    expect(() => registryStore({})).toThrow(new ConfigError('PIPELINES_TABLE is required but not set'));
  });
});
