import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  ExecutionAlreadyExists,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { createPipelinesApp, MAX_BODY_BYTES, type PipelinesAppDeps } from '../../../../functions/pipelines/api/app.ts';
import { readPipelinesApiConfig } from '../../../../functions/pipelines/api/config.ts';
import { createSfnWorkflowStarter } from '../../../../functions/pipelines/api/workflows.ts';
import { MemoryPipelineStore } from '../../../helpers/memory-store.ts';
import type { Pipeline, PipelineStore } from '../../../../functions/pipelines/model.ts';
import { parsePipelineRequest } from '../../../../functions/pipelines/schema.ts';
import { fixture } from '../../../helpers/fixtures.ts';
import { mskRequest } from '../../../helpers/pipelines.ts';
import { MemoryLog } from '../../../helpers/silent-log.ts';

const CREATE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:clickstream-pipeline-test-create-pipeline';
const DELETE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:clickstream-pipeline-test-delete-pipeline';
const T0 = Date.parse('2025-03-01T12:00:00.000Z');
const sfn = mockClient(SFNClient);

function executionArn(input: { stateMachineArn?: string; name?: string }) {
  return `${input.stateMachineArn!.replace(':stateMachine:', ':execution:')}:${input.name}`;
}

function setup(over: Partial<PipelinesAppDeps> = {}) {
  const clock = { ms: T0 };
  const store = new MemoryPipelineStore({ now: () => clock.ms });
  const log = new MemoryLog();
  let n = 0;
  const deps: PipelinesAppDeps = {
    store,
    workflows: createSfnWorkflowStarter(
      new SFNClient({ region: 'us-east-1' }),
      { create: CREATE_ARN, delete: DELETE_ARN },
      () => clock.ms,
    ),
    newId: () => `pl-${++n}`,
    now: () => clock.ms,
    log,
    retryAfterSeconds: 30,
    ...over,
  };
  return { clock, store, log, app: createPipelinesApp(() => deps, log) };
}

const createEvent = () => fixture<APIGatewayProxyEventV2>('apigw/pipelines-create.json');
const FIXTURE_ID = fixture<APIGatewayProxyEventV2>('apigw/pipelines-get.json').pathParameters!.id!;

function post(body: unknown, key?: string): APIGatewayProxyEventV2 {
  const event = createEvent();
  const headers = { ...event.headers };
  delete headers['idempotency-key'];
  if (key !== undefined) headers['idempotency-key'] = key;
  return { ...event, headers, body: typeof body === 'string' ? body : JSON.stringify(body) };
}

function at(name: 'get' | 'delete', id: string): APIGatewayProxyEventV2 {
  const event = fixture<APIGatewayProxyEventV2>(`apigw/pipelines-${name}.json`);
  return {
    ...event,
    rawPath: `/pipelines/${id}`,
    pathParameters: { id },
    requestContext: {
      ...event.requestContext,
      http: { ...event.requestContext.http, path: `/pipelines/${id}` },
    },
  };
}

const body = (res: { body?: string }) => JSON.parse(res.body!);
const starts = () => sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);

/** Drives a pipeline through the store to the given status (the workflow's part). */
async function inStatus(store: PipelineStore, id: string, path: Pipeline['status'][]) {
  for (const status of path) await store.transition(id, status);
}

beforeEach(() => {
  sfn.reset();
  sfn.on(StartExecutionCommand).callsFake((input) => ({ executionArn: executionArn(input), startDate: new Date(T0) }));
});

