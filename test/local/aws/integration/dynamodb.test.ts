/**
 * The local DynamoDB (dynalite in-process, plus transactions) through the unchanged SDK v3
 * clients: the operations the pipelines registry uses, persistence across a restart.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  IdempotentParameterMismatchException,
  TransactionCanceledException,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { useLocalAws } from '../../helpers/local-aws.ts';

const TABLE = 'pipelines-local';

describe('local DynamoDB', () => {
  const local = useLocalAws();
  let client: DynamoDBClient;
  let doc: DynamoDBDocumentClient;

  const connect = () => {
    client = local.client(DynamoDBClient);
    doc = DynamoDBDocumentClient.from(client);
  };

  beforeAll(async () => {
    connect();
    const created = await client.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'gsi1pk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [{ AttributeName: 'gsi1pk', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      }),
    );
    expect(created.TableDescription?.TableArn).toBe(`arn:aws:dynamodb:us-east-1:000000000000:table/${TABLE}`);
  });

  it('creates a table that becomes ACTIVE and serves put, conditional put, get, update, query, scan and delete', async () => {
    // As on AWS, a new table is CREATING at first: wait as a real client does (the SDK's waiter polls
    // DescribeTable until ACTIVE), then check the status it reports.
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: TABLE });
    const table = await client.send(new DescribeTableCommand({ TableName: TABLE }));
    expect(table.Table?.TableStatus).toBe('ACTIVE');

    await doc.send(
      new PutCommand({
        TableName: TABLE,
        Item: { pk: 'PIPELINE#p1', sk: 'META', gsi1pk: 'PROJECT#shop', status: 'CREATING', version: 1 },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await expect(
      doc.send(
        new PutCommand({
          TableName: TABLE,
          Item: { pk: 'PIPELINE#p1', sk: 'META' },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    const updated = await doc.send(
      new UpdateCommand({
        TableName: TABLE,
        Key: { pk: 'PIPELINE#p1', sk: 'META' },
        UpdateExpression: 'SET #s = :active, version = version + :one',
        ConditionExpression: '#s = :creating',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':active': 'ACTIVE', ':creating': 'CREATING', ':one': 1 },
        ReturnValues: 'ALL_NEW',
      }),
    );
    expect(updated.Attributes).toMatchObject({ status: 'ACTIVE', version: 2 });
    expect(
      (await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'PIPELINE#p1', sk: 'META' } }))).Item?.status,
    ).toBe('ACTIVE');
    const byProject = await doc.send(
      new QueryCommand({
        TableName: TABLE,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :p',
        ExpressionAttributeValues: { ':p': 'PROJECT#shop' },
      }),
    );
    expect(byProject.Items?.map((i) => i.pk)).toEqual(['PIPELINE#p1']);
    expect((await doc.send(new ScanCommand({ TableName: TABLE }))).Count).toBe(1);
    await doc.send(new DeleteCommand({ TableName: TABLE, Key: { pk: 'PIPELINE#p1', sk: 'META' } }));
    expect(
      (await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'PIPELINE#p1', sk: 'META' } }))).Item,
    ).toBeUndefined();
  });

  /** The registry's create transaction: a new pipeline item and the project lock it takes. */
  const claimShop = (pipelineId: string, lockOptions: { ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' } = {}) => [
    {
      Put: {
        TableName: TABLE,
        Item: { pk: `PIPELINE#${pipelineId}`, sk: 'META', status: 'CREATING' },
        ConditionExpression: 'attribute_not_exists(pk)',
      },
    },
    {
      Put: {
        TableName: TABLE,
        Item: { pk: 'PROJECT#shop', sk: 'LOCK', pipelineId },
        ConditionExpression: 'attribute_not_exists(pk)',
        ...lockOptions,
      },
    },
  ];

  it('applies TransactWriteItems atomically and cancels all of it when one condition fails', async () => {
    await doc.send(new TransactWriteCommand({ TransactItems: claimShop('p2') }));
    expect(
      (await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'PROJECT#shop', sk: 'LOCK' } }))).Item?.pipelineId,
    ).toBe('p2');

    const attempt = doc.send(
      new TransactWriteCommand({
        TransactItems: [
          ...claimShop('p3', { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }),
          {
            ConditionCheck: {
              TableName: TABLE,
              Key: { pk: 'PIPELINE#p2', sk: 'META' },
              ConditionExpression: '#s = :c',
              ExpressionAttributeNames: { '#s': 'status' },
              ExpressionAttributeValues: { ':c': 'CREATING' },
            },
          },
        ],
      }),
    );
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const cancelled = error as TransactionCanceledException;
    expect(cancelled.message).toBe(
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, ConditionalCheckFailed, None]',
    );
    expect(cancelled.CancellationReasons?.map((r) => r.Code)).toEqual(['None', 'ConditionalCheckFailed', 'None']);
    expect(cancelled.CancellationReasons?.[1]?.Message).toBe('The conditional request failed');
    expect(cancelled.CancellationReasons?.[1]?.Item).toEqual({
      pk: { S: 'PROJECT#shop' },
      sk: { S: 'LOCK' },
      pipelineId: { S: 'p2' },
    });
    // Nothing of the cancelled transaction was written.
    expect(
      (await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'PIPELINE#p3', sk: 'META' } }))).Item,
    ).toBeUndefined();

    // Update and Delete in one transaction, then read both with TransactGetItems.
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: TABLE,
              Key: { pk: 'PIPELINE#p2', sk: 'META' },
              UpdateExpression: 'SET #s = :d',
              ConditionExpression: '#s = :c',
              ExpressionAttributeNames: { '#s': 'status' },
              ExpressionAttributeValues: { ':d': 'DELETED', ':c': 'CREATING' },
            },
          },
          {
            Delete: {
              TableName: TABLE,
              Key: { pk: 'PROJECT#shop', sk: 'LOCK' },
              ConditionExpression: 'pipelineId = :p',
              ExpressionAttributeValues: { ':p': 'p2' },
            },
          },
        ],
      }),
    );
    const read = await doc.send(
      new TransactGetCommand({
        TransactItems: [
          { Get: { TableName: TABLE, Key: { pk: 'PIPELINE#p2', sk: 'META' } } },
          { Get: { TableName: TABLE, Key: { pk: 'PROJECT#shop', sk: 'LOCK' } } },
        ],
      }),
    );
    expect(read.Responses?.map((r) => r.Item?.status ?? null)).toEqual(['DELETED', null]);
  });

  it('refuses two operations on one item, and honours ClientRequestToken idempotency', async () => {
    await expect(
      doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: TABLE, Item: { pk: 'X', sk: '1' } } },
            { Delete: { TableName: TABLE, Key: { pk: 'X', sk: '1' } } },
          ],
        }),
      ),
    ).rejects.toThrow('Transaction request cannot include multiple operations on one item');

    const put = (value: number) =>
      new TransactWriteCommand({
        ClientRequestToken: 'token-1',
        TransactItems: [
          {
            Update: {
              TableName: TABLE,
              Key: { pk: 'COUNTER', sk: 'C' },
              UpdateExpression: 'ADD n :v',
              ExpressionAttributeValues: { ':v': value },
            },
          },
        ],
      });
    await doc.send(put(1));
    await doc.send(put(1)); // the same request again: not applied twice
    expect((await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'COUNTER', sk: 'C' } }))).Item?.n).toBe(1);
    await expect(doc.send(put(5))).rejects.toBeInstanceOf(IdempotentParameterMismatchException);
  });

  it('keeps tables and items across a restart', async () => {
    await doc.send(new PutCommand({ TableName: TABLE, Item: { pk: 'KEEP', sk: 'ME', n: 7 } }));
    client.destroy();
    await local.restart();
    connect();
    expect((await doc.send(new GetCommand({ TableName: TABLE, Key: { pk: 'KEEP', sk: 'ME' } }))).Item?.n).toBe(7);
  });
});
