/**
 * Executions do not survive a stop of the local stack (the local Step Functions marks running
 * ones ABORTED). A pipeline whose workflow was cut off would stay CREATING or DELETING forever,
 * so at start such pipelines are marked FAILED with a reason that says what to do; DELETE then
 * runs the teardown, which removes whatever the interrupted run had created.
 */
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { createDocumentClient, DynamoPipelineStore } from '../functions/pipelines/registry.ts';

export async function failInterruptedPipelines(tableName: string, say: (line: string) => void): Promise<number> {
  const store = new DynamoPipelineStore({ client: createDocumentClient(), tableName });
  const sfn = new SFNClient({});
  let failed = 0;
  try {
    for (const pipeline of await store.list()) {
      if (pipeline.status !== 'CREATING' && pipeline.status !== 'DELETING') continue;
      const status = pipeline.executionArn
        ? await sfn.send(new DescribeExecutionCommand({ executionArn: pipeline.executionArn })).then(
            (e) => e.status,
            () => undefined,
          )
        : undefined;
      if (status === 'RUNNING') continue;
      const action = pipeline.status === 'CREATING' ? 'created' : 'deleted';
      await store.transition(pipeline.id, 'FAILED', {
        failureReason: `interrupted: the local stack stopped while this pipeline was being ${action} (workflow ${status ?? 'not found'}); DELETE /pipelines/${pipeline.id} removes what it created`,
      });
      say(`pipeline ${pipeline.id} (${pipeline.projectId}) was interrupted while being ${action}: marked FAILED`);
      failed++;
    }
  } finally {
    sfn.destroy();
  }
  return failed;
}