describe('pipelines admin API (API Gateway HTTP API payload 2.0, AWS_IAM)', () => {
  describe('POST /pipelines', () => {
    it('registers the pipeline, starts the create workflow and answers 202 with the status URL', async () => {
      const { app, store } = setup();
      const res = await app(createEvent());
      expect(res.statusCode).toBe(202);
      expect(body(res)).toEqual({ id: 'pl-1', status: 'CREATING', statusUrl: '/pipelines/pl-1' });
      expect(res.headers.location).toBe('/pipelines/pl-1');
      expect(starts()).toEqual([{ stateMachineArn: CREATE_ARN, name: 'pl-1', input: '{"pipelineId":"pl-1"}' }]);
      const stored = (await store.get('pl-1'))!;
      expect(stored).toMatchObject({
        status: 'CREATING',
        projectId: 'shop',
        appIds: ['shop-web', 'shop-ios'],
        kafka: { topic: 'shop-events', partitions: 6, replicationFactor: 2, auth: 'iam' },
        sink: { mode: 'lambda', maxIntervalSeconds: 60, batchSize: 1000 },
        executionArn: executionArn({ stateMachineArn: CREATE_ARN, name: 'pl-1' }),
        createdAt: new Date(T0).toISOString(),
      });
    });

    it('answers a repeated Idempotency-Key with the same answer and starts one execution only', async () => {
      const { app, store } = setup();
      const first = await app(createEvent());
      const second = await app(createEvent());
      expect(second.statusCode).toBe(202);
      expect(body(second)).toEqual(body(first));
      expect(second.headers.location).toBe(first.headers.location);
      expect(starts()).toHaveLength(1);
      expect(await store.list()).toHaveLength(1);
    });

    it('refuses an Idempotency-Key reused with a different body with 422', async () => {
      const { app } = setup();
      await app(createEvent());
      const event = createEvent();
      const changed = { ...JSON.parse(event.body!), appIds: ['shop-web'] };
      const res = await app({ ...event, body: JSON.stringify(changed) });
      expect(res.statusCode).toBe(422);
      expect(body(res).message).toMatch(
        /Idempotency-Key '7d4b9a2e-1c3f-4e5a-8b6d-0f9e8d7c6b5a' was already used for a different request/,
      );
      expect(body(res).pipelineId).toBe('pl-1');
      expect(starts()).toHaveLength(1);
    });

    it('answers 409 when the project already has a pipeline', async () => {
      const { app } = setup();
      await app(post(mskRequest(), 'k-1'));
      const res = await app(post(mskRequest({ appIds: ['other-app'] }), 'k-2'));
      expect(res.statusCode).toBe(409);
      expect(body(res)).toMatchObject({ projectId: 'shop', pipelineId: 'pl-1' });
      expect(body(res).message).toMatch(/project 'shop' already has a pipeline/);
      expect(starts()).toHaveLength(1);
    });

    it('answers 409 when an app id belongs to another pipeline', async () => {
      const { app } = setup();
      await app(post(mskRequest()));
      const res = await app(post(mskRequest({ projectId: 'other', appIds: ['new-app', 'shop-web'] })));
      expect(res.statusCode).toBe(409);
      expect(body(res)).toMatchObject({ appIds: ['shop-web'], pipelineId: 'pl-1' });
    });

    it('answers 400 listing every schema violation with its JSON path, storing and starting nothing', async () => {
      const { app, store } = setup();
      const res = await app(
        post({
          projectId: 'X',
          appIds: [],
          kafka: { type: 'msk', clusterArn: 'nope', auth: 'scram' },
          sink: { mode: 'lambda', batchSize: 20_000 },
        }),
      );
      expect(res.statusCode).toBe(400);
      expect(body(res).message).toBe('invalid pipeline request');
      expect(body(res).errors.map((e: { path: string }) => e.path)).toEqual([
        '$.appIds',
        '$.kafka.clusterArn',
        '$.kafka.scramSecretArn',
        '$.projectId',
        '$.sink.batchSize',
      ]);
      expect(await store.list()).toHaveLength(0);
      expect(starts()).toHaveLength(0);
    });

    it.each([
      ['not JSON', '{"projectId":', /is not valid JSON/],
      ['empty', '', /is required/],
      ['a JSON array', '[]', /must be a JSON object/],
    ])('answers 400 for a body that is %s', async (_name, raw, message) => {
      const { app } = setup();
      const res = await app(post(raw));
      expect(res.statusCode).toBe(400);
      expect(body(res).errors).toEqual([{ path: '$', message: expect.stringMatching(message) }]);
    });

    it('reads a base64-encoded body', async () => {
      const { app } = setup();
      const event = createEvent();
      const res = await app({
        ...event,
        body: Buffer.from(event.body!).toString('base64'),
        isBase64Encoded: true,
      });
      expect(res.statusCode).toBe(202);
    });

    it('answers 413 for a body larger than any pipeline request', async () => {
      const { app } = setup();
      const res = await app(post(JSON.stringify({ ...mskRequest(), padding: 'x'.repeat(MAX_BODY_BYTES) })));
      expect(res.statusCode).toBe(413);
    });

    it('answers 400 for an Idempotency-Key that is not 1-255 visible characters', async () => {
      const { app } = setup();
      const res = await app(post(mskRequest(), 'k'.repeat(256)));
      expect(res.statusCode).toBe(400);
      expect(body(res).message).toMatch(/Idempotency-Key/);
    });

    it('marks the pipeline FAILED and answers 503 with Retry-After when Step Functions throttles', async () => {
      sfn.on(StartExecutionCommand).rejects(
        Object.assign(new Error('Rate exceeded'), {
          name: 'ThrottlingException',
          $metadata: { httpStatusCode: 400 },
        }),
      );
      const { app, store } = setup();
      const res = await app(post(mskRequest()));
      expect(res.statusCode).toBe(503);
      expect(res.headers['retry-after']).toBe('30');
      expect(body(res)).toMatchObject({ id: 'pl-1', status: 'FAILED', statusUrl: '/pipelines/pl-1' });
      const stored = (await store.get('pl-1'))!;
      expect(stored.status).toBe('FAILED');
      expect(stored.failureReason).toMatch(
        /create workflow could not be started \(ThrottlingException: Rate exceeded\); delete this pipeline and create it again later/,
      );
    });

    it('marks the pipeline FAILED and answers 500 (details in the log and the failure reason) when the state machine is missing', async () => {
      sfn.on(StartExecutionCommand).rejects(
        new StateMachineDoesNotExist({
          message: 'State Machine Does Not Exist: create-pipeline',
          $metadata: { httpStatusCode: 400 },
        }),
      );
      const { app, store, log } = setup();
      const res = await app(post(mskRequest()));
      expect(res.statusCode).toBe(500);
      expect(res.headers['retry-after']).toBeUndefined();
      expect(body(res)).toMatchObject({ id: 'pl-1', status: 'FAILED' });
      expect(res.body).not.toContain('State Machine Does Not Exist');
      expect((await store.get('pl-1'))!.failureReason).toMatch(/StateMachineDoesNotExist/);
      expect(JSON.stringify(log.entries)).toContain('State Machine Does Not Exist');
    });

    it('starts the workflow on a replay when the first request registered the pipeline but never started it', async () => {
      const { app, store } = setup();
      const spec = parsePipelineRequest(mskRequest());
      await store.create(
        {
          ...spec,
          id: 'pl-orphan',
          status: 'CREATING',
          steps: [],
          resources: {},
          createdAt: '2025-03-01T11:59:00.000Z',
          updatedAt: '2025-03-01T11:59:00.000Z',
        },
        'k-crash',
      );
      const res = await app(post(mskRequest(), 'k-crash'));
      expect(res.statusCode).toBe(202);
      expect(body(res).id).toBe('pl-orphan');
      expect(starts()).toEqual([
        { stateMachineArn: CREATE_ARN, name: 'pl-orphan', input: '{"pipelineId":"pl-orphan"}' },
      ]);
      expect((await store.get('pl-orphan'))!.executionArn).toBe(
        executionArn({ stateMachineArn: CREATE_ARN, name: 'pl-orphan' }),
      );
    });

    it('records the existing execution when Step Functions already has one by the pipeline id', async () => {
      sfn.on(StartExecutionCommand).rejects(
        new ExecutionAlreadyExists({
          message: 'Execution Already Exists',
          $metadata: { httpStatusCode: 400 },
        }),
      );
      const { app, store } = setup();
      expect((await app(post(mskRequest()))).statusCode).toBe(202);
      expect((await store.get('pl-1'))!).toMatchObject({
        status: 'CREATING',
        executionArn: executionArn({ stateMachineArn: CREATE_ARN, name: 'pl-1' }),
      });
    });
  });

  describe('GET /pipelines and /pipelines/{id}', () => {
    it('lists pipelines newest first', async () => {
      const { app, clock } = setup();
      await app(post(mskRequest({ projectId: 'first', appIds: ['a1'] })));
      clock.ms += 1000;
      await app(post(mskRequest({ projectId: 'second', appIds: ['a2'] })));
      const res = await app(fixture<APIGatewayProxyEventV2>('apigw/pipelines-list.json'));
      expect(res.statusCode).toBe(200);
      expect(body(res).pipelines.map((p: Pipeline) => p.projectId)).toEqual(['second', 'first']);
    });

    it('shows status, current step, step history with times, failure reason, violations, resources and times', async () => {
      const { app, store } = setup({ newId: () => FIXTURE_ID });
      await app(post(mskRequest()));
      await store.recordStep(FIXTURE_ID, {
        name: 'ValidateCluster',
        status: 'FAILED',
        startedAt: '2025-03-01T12:00:01.000Z',
        endedAt: '2025-03-01T12:00:02.000Z',
        detail: '2 rules violated',
      });
      await store.setResources(FIXTURE_ID, { topic: 'shop-events', topicCreated: true });
      await store.transition(FIXTURE_ID, 'FAILED', {
        failureReason: 'the cluster breaks 2 rules',
        violations: ['cluster is SERVERLESS', 'replication factor 4 > 3 brokers'],
      });
      const res = await app(fixture<APIGatewayProxyEventV2>('apigw/pipelines-get.json'));
      expect(res.statusCode).toBe(200);
      expect(body(res)).toMatchObject({
        id: FIXTURE_ID,
        status: 'FAILED',
        currentStep: 'ValidateCluster',
        steps: [
          {
            name: 'ValidateCluster',
            status: 'FAILED',
            startedAt: '2025-03-01T12:00:01.000Z',
            endedAt: '2025-03-01T12:00:02.000Z',
            detail: '2 rules violated',
          },
        ],
        failureReason: 'the cluster breaks 2 rules',
        violations: ['cluster is SERVERLESS', 'replication factor 4 > 3 brokers'],
        resources: { topic: 'shop-events', topicCreated: true },
        createdAt: '2025-03-01T12:00:00.000Z',
        updatedAt: expect.any(String),
      });
    });

    it('answers 404 with a clear message for an unknown id', async () => {
      const { app } = setup();
      const res = await app(fixture<APIGatewayProxyEventV2>('apigw/pipelines-get.json'));
      expect(res.statusCode).toBe(404);
      expect(body(res)).toEqual({ message: `pipeline '${FIXTURE_ID}' does not exist`, id: FIXTURE_ID });
    });
  });

  describe('DELETE /pipelines/{id}', () => {
    it.each([
      ['ACTIVE', ['ACTIVE']],
      ['FAILED', ['FAILED']],
    ] as const)(
      'moves an %s pipeline to DELETING, starts the teardown workflow and answers 202',
      async (_status, path) => {
        const { app, store, clock } = setup({ newId: () => FIXTURE_ID });
        await app(post(mskRequest()));
        await inStatus(store, FIXTURE_ID, [...path]);
        sfn.resetHistory();
        clock.ms += 60_000;
        const res = await app(fixture<APIGatewayProxyEventV2>('apigw/pipelines-delete.json'));
        expect(res.statusCode).toBe(202);
        expect(body(res)).toEqual({
          id: FIXTURE_ID,
          status: 'DELETING',
          statusUrl: `/pipelines/${FIXTURE_ID}`,
        });
        expect(res.headers.location).toBe(`/pipelines/${FIXTURE_ID}`);
        const name = `${FIXTURE_ID}-delete-${clock.ms}`;
        expect(starts()).toEqual([
          { stateMachineArn: DELETE_ARN, name, input: JSON.stringify({ pipelineId: FIXTURE_ID }) },
        ]);
        expect((await store.get(FIXTURE_ID))!).toMatchObject({
          status: 'DELETING',
          executionArn: executionArn({ stateMachineArn: DELETE_ARN, name }),
        });
        expect(await store.activeRoute('shop-web')).toBeUndefined();
      },
    );

    it.each([
      ['CREATING', []],
      ['DELETING', ['ACTIVE', 'DELETING']],
      ['DELETED', ['ACTIVE', 'DELETING', 'DELETED']],
    ] as const)('answers 409 for a pipeline that is %s and starts nothing', async (status, path) => {
      const { app, store } = setup();
      await app(post(mskRequest()));
      await inStatus(store, 'pl-1', [...path]);
      sfn.resetHistory();
      const res = await app(at('delete', 'pl-1'));
      expect(res.statusCode).toBe(409);
      expect(body(res)).toEqual({
        message: `pipeline 'pl-1' is ${status}; it cannot become DELETING`,
        id: 'pl-1',
        status,
      });
      expect(starts()).toHaveLength(0);
    });

    it('answers 404 for an unknown id', async () => {
      const { app } = setup();
      const res = await app(at('delete', 'missing'));
      expect(res.statusCode).toBe(404);
      expect(body(res).message).toBe("pipeline 'missing' does not exist");
    });

    it('marks the pipeline FAILED when the teardown cannot start, so DELETE can be sent again', async () => {
      const { app, store } = setup();
      await app(post(mskRequest()));
      await store.transition('pl-1', 'ACTIVE');
      sfn.on(StartExecutionCommand).rejects(
        Object.assign(new Error('Service Unavailable'), {
          name: 'ServiceUnavailable',
          $fault: 'server',
          $metadata: { httpStatusCode: 503 },
        }),
      );
      const failed = await app(at('delete', 'pl-1'));
      expect(failed.statusCode).toBe(503);
      expect((await store.get('pl-1'))!).toMatchObject({
        status: 'FAILED',
        failureReason: expect.stringMatching(/delete workflow could not be started.*send DELETE again later/),
      });
      sfn
        .on(StartExecutionCommand)
        .callsFake((input) => ({ executionArn: executionArn(input), startDate: new Date(T0) }));
      const retried = await app(at('delete', 'pl-1'));
      expect(retried.statusCode).toBe(202);
    });
  });

  describe('everything else', () => {
    it('answers 405 with Allow for a method the route does not serve', async () => {
      const { app } = setup();
      const event = fixture<APIGatewayProxyEventV2>('apigw/pipelines-get.json');
      const res = await app({
        ...event,
        routeKey: 'PUT /pipelines/{id}',
        requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'PUT' } },
      });
      expect(res.statusCode).toBe(405);
      expect(res.headers.allow).toBe('GET, DELETE');
    });

    it('answers a generic 500 with the request id and logs the cause when the registry fails', async () => {
      const broken = new MemoryPipelineStore();
      broken.list = async () => {
        throw new Error('AccessDeniedException: not authorized to perform dynamodb:Query on arn:aws:dynamodb:…');
      };
      const { app, log } = setup({ store: broken });
      const res = await app(fixture<APIGatewayProxyEventV2>('apigw/pipelines-list.json'));
      expect(res.statusCode).toBe(500);
      expect(body(res)).toEqual({ message: 'Internal server error', requestId: 'Q1aBcDeGoAMEb5Q=' });
      expect(JSON.stringify(log.entries)).toContain('AccessDeniedException');
    });

    it('answers a generic 500 and names the variable when configuration is broken', async () => {
      const log = new MemoryLog();
      const app = createPipelinesApp(() => readPipelinesApiConfig({ PIPELINES_TABLE: 't' }) as never, log);
      const res = await app(createEvent());
      expect(res.statusCode).toBe(500);
      expect(body(res).message).toBe('Internal server error');
      expect(JSON.stringify(log.entries)).toContain('CREATE_PIPELINE_STATE_MACHINE_ARN');
    });
  });
});

