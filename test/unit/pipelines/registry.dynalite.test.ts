/**
 * The registry's behavioural contract against DynamoDB semantics: DynamoPipelineStore through the
 * unchanged SDK v3 to the local DynamoDB (dynalite in-process, plus its transactions), the table
 * created from resources/pipelines-table.yml itself.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { parse } from 'yaml';
import { DynamoPipelineStore } from '../../../functions/pipelines/registry.ts';
import { startLocalAws, type LocalAws } from '../../../local/aws/index.ts';
import { tempDir } from '../../local/aws/unit/helpers.ts';
import { pipelineStoreContract } from './registry-contract.ts';

const TABLE = 'pipelines-contract';

function createTableInput(): CreateTableCommandInput {
  const resource = parse(readFileSync(join(process.cwd(), 'resources', 'pipelines-table.yml'), 'utf8')) as {
    Properties: Record<string, unknown>;
  };
  // PITR and TTL are separate API calls in DynamoDB (CloudFormation folds them in).
  const { PointInTimeRecoverySpecification: _pitr, TimeToLiveSpecification: _ttl, ...props } = resource.Properties;
  return { ...(props as unknown as CreateTableCommandInput), TableName: TABLE };
}

let dir: ReturnType<typeof tempDir>;
let aws: LocalAws;
let client: DynamoDBClient;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  dir = tempDir();
  aws = await startLocalAws({ port: 0, dataDir: dir.path, dynamodb: { inMemory: true } });
  client = new DynamoDBClient({
    endpoint: aws.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  // A plain DocumentClient (no removeUndefinedValues): the store must not depend on that option.
  doc = DynamoDBDocumentClient.from(client);
  await client.send(new CreateTableCommand(createTableInput()));
});

afterAll(async () => {
  client.destroy();
  await aws.close();
  dir.remove();
});

pipelineStoreContract(
  'DynamoPipelineStore on the local DynamoDB (dynalite)',
  (clock) => new DynamoPipelineStore({ client: doc, tableName: TABLE, now: () => clock.ms }),
);
