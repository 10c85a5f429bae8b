import {
  ConditionalCheckFailedException,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
// The document client's commands (`doc.GetCommand`), apart from the low-level client's errors above.
import * as doc from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createDocumentClient, DynamoPipelineStore } from '../../../functions/pipelines/registry.ts';
import { PIPELINES_BY_CREATED_AT } from '../../../functions/pipelines/registry-items.ts';
import { specFingerprint } from '../../../functions/pipelines/store-rules.ts';
import type { Pipeline } from '../../../functions/pipelines/model.ts';
import { newPipeline } from '../../helpers/pipelines.ts';

const TABLE = 'pipelines-test';
const NOW = Date.parse('2025-03-01T12:00:00.000Z');
const ddb = mockClient(doc.DynamoDBDocumentClient);

function store() {
  return new DynamoPipelineStore({ client: createDocumentClient(), tableName: TABLE, now: () => NOW });
}

/** A TransactionCanceledException as DynamoDB sends it: one reason per item, ALL_OLD items marshalled. */
function cancelled(reasons: { Code: string; Item?: Record<string, unknown> }[]) {
  return new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: reasons as never,
  });
}

/**
 * A transaction of `count` items cancelled because the items at the given indexes failed their
 * condition, each with the item DynamoDB returned (null: none returned); the others say None.
 */
function conditionFailed(count: number, failed: Record<number, Record<string, unknown> | null>) {
  return cancelled(
    Array.from({ length: count }, (_, i) => {
      if (!(i in failed)) return { Code: 'None' };
      const item = failed[i];
      return item === null || item === undefined
        ? { Code: 'ConditionalCheckFailed' }
        : { Code: 'ConditionalCheckFailed', Item: item };
    }),
  );
}

/** The stored form of a pipeline (steps as a map, key attributes). */
function item(p: Pipeline): Record<string, unknown> {
  return {
    ...p,
    steps: Object.fromEntries(p.steps.map((s) => [s.name, s])),
    pk: `PIPELINE#${p.id}`,
    kind: 'pipeline',
    listPk: 'PIPELINE',
    listSk: `${p.createdAt}#${p.id}`,
  };
}

function transactItems(call = 0) {
  return ddb.commandCalls(doc.TransactWriteCommand)[call]!.args[0].input.TransactItems!;
}

beforeEach(() => ddb.reset());