describe('readPipelinesApiConfig', () => {
  it('reads the table and the two state machine ARNs', () => {
    expect(
      readPipelinesApiConfig({
        PIPELINES_TABLE: 't',
        CREATE_PIPELINE_STATE_MACHINE_ARN: CREATE_ARN,
        DELETE_PIPELINE_STATE_MACHINE_ARN: DELETE_ARN,
      }),
    ).toEqual({
      tableName: 't',
      createStateMachineArn: CREATE_ARN,
      deleteStateMachineArn: DELETE_ARN,
      retryAfterSeconds: 30,
    });
  });

  it.each([
    [
      { CREATE_PIPELINE_STATE_MACHINE_ARN: CREATE_ARN, DELETE_PIPELINE_STATE_MACHINE_ARN: DELETE_ARN },
      /PIPELINES_TABLE is required/,
    ],
    [
      {
        PIPELINES_TABLE: 't',
        CREATE_PIPELINE_STATE_MACHINE_ARN: 'create-pipeline',
        DELETE_PIPELINE_STATE_MACHINE_ARN: DELETE_ARN,
      },
      /CREATE_PIPELINE_STATE_MACHINE_ARN='create-pipeline' must be a Step Functions state machine ARN/,
    ],
    [
      { PIPELINES_TABLE: 't', CREATE_PIPELINE_STATE_MACHINE_ARN: CREATE_ARN },
      /DELETE_PIPELINE_STATE_MACHINE_ARN is required/,
    ],
  ])('fails fast naming the variable (%#)', (env, message) => {
    expect(() => readPipelinesApiConfig(env)).toThrow(message);
  });
});

