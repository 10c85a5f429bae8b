/**
 * The pipelines table as `resources/pipelines-table.yml` declares it, on the local DynamoDB
 * (dynalite, in memory) of a local AWS endpoint started for the test.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { parse } from 'yaml';
import { startLocalAws } from '../../local/aws/index.ts';

export interface LocalPipelinesTable {
  client: DynamoDBClient;
  /** Destroys the client, stops the endpoint and removes its directory. */
  close(): Promise<void>;
}

export async function startLocalPipelinesTable(tableName: string): Promise<LocalPipelinesTable> {
  const dir = mkdtempSync(join(tmpdir(), 'local-aws-'));
  const aws = await startLocalAws({ port: 0, dataDir: dir, dynamodb: { inMemory: true } });
  const client = new DynamoDBClient({
    endpoint: aws.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const resource = parse(readFileSync(join(process.cwd(), 'resources', 'pipelines-table.yml'), 'utf8')) as {
    Properties: Record<string, unknown>;
  };
  // PITR and TTL are separate API calls in DynamoDB (CloudFormation folds them in).
  const { PointInTimeRecoverySpecification: _pitr, TimeToLiveSpecification: _ttl, ...props } = resource.Properties;
  await client.send(new CreateTableCommand({ ...(props as unknown as CreateTableCommandInput), TableName: tableName }));
  // A new table is CREATING at first (as on AWS): wait for ACTIVE before the tests use it.
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: tableName });
  return {
    client,
    close: async () => {
      client.destroy();
      await aws.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
