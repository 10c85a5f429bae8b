/**
 * Executions do not survive a stop of the local stack (the local Step Functions marks running
 * ones ABORTED). A pipeline whose workflow was cut off would stay CREATING or DELETING forever,
 * so at start such pipelines are marked FAILED with a reason that says what to do; DELETE then
 * runs the teardown, which removes whatever the interrupted run had created.
 *
 * This works on the registry table as an operator would, with the DynamoDB API and the item
 * layout the table's CloudFormation fragment documents (resources/pipelines-table.yml: pipeline
 * items carry `listPk`, `status`, `executionArn`), not through the product's registry code. Only
 * the pipeline item changes: the app routes of a CREATING or DELETING pipeline are already
 * inactive, as they are for a FAILED one.
 */
import {
  DynamoDBClient,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  ConditionalCheckFailedException,
} from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';

interface InterruptedPipeline {
  pk: AttributeValue;
  id: string;
  projectId: string;
  status: 'CREATING' | 'DELETING';
  executionArn: string | undefined;
}

async function pipelinesInFlight(db: DynamoDBClient, tableName: string): Promise<InterruptedPipeline[]> {
  const found: InterruptedPipeline[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'attribute_exists(listPk) AND #status IN (:creating, :deleting)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':creating': { S: 'CREATING' }, ':deleting': { S: 'DELETING' } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    for (const item of page.Items ?? []) {
      if (!item.pk) continue;
      found.push({
        pk: item.pk,
        id: item.id?.S ?? '',
        projectId: item.projectId?.S ?? '',
        status: item.status?.S === 'DELETING' ? 'DELETING' : 'CREATING',
        executionArn: item.executionArn?.S,
      });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return found;
}

export async function failInterruptedPipelines(tableName: string, say: (line: string) => void): Promise<number> {
  const db = new DynamoDBClient({});
  const sfn = new SFNClient({});
  let failed = 0;
  try {
    for (const pipeline of await pipelinesInFlight(db, tableName)) {
      const status = pipeline.executionArn
        ? await sfn.send(new DescribeExecutionCommand({ executionArn: pipeline.executionArn })).then(
            (e) => e.status,
            () => undefined,
          )
        : undefined;
      if (status === 'RUNNING') continue;
      const action = pipeline.status === 'CREATING' ? 'created' : 'deleted';
      const reason = `interrupted: the local stack stopped while this pipeline was being ${action} (workflow ${status ?? 'not found'}); DELETE /pipelines/${pipeline.id} removes what it created`;
      try {
        await db.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: pipeline.pk },
            UpdateExpression: 'SET #status = :failed, failureReason = :reason, updatedAt = :now',
            ConditionExpression: '#status = :current',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':failed': { S: 'FAILED' },
              ':reason': { S: reason },
              ':now': { S: new Date().toISOString() },
              ':current': { S: pipeline.status },
            },
          }),
        );
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) continue; // it moved on meanwhile
        throw error;
      }
      say(`pipeline ${pipeline.id} (${pipeline.projectId}) was interrupted while being ${action}: marked FAILED`);
      failed++;
    }
  } finally {
    db.destroy();
    sfn.destroy();
  }
  return failed;
}