describe('pipelines admin API: hostile input gets a 4xx naming the problem, never a 500', () => {
  /** A registry that fails as DynamoDB does for a partition key over 2,048 bytes. */
  function keyLimitedStore(): PipelineStore {
    const inner = new MemoryPipelineStore();
    const tooLong = (id: string) => {
      if (Buffer.byteLength(`PIPELINE#${id}`) > 2048)
        throw Object.assign(
          new Error(
            'One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes',
          ),
          { name: 'ValidationException', $metadata: { httpStatusCode: 400 } },
        );
    };
    return Object.assign(Object.create(inner) as PipelineStore, {
      get: async (id: string) => {
        tooLong(id);
        return inner.get(id);
      },
      transition: async (id: string, to: Pipeline['status']) => {
        tooLong(id);
        return inner.transition(id, to);
      },
    });
  }

  it.each(['get', 'delete'] as const)(
    '%s of an 8,000-character id is 404, with the id shortened in the message',
    async (name) => {
      const { app } = setup({ store: keyLimitedStore() });
      const id = 'a'.repeat(8000);
      const res = await app(at(name, id));
      expect(res.statusCode).toBe(404);
      expect(body(res).message).toMatch(/^pipeline "a{80}"… \(8000 characters\) does not exist$/);
    },
  );

  it('a malformed %-escape in the path is 400 (the handler decodes rawPath when there are no path parameters)', async () => {
    const { app } = setup();
    const event = at('get', 'x');
    const res = await app({ ...event, pathParameters: undefined, rawPath: '/pipelines/%E0%A4%A' });
    expect(res.statusCode).toBe(400);
    expect(body(res).message).toMatch(/malformed %-escape/);
  });

  it('a numeric field nested 20,000 levels deep is 400 naming the field, not a stack overflow', async () => {
    const { app } = setup();
    const deep = '['.repeat(20000) + '1' + ']'.repeat(20000);
    const raw = JSON.stringify(mskRequest()).replace(/"batchSize":\d+/, `"batchSize":${deep}`);
    expect(raw).toContain(deep);
    const res = await app(post(raw));
    expect(res.statusCode).toBe(400);
    expect(body(res).errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: '$.sink.batchSize' })]));
  });
});
