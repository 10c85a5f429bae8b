/**
 * The registry's behavioural contract against DynamoDB semantics: DynamoPipelineStore through the
 * unchanged SDK v3 to the local DynamoDB (dynalite in-process, plus its transactions), the table
 * created from resources/pipelines-table.yml itself.
 */
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoPipelineStore } from '../../../functions/pipelines/registry.ts';
import { startLocalPipelinesTable, type LocalPipelinesTable } from '../../helpers/local-pipelines-table.ts';
import { pipelineStoreContract } from './registry-contract.ts';

const TABLE = 'pipelines-contract';

let table: LocalPipelinesTable;
let doc: DynamoDBDocumentClient;

beforeAll(async () => {
  table = await startLocalPipelinesTable(TABLE);
  // A plain DocumentClient (no removeUndefinedValues): the store must not depend on that option.
  doc = DynamoDBDocumentClient.from(table.client);
});

afterAll(async () => {
  await table?.close();
});

pipelineStoreContract(
  'DynamoPipelineStore on the local DynamoDB (dynalite)',
  (clock) => new DynamoPipelineStore({ client: doc, tableName: TABLE, now: () => clock.ms }),
);