describe('DynamoPipelineStore (DynamoDB requests and error mapping)', () => {
  describe('create', () => {
    it('writes pipeline, project guard, app routes and idempotency key in one transaction, each conditioned on absence', async () => {
      ddb.on(doc.TransactWriteCommand).resolves({});
      const p = newPipeline();
      const { created } = await store().create(p, 'key-1');
      expect(created).toBe(true);
      const items = transactItems();
      expect(items).toHaveLength(1 + 1 + p.appIds.length + 1);
      expect(items[0]!.Put).toMatchObject({
        TableName: TABLE,
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: {
          pk: `PIPELINE#${p.id}`,
          status: 'CREATING',
          listPk: 'PIPELINE',
          listSk: `${p.createdAt}#${p.id}`,
          steps: {},
        },
      });
      expect(items[1]!.Put).toMatchObject({
        ConditionExpression: 'attribute_not_exists(pk)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        Item: { pk: `PROJECT#${p.projectId}`, pipelineId: p.id },
      });
      expect(items[2]!.Put).toMatchObject({
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: { pk: `APP#${p.appIds[0]}`, pipelineId: p.id, topic: 'shop', active: false },
      });
      expect(items[3]!.Put!.Item).toMatchObject({ pk: `APP#${p.appIds[1]}`, active: false });
      expect(items[4]!.Put).toMatchObject({
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
        ExpressionAttributeValues: { ':now': NOW / 1000 },
        Item: {
          pk: 'IDEMPOTENCY#key-1',
          pipelineId: p.id,
          fingerprint: specFingerprint(p),
          expiresAt: NOW / 1000 + 86_400,
        },
      });
    });

    it('writes no idempotency item without a key', async () => {
      ddb.on(doc.TransactWriteCommand).resolves({});
      const p = newPipeline();
      await store().create(p);
      expect(transactItems().map((i) => (i.Put!.Item as { pk: string }).pk)).toEqual([
        `PIPELINE#${p.id}`,
        `PROJECT#${p.projectId}`,
        ...p.appIds.map((a) => `APP#${a}`),
      ]);
    });

    it('maps a failed project guard to ProjectConflictError naming the holder', async () => {
      const p = newPipeline();
      ddb.on(doc.TransactWriteCommand).rejects(conditionFailed(4, { 1: { pipelineId: { S: 'pl-holder' } } }));
      await expect(store().create(p)).rejects.toMatchObject({
        name: 'ProjectConflictError',
        projectId: p.projectId,
        pipelineId: 'pl-holder',
      });
    });

    it('maps failed app routes to AppIdConflictError naming the apps and the holder', async () => {
      const p = newPipeline();
      ddb.on(doc.TransactWriteCommand).rejects(conditionFailed(4, { 3: { pipelineId: { S: 'pl-other' } } }));
      await expect(store().create(p)).rejects.toMatchObject({
        name: 'AppIdConflictError',
        appIds: [p.appIds[1]],
        pipelineId: 'pl-other',
      });
    });

    it('answers a replayed key with the first pipeline (same fingerprint), reading it consistently', async () => {
      const first = newPipeline();
      ddb.on(doc.TransactWriteCommand).rejects(
        conditionFailed(5, {
          1: null,
          4: { pipelineId: { S: first.id }, fingerprint: { S: specFingerprint(first) } },
        }),
      );
      ddb.on(doc.GetCommand, { Key: { pk: `PIPELINE#${first.id}` } }).resolves({ Item: item(first) });
      const replay = await store().create({ ...first, id: 'new-id' }, 'key-1');
      expect(replay).toEqual({ pipeline: first, created: false });
      expect(ddb.commandCalls(doc.GetCommand)[0]!.args[0].input.ConsistentRead).toBe(true);
    });

    it('reads the idempotency item when the cancellation did not return it', async () => {
      const first = newPipeline();
      ddb.on(doc.TransactWriteCommand).rejects(conditionFailed(5, { 4: null }));
      ddb
        .on(doc.GetCommand, { Key: { pk: 'IDEMPOTENCY#key-1' } })
        .resolves({ Item: { pipelineId: first.id, fingerprint: specFingerprint(first) } });
      ddb.on(doc.GetCommand, { Key: { pk: `PIPELINE#${first.id}` } }).resolves({ Item: item(first) });
      await expect(store().create({ ...first, id: 'new-id' }, 'key-1')).resolves.toMatchObject({
        created: false,
        pipeline: { id: first.id },
      });
    });

    it('refuses a key reused for a different request with IdempotencyKeyReuseError', async () => {
      const first = newPipeline();
      ddb
        .on(doc.TransactWriteCommand)
        .rejects(conditionFailed(5, { 4: { pipelineId: { S: first.id }, fingerprint: { S: 'another-request' } } }));
      await expect(store().create(first, 'key-1')).rejects.toMatchObject({
        name: 'IdempotencyKeyReuseError',
        idempotencyKey: 'key-1',
        pipelineId: first.id,
      });
    });

    it('retries a transaction cancelled by a concurrent one (TransactionConflict)', async () => {
      ddb
        .on(doc.TransactWriteCommand)
        .rejectsOnce(cancelled([{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }]))
        .resolves({});
      await expect(store().create(newPipeline())).resolves.toMatchObject({ created: true });
      expect(ddb.commandCalls(doc.TransactWriteCommand)).toHaveLength(2);
    });

    it('lets other DynamoDB errors through unchanged', async () => {
      const throttled = new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: {} });
      ddb.on(doc.TransactWriteCommand).rejects(throttled);
      await expect(store().create(newPipeline())).rejects.toBe(throttled);
    });
  });

  describe('transition', () => {
    it('conditions the update on the statuses allowed to reach the new one and deactivates routes (FAILED)', async () => {
      const p = newPipeline();
      ddb.on(doc.GetCommand).resolves({ Item: item(p) });
      ddb.on(doc.TransactWriteCommand).resolves({});
      await store().transition(p.id, 'FAILED', { failureReason: 'no brokers', executionArn: undefined });
      const [update, ...routes] = transactItems();
      expect(update!.Update).toMatchObject({
        Key: { pk: `PIPELINE#${p.id}` },
        ConditionExpression: 'attribute_exists(pk) AND #status IN (:from0, :from1)',
        ExpressionAttributeValues: {
          ':from0': 'CREATING',
          ':from1': 'DELETING',
          ':to': 'FAILED',
          ':failureReason': 'no brokers',
          ':updatedAt': new Date(NOW).toISOString(),
        },
        UpdateExpression:
          'SET #status = :to, #updatedAt = :updatedAt, #failureReason = :failureReason REMOVE #executionArn',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      });
      expect(routes.map((r) => r.Put)).toEqual(
        p.appIds.map((appId) =>
          expect.objectContaining({
            Item: { pk: `APP#${appId}`, kind: 'app', pipelineId: p.id, topic: 'shop', active: false },
            ConditionExpression: 'attribute_not_exists(pk) OR pipelineId = :id',
          }),
        ),
      );
    });

    it('activates the routes with the recorded topic (ACTIVE)', async () => {
      const p = newPipeline({ resources: { topic: 'made-topic' } });
      ddb.on(doc.GetCommand).resolves({ Item: item(p) });
      ddb.on(doc.TransactWriteCommand).resolves({});
      await store().transition(p.id, 'ACTIVE');
      const [update, ...routes] = transactItems();
      expect(update!.Update!.ExpressionAttributeValues).toMatchObject({ ':from0': 'CREATING' });
      expect(routes.map((r) => r.Put!.Item)).toEqual(
        p.appIds.map((appId) => ({
          pk: `APP#${appId}`,
          kind: 'app',
          pipelineId: p.id,
          topic: 'made-topic',
          active: true,
        })),
      );
    });

    it('removes the routes and the project guard (DELETED)', async () => {
      const p = newPipeline({ status: 'DELETING' });
      ddb.on(doc.GetCommand).resolves({ Item: item(p) });
      ddb.on(doc.TransactWriteCommand).resolves({});
      await store().transition(p.id, 'DELETED');
      const [, ...rest] = transactItems();
      expect(rest.map((r) => r.Delete)).toEqual(
        [...p.appIds.map((a) => `APP#${a}`), `PROJECT#${p.projectId}`].map((pk) =>
          expect.objectContaining({
            Key: { pk },
            ConditionExpression: 'attribute_not_exists(pk) OR pipelineId = :id',
            ExpressionAttributeValues: { ':id': p.id },
          }),
        ),
      );
    });

    it('refuses a transition the current status does not allow without writing', async () => {
      ddb.on(doc.GetCommand).resolves({ Item: item(newPipeline({ status: 'DELETED' })) });
      await expect(store().transition('x', 'DELETING')).rejects.toMatchObject({
        name: 'IllegalTransitionError',
        from: 'DELETED',
        to: 'DELETING',
      });
      expect(ddb.commandCalls(doc.TransactWriteCommand)).toHaveLength(0);
    });

    it('maps a failed status condition to IllegalTransitionError with the status DynamoDB returned', async () => {
      const p = newPipeline();
      ddb.on(doc.GetCommand).resolves({ Item: item(p) });
      ddb.on(doc.TransactWriteCommand).rejects(conditionFailed(3, { 0: { status: { S: 'ACTIVE' } } }));
      await expect(store().transition(p.id, 'FAILED')).rejects.toMatchObject({
        name: 'IllegalTransitionError',
        pipelineId: p.id,
        from: 'ACTIVE',
        to: 'FAILED',
      });
    });

    it('maps a pipeline that is gone to PipelineNotFoundError', async () => {
      ddb.on(doc.GetCommand).resolves({});
      await expect(store().transition('gone', 'ACTIVE')).rejects.toMatchObject({
        name: 'PipelineNotFoundError',
        pipelineId: 'gone',
      });
    });
  });

  describe('updates of an existing pipeline', () => {
    it('records a step as steps.<name> and maps ConditionalCheckFailed to PipelineNotFoundError', async () => {
      ddb
        .on(doc.UpdateCommand)
        .rejects(new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} }));
      const step = { name: 'CreateTopic', status: 'RUNNING' as const, startedAt: '2025-01-01T00:00:00.000Z' };
      await expect(store().recordStep('gone', step)).rejects.toMatchObject({
        name: 'PipelineNotFoundError',
        pipelineId: 'gone',
      });
      expect(ddb.commandCalls(doc.UpdateCommand)[0]!.args[0].input).toMatchObject({
        Key: { pk: 'PIPELINE#gone' },
        UpdateExpression: 'SET #steps.#name = :step, #currentStep = :name, #updatedAt = :updatedAt',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: {
          '#steps': 'steps',
          '#name': 'CreateTopic',
          '#currentStep': 'currentStep',
          '#updatedAt': 'updatedAt',
        },
        ExpressionAttributeValues: { ':step': step, ':name': 'CreateTopic' },
      });
    });

    it('merges only the defined resources', async () => {
      ddb.on(doc.UpdateCommand).resolves({});
      await store().setResources('p', { connectorArn: 'arn:c', mappingUuid: undefined });
      expect(ddb.commandCalls(doc.UpdateCommand)[0]!.args[0].input).toMatchObject({
        UpdateExpression: 'SET #resources.#r0 = :r0, #updatedAt = :updatedAt',
        ExpressionAttributeNames: { '#resources': 'resources', '#r0': 'connectorArn' },
        ExpressionAttributeValues: { ':r0': 'arn:c' },
      });
    });
  });

  describe('reads', () => {
    it('lists through the byCreatedAt index, newest first, following every page', async () => {
      const a = newPipeline();
      const b = newPipeline();
      ddb
        .on(doc.QueryCommand)
        .resolvesOnce({ Items: [item(a)], LastEvaluatedKey: { pk: 'x' } })
        .resolvesOnce({ Items: [item(b)] });
      expect((await store().list()).map((p) => p.id)).toEqual([a.id, b.id]);
      const [first, second] = ddb.commandCalls(doc.QueryCommand).map((c) => c.args[0].input);
      expect(first).toMatchObject({
        IndexName: PIPELINES_BY_CREATED_AT,
        KeyConditionExpression: 'listPk = :p',
        ExpressionAttributeValues: { ':p': 'PIPELINE' },
        ScanIndexForward: false,
      });
      expect(second!.ExclusiveStartKey).toEqual({ pk: 'x' });
    });

    it('resolves a route with one GetItem on APP#<appId>, only when active', async () => {
      ddb
        .on(doc.GetCommand, { Key: { pk: 'APP#on' } })
        .resolves({ Item: { pipelineId: 'p1', topic: 't1', active: true } });
      ddb
        .on(doc.GetCommand, { Key: { pk: 'APP#off' } })
        .resolves({ Item: { pipelineId: 'p2', topic: 't2', active: false } });
      ddb.on(doc.GetCommand, { Key: { pk: 'APP#none' } }).resolves({});
      expect(await store().activeRoute('on')).toEqual({ pipelineId: 'p1', topic: 't1' });
      expect(await store().activeRoute('off')).toBeUndefined();
      expect(await store().activeRoute('none')).toBeUndefined();
      expect(ddb.commandCalls(doc.GetCommand)).toHaveLength(3);
      expect(ddb.commandCalls(doc.GetCommand)[0]!.args[0].input).toMatchObject({
        TableName: TABLE,
        Key: { pk: 'APP#on' },
        ExpressionAttributeNames: expect.objectContaining({ '#c': 'cluster', '#o': 'allowedOrigins' }),
      });
    });

    it('returns steps in start order from the stored map', async () => {
      const p = newPipeline({
        steps: [
          { name: 'B', status: 'RUNNING', startedAt: '2025-01-01T00:00:02.000Z' },
          { name: 'A', status: 'SUCCEEDED', startedAt: '2025-01-01T00:00:01.000Z' },
        ],
      });
      ddb.on(doc.GetCommand).resolves({ Item: item(p) });
      expect((await store().get(p.id))!.steps.map((s) => s.name)).toEqual(['A', 'B']);
    });
  });
});
