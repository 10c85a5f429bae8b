/**
 * Faults on demand over HTTP (`/_local/faults/{service}`, `/_local/kafka/brokers/{id}/...`): the
 * unchanged AWS SDK meets them as AWS errors or slow answers; kafkajs (an independent client)
 * sees a stopped broker refuse connections and come back.
 */
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { connect } from 'node:net';
import type { LocalAws } from '../../../../local/aws/index.ts';
import { useLocalAws } from '../../helpers/local-aws.ts';
import { quietKafka } from '../../kafka/integration/helpers.ts';
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';

const credentials = { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local-secret' };

async function control(
  aws: LocalAws,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: any }> {
  const res = await fetch(`${aws.url}${path}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, json: await res.json() };
}

function refuses(address: string): Promise<boolean> {
  const [host, port] = address.split(':');
  return new Promise((resolve) => {
    const socket = connect({ host: host!, port: Number(port) });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('local AWS endpoint: faults on demand', () => {
  let cluster: DevCluster;
  beforeAll(async () => {
    cluster = await startCluster({ brokers: 3, port: 0 });
  });
  const local = useLocalAws(() => ({
    kafka: { brokers: cluster.brokers },
    kafkaBrokers: {
      list: () => cluster.brokerStatus(),
      stop: (id) => cluster.stopBroker(id),
      start: (id) => cluster.restartBroker(id),
      delay: (id, ms) => cluster.delayBroker(id, ms),
    },
  }));
  afterAll(async () => {
    await cluster.close();
  });
  afterEach(async () => {
    await control(local.aws, 'DELETE', '/_local/faults');
  });

  it('fails the chosen DynamoDB operation with an AWS error until the fault is cleared', async () => {
    const db = new DynamoDBClient({ endpoint: local.aws.url, region: 'us-east-1', credentials, maxAttempts: 1 });
    await db.send(
      new CreateTableCommand({
        TableName: 'faulty',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    const set = await control(local.aws, 'POST', '/_local/faults/dynamodb', {
      errorRate: 1,
      errorCode: 'InternalServerError',
      operations: ['ListTables'],
    });
    expect(set.status).toBe(200);
    await expect(db.send(new ListTablesCommand({}))).rejects.toMatchObject({
      name: 'InternalServerError',
      $metadata: { httpStatusCode: 500 },
    });
    expect((await control(local.aws, 'GET', '/_local/faults/dynamodb')).json.stats).toEqual({
      calls: 1,
      failed: 1,
      delayed: 0,
    });
    await control(local.aws, 'DELETE', '/_local/faults/dynamodb');
    expect((await db.send(new ListTablesCommand({}))).TableNames).toEqual(['faulty']);
  });

  it('delays calls by latencyMs and hangs them until cleared', async () => {
    const s3 = new S3Client({
      endpoint: local.aws.url,
      region: 'us-east-1',
      credentials,
      forcePathStyle: true,
      maxAttempts: 1,
    });
    await control(local.aws, 'POST', '/_local/faults/s3', { latencyMs: 300, operations: ['PutObject'] });
    const started = Date.now();
    await s3.send(new PutObjectCommand({ Bucket: 'clickstream-local', Key: 'a/b.txt', Body: 'x' }));
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);

    await control(local.aws, 'POST', '/_local/faults/s3', {
      hang: true,
      errorRate: 1,
      errorCode: 'SlowDown',
      operations: ['PutObject'],
    });
    let settled = false;
    const put = s3
      .send(new PutObjectCommand({ Bucket: 'clickstream-local', Key: 'a/c.txt', Body: 'y' }))
      .finally(() => {
        settled = true;
      });
    await new Promise((r) => setTimeout(r, 200));
    expect(settled).toBe(false);
    // Clearing releases the hung call, which then runs normally.
    await control(local.aws, 'DELETE', '/_local/faults/s3');
    await expect(put).resolves.toBeDefined();
  });

  it('refuses a bad fault with a 400 naming the field', async () => {
    expect(await control(local.aws, 'POST', '/_local/faults/dynamodb', { errorRate: 2 })).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/errorRate/) },
    });
    expect(await control(local.aws, 'POST', '/_local/faults/dynamodb', { errorCode: 'Nope' })).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/errorCode must be one of/) },
    });
    expect(await control(local.aws, 'POST', '/_local/faults/dynamodb', { colour: 'red' })).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/unknown field 'colour'/) },
    });
    expect(await control(local.aws, 'POST', '/_local/faults/sqs', {})).toMatchObject({
      status: 400,
      json: { message: expect.stringMatching(/no faults for service 'sqs'/) },
    });
  });

  it('stops, delays and starts a broker by its node id; kafkajs sees it leave and come back', async () => {
    const listed = (await control(local.aws, 'GET', '/_local/kafka/brokers')).json.brokers;
    expect(listed.map((b: { nodeId: number; up: boolean }) => [b.nodeId, b.up])).toEqual([
      [0, true],
      [1, true],
      [2, true],
    ]);

    const stopped = await control(local.aws, 'POST', '/_local/kafka/brokers/1/stop');
    expect(stopped.json.brokers[1]).toMatchObject({ nodeId: 1, up: false });
    expect(await refuses(cluster.brokers[1]!)).toBe(true);
    const kafka = quietKafka([cluster.brokers[0]!], 'faults-test');
    const admin = kafka.admin();
    await admin.connect();
    try {
      expect((await admin.describeCluster()).brokers.map((b) => b.nodeId).sort()).toEqual([0, 2]);
      await control(local.aws, 'POST', '/_local/kafka/brokers/1/start');
      expect(await refuses(cluster.brokers[1]!)).toBe(false);
      expect((await admin.describeCluster()).brokers.map((b) => b.nodeId).sort()).toEqual([0, 1, 2]);
    } finally {
      await admin.disconnect();
    }

    expect(
      (await control(local.aws, 'POST', '/_local/kafka/brokers/2/delay', { ms: 250 })).json.brokers[2],
    ).toMatchObject({
      delayMs: 250,
    });
    expect(await control(local.aws, 'POST', '/_local/kafka/brokers/2/delay', { ms: -1 })).toMatchObject({
      status: 400,
    });
    await control(local.aws, 'POST', '/_local/kafka/brokers/2/delay', { ms: 0 });
    expect(await control(local.aws, 'POST', '/_local/kafka/brokers/7/stop')).toMatchObject({
      status: 404,
      json: { message: expect.stringMatching(/node ids: 0, 1, 2/) },
    });
  });
});
