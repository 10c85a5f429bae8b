/**
 * failInterruptedPipelines works on the registry table with the DynamoDB API only; the product's
 * own store writes the pipelines and reads the result, so both agree on the table's layout.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parse } from 'yaml';
import { DynamoPipelineStore } from '../../functions/pipelines/registry.ts';
import { failInterruptedPipelines } from '../../local/recover-pipelines.ts';
import { newPipeline } from '../helpers/pipelines.ts';
import { useLocalAws } from './helpers/local-aws.ts';

const TABLE = 'pipelines-recover';

describe('failInterruptedPipelines', () => {
  const local = useLocalAws({ dynamodb: { inMemory: true } }, 'recover-');
  let client: DynamoDBClient;
  let store: DynamoPipelineStore;
  const saved = { ...process.env };

  beforeAll(async () => {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: local.aws.url,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    });
    client = new DynamoDBClient({});
    const table = parse(readFileSync(join(process.cwd(), 'resources', 'pipelines-table.yml'), 'utf8')) as {
      Properties: Record<string, unknown>;
    };
    const { PointInTimeRecoverySpecification: _p, TimeToLiveSpecification: _t, ...props } = table.Properties;
    await client.send(new CreateTableCommand({ ...(props as unknown as CreateTableCommandInput), TableName: TABLE }));
    store = new DynamoPipelineStore({ client: DynamoDBDocumentClient.from(client), tableName: TABLE });
  });

  afterAll(async () => {
    process.env = saved;
    client.destroy();
  });

  it('marks CREATING and DELETING pipelines without a running workflow FAILED and leaves the others', async () => {
    const creating = (await store.create(newPipeline())).pipeline;
    await store.setExecutionArn(
      creating.id,
      'arn:aws:states:us-east-1:000000000000:execution:clickstream-pipeline-dev-create-pipeline:gone',
    );
    const deleting = (await store.create(newPipeline())).pipeline;
    await store.transition(deleting.id, 'ACTIVE');
    await store.transition(deleting.id, 'DELETING');
    const active = (await store.create(newPipeline())).pipeline;
    await store.transition(active.id, 'ACTIVE');
    const said: string[] = [];

    expect(await failInterruptedPipelines(TABLE, (line) => said.push(line))).toBe(2);

    const afterCreate = await store.get(creating.id);
    expect(afterCreate?.status).toBe('FAILED');
    expect(afterCreate?.failureReason).toBe(
      `interrupted: the local stack stopped while this pipeline was being created (workflow not found); DELETE /pipelines/${creating.id} removes what it created`,
    );
    expect((await store.get(deleting.id))?.failureReason).toMatch(/^interrupted: .* being deleted/);
    expect((await store.get(active.id))?.status).toBe('ACTIVE');
    expect(said).toEqual([
      expect.stringMatching(new RegExp(`^pipeline (${creating.id}|${deleting.id}) .* marked FAILED$`)),
      expect.stringMatching(/marked FAILED$/),
    ]);
    // The product can go on from FAILED: DELETE starts the teardown.
    await expect(store.transition(creating.id, 'DELETING')).resolves.toMatchObject({ status: 'DELETING' });
    expect(await failInterruptedPipelines(TABLE, () => undefined)).toBe(1);
  });
});
