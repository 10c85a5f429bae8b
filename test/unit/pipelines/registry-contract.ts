/**
 * The behaviour every PipelineStore must have, written once and run against each implementation
 * (registry.memory.test.ts, registry.dynalite.test.ts). Pipelines get unique ids, projects and app
 * ids, so a suite may share one table.
 */
import {
  allowedTransitions,
  type Pipeline,
  type PipelineStatus,
  type PipelineStore,
} from '../../../functions/pipelines/model.ts';
import { newPipeline, spec } from '../../helpers/pipelines.ts';

export interface Clock {
  ms: number;
}

const STATUSES = Object.keys(allowedTransitions) as PipelineStatus[];

/** A path of allowed transitions from CREATING to `status`. */
const PATHS: Record<PipelineStatus, PipelineStatus[]> = {
  CREATING: [],
  ACTIVE: ['ACTIVE'],
  FAILED: ['FAILED'],
  DELETING: ['ACTIVE', 'DELETING'],
  DELETED: ['ACTIVE', 'DELETING', 'DELETED'],
};

async function errorOf(promise: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

export function pipelineStoreContract(
  label: string,
  makeStore: (clock: Clock) => Promise<PipelineStore> | PipelineStore,
): void {
  describe(`PipelineStore contract: ${label}`, () => {
    let clock: Clock;
    let store: PipelineStore;

    beforeEach(async () => {
      clock = { ms: Date.parse('2025-01-01T00:00:00.000Z') };
      store = await makeStore(clock);
    });

    async function stored(over: Partial<Pipeline> = {}, status: PipelineStatus = 'CREATING'): Promise<Pipeline> {
      const { pipeline } = await store.create(newPipeline(over));
      for (const to of PATHS[status]) await store.transition(pipeline.id, to);
      return (await store.get(pipeline.id))!;
    }

    describe('create / get / list', () => {
      it('stores a new pipeline in CREATING and returns it as get does', async () => {
        const input = newPipeline({ violations: [] });
        const { pipeline, created } = await store.create(input);
        expect(created).toBe(true);
        expect(pipeline).toEqual(input);
        expect(await store.get(input.id)).toEqual(input);
      });

      it('stores CREATING whatever status the caller put in the record', async () => {
        const { pipeline } = await store.create(newPipeline({ status: 'ACTIVE' }));
        expect(pipeline.status).toBe('CREATING');
        expect((await store.get(pipeline.id))!.status).toBe('CREATING');
      });

      it('answers undefined for an unknown id', async () => {
        expect(await store.get('no-such-pipeline')).toBeUndefined();
      });

      it('lists pipelines newest first', async () => {
        const older = await store.create(newPipeline({}, '2025-01-01T00:00:01.000Z'));
        const newer = await store.create(newPipeline({}, '2025-01-01T00:00:03.000Z'));
        const middle = await store.create(newPipeline({}, '2025-01-01T00:00:02.000Z'));
        const ids = (await store.list()).map((p) => p.id);
        const ours = ids.filter((id) => [older, newer, middle].some((c) => c.pipeline.id === id));
        expect(ours).toEqual([newer.pipeline.id, middle.pipeline.id, older.pipeline.id]);
      });

      it('hands out copies: changing a returned pipeline does not change the stored one', async () => {
        const { pipeline } = await store.create(newPipeline());
        pipeline.appIds.push('intruder');
        const got = (await store.get(pipeline.id))!;
        got.kafka.topic = 'changed';
        expect((await store.get(pipeline.id))!.appIds).not.toContain('intruder');
        expect((await store.get(pipeline.id))!.kafka.topic).toBe('shop');
      });
    });

    describe('one pipeline per project, one route per app', () => {
      it.each(['CREATING', 'ACTIVE', 'FAILED', 'DELETING'] as const)(
        'refuses a second pipeline of a project whose pipeline is %s',
        async (status) => {
          const first = await stored({}, status);
          const err = await errorOf(store.create(newPipeline({ projectId: first.projectId })));
          expect(err.name).toBe('ProjectConflictError');
          expect(err.projectId).toBe(first.projectId);
          expect(err.pipelineId).toBe(first.id);
        },
      );

      it('accepts the project and its app ids again once its pipeline is DELETED', async () => {
        const first = await stored({}, 'DELETED');
        const { created, pipeline } = await store.create(
          newPipeline({ projectId: first.projectId, appIds: first.appIds }),
        );
        expect(created).toBe(true);
        expect(pipeline.id).not.toBe(first.id);
      });

      it('refuses app ids another pipeline holds, naming them and the holder', async () => {
        const first = await stored();
        const err = await errorOf(store.create(newPipeline({ appIds: ['fresh-app-' + first.id, first.appIds[1]!] })));
        expect(err.name).toBe('AppIdConflictError');
        expect(err.appIds).toEqual([first.appIds[1]]);
        expect(err.pipelineId).toBe(first.id);
        expect(await store.activeRoute('fresh-app-' + first.id)).toBeUndefined();
      });

      it('leaves nothing behind when a create is refused', async () => {
        const first = await stored();
        const refused = newPipeline({ projectId: first.projectId });
        await expect(store.create(refused)).rejects.toThrow();
        expect(await store.get(refused.id)).toBeUndefined();
        // The refused pipeline's apps were not reserved either.
        const again = await store.create(newPipeline({ appIds: refused.appIds }));
        expect(again.created).toBe(true);
      });
    });

    describe('idempotency keys', () => {
      const key = () => `key-${Math.random().toString(36).slice(2)}`;

      it('answers a repeated key with the same request with the first pipeline, creating nothing', async () => {
        const k = key();
        const first = await store.create(newPipeline(), k);
        const replayCandidate = {
          ...first.pipeline,
          id: 'another-id',
          createdAt: '2025-02-02T00:00:00.000Z',
        };
        const replay = await store.create(replayCandidate, k);
        expect(replay.created).toBe(false);
        expect(replay.pipeline).toEqual(first.pipeline);
        expect(await store.get('another-id')).toBeUndefined();
      });

      it('returns the pipeline as it is now on a replay', async () => {
        const k = key();
        const first = await store.create(newPipeline(), k);
        await store.transition(first.pipeline.id, 'ACTIVE');
        const replay = await store.create({ ...first.pipeline, id: 'x' }, k);
        expect(replay.pipeline.status).toBe('ACTIVE');
      });

      it('refuses a key reused with a different request', async () => {
        const k = key();
        const first = await store.create(newPipeline(), k);
        const different = { ...first.pipeline, id: 'other', sink: { ...first.pipeline.sink, batchSize: 42 } };
        const err = await errorOf(store.create(different, k));
        expect(err.name).toBe('IdempotencyKeyReuseError');
        expect(err.pipelineId).toBe(first.pipeline.id);
      });

      it('checks the key before the project (a replay is not a conflict)', async () => {
        const k = key();
        const first = await store.create(newPipeline(), k);
        await expect(store.create({ ...first.pipeline, id: 'other' }, k)).resolves.toMatchObject({
          created: false,
        });
        await expect(store.create({ ...first.pipeline, id: 'other' }, key())).rejects.toMatchObject({
          name: 'ProjectConflictError',
        });
      });

      it('forgets a key after its time to live', async () => {
        const k = key();
        const first = await store.create(newPipeline(), k);
        clock.ms += 24 * 60 * 60 * 1000 + 1000;
        // A new request: the project is still taken by the first pipeline.
        await expect(store.create({ ...first.pipeline, id: 'other' }, k)).rejects.toMatchObject({
          name: 'ProjectConflictError',
        });
        await store.transition(first.pipeline.id, 'FAILED');
        await store.transition(first.pipeline.id, 'DELETING');
        await store.transition(first.pipeline.id, 'DELETED');
        const fresh = await store.create({ ...first.pipeline, id: `${first.pipeline.id}-2` }, k);
        expect(fresh.created).toBe(true);
      });
    });

    describe('guarded transitions', () => {
      const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const));

      it.each(pairs.filter(([from, to]) => allowedTransitions[from].includes(to)))(
        'allows %s -> %s',
        async (from, to) => {
          const p = await stored({}, from);
          clock.ms += 5000;
          const updated = await store.transition(p.id, to);
          expect(updated.status).toBe(to);
          expect(updated.updatedAt).toBe(new Date(clock.ms).toISOString());
          expect(await store.get(p.id)).toEqual(updated);
        },
      );

      it.each(pairs.filter(([from, to]) => !allowedTransitions[from].includes(to)))(
        'refuses %s -> %s with IllegalTransitionError',
        async (from, to) => {
          const p = await stored({}, from);
          const err = await errorOf(store.transition(p.id, to));
          expect(err.name).toBe('IllegalTransitionError');
          expect(err).toMatchObject({ pipelineId: p.id, from, to });
          expect((await store.get(p.id))!.status).toBe(from);
        },
      );

      it('refuses a transition of an unknown pipeline with PipelineNotFoundError', async () => {
        await expect(store.transition('no-such-pipeline', 'ACTIVE')).rejects.toMatchObject({
          name: 'PipelineNotFoundError',
          pipelineId: 'no-such-pipeline',
        });
      });

      it('applies the patch: sets the given fields, removes those given as undefined', async () => {
        const p = await stored();
        const failed = await store.transition(p.id, 'FAILED', {
          failureReason: 'cluster breaks 2 rules',
          violations: ['a', 'b'],
          currentStep: 'ValidateCluster',
        });
        expect(failed).toMatchObject({
          failureReason: 'cluster breaks 2 rules',
          violations: ['a', 'b'],
          currentStep: 'ValidateCluster',
        });
        const deleting = await store.transition(p.id, 'DELETING', { failureReason: undefined });
        expect(deleting.failureReason).toBeUndefined();
        expect(deleting.violations).toEqual(['a', 'b']);
        expect((await store.get(p.id))!.failureReason).toBeUndefined();
      });
    });

    describe('ingest routes', () => {
      it('routes nothing while CREATING', async () => {
        const p = await stored();
        expect(await store.activeRoute(p.appIds[0]!)).toBeUndefined();
      });

      it('tells which pipeline holds an inactive route, and in which status (CREATING, FAILED)', async () => {
        const p = await stored();
        expect(await store.inactiveRoute(p.appIds[0]!)).toEqual({ pipelineId: p.id, status: 'CREATING' });
        await store.transition(p.id, 'FAILED', { failureReason: 'x' });
        expect(await store.inactiveRoute(p.appIds[0]!)).toEqual({ pipelineId: p.id, status: 'FAILED' });
        expect(await store.inactiveRoute('never-registered')).toBeUndefined();
      });

      it('has no inactive route for the apps of an ACTIVE pipeline', async () => {
        const p = await stored({}, 'ACTIVE');
        expect(await store.inactiveRoute(p.appIds[0]!)).toBeUndefined();
      });

      it('routes every app of an ACTIVE pipeline to its topic', async () => {
        const p = await stored({}, 'ACTIVE');
        for (const appId of p.appIds)
          expect(await store.activeRoute(appId)).toEqual({ pipelineId: p.id, topic: p.kafka.topic });
      });

      it('routes to the topic the workflow recorded, when it recorded one', async () => {
        const p = await stored();
        await store.setResources(p.id, { topic: 'created-topic', topicCreated: true });
        await store.transition(p.id, 'ACTIVE');
        expect(await store.activeRoute(p.appIds[0]!)).toEqual({ pipelineId: p.id, topic: 'created-topic' });
      });

      it("carries the cluster connection ValidateCluster stored and the pipeline's allowed origins", async () => {
        const p = await stored({ allowedOrigins: ['https://shop.example.com', '*.example.org'] });
        const cluster = {
          brokers: ['b-1.c.kafka.eu-west-1.amazonaws.com:9096', 'b-2.c.kafka.eu-west-1.amazonaws.com:9096'],
          auth: 'scram' as const,
          scramSecretArn: 'AmazonMSK_shop',
        };
        await store.setResources(p.id, { cluster });
        await store.transition(p.id, 'ACTIVE');
        expect(await store.activeRoute(p.appIds[0]!)).toEqual({
          pipelineId: p.id,
          topic: p.kafka.topic,
          cluster,
          allowedOrigins: ['https://shop.example.com', '*.example.org'],
        });
      });

      it.each(['FAILED', 'DELETING', 'DELETED'] as const)('routes nothing once the pipeline is %s', async (status) => {
        const p = await stored({}, status);
        expect(await store.activeRoute(p.appIds[0]!)).toBeUndefined();
        expect(await store.activeRoute(p.appIds[1]!)).toBeUndefined();
      });

      it('answers undefined for an app no pipeline knows', async () => {
        expect(await store.activeRoute('never-registered')).toBeUndefined();
      });
    });

    describe('steps, resources, execution', () => {
      it('appends steps, updates a step by name, keeps them in start order and sets currentStep', async () => {
        const p = await stored();
        await store.recordStep(p.id, {
          name: 'ValidateCluster',
          status: 'RUNNING',
          startedAt: '2025-01-01T00:00:01.000Z',
        });
        await store.recordStep(p.id, {
          name: 'ValidateCluster',
          status: 'SUCCEEDED',
          startedAt: '2025-01-01T00:00:01.000Z',
          endedAt: '2025-01-01T00:00:02.000Z',
        });
        await store.recordStep(p.id, {
          name: 'CreateTopic',
          status: 'RUNNING',
          startedAt: '2025-01-01T00:00:03.000Z',
          detail: 'topic shop',
        });
        const got = (await store.get(p.id))!;
        expect(got.steps).toEqual([
          {
            name: 'ValidateCluster',
            status: 'SUCCEEDED',
            startedAt: '2025-01-01T00:00:01.000Z',
            endedAt: '2025-01-01T00:00:02.000Z',
          },
          {
            name: 'CreateTopic',
            status: 'RUNNING',
            startedAt: '2025-01-01T00:00:03.000Z',
            detail: 'topic shop',
          },
        ]);
        expect(got.currentStep).toBe('CreateTopic');
        expect(got.status).toBe('CREATING');
      });

      it('merges resources as the workflow creates them', async () => {
        const p = await stored();
        await store.setResources(p.id, { topic: 'shop', topicCreated: true });
        await store.setResources(p.id, {
          pluginArn: 'arn:plugin',
          pluginCreated: false,
          mappingUuid: undefined,
        });
        expect((await store.get(p.id))!.resources).toEqual({
          topic: 'shop',
          topicCreated: true,
          pluginArn: 'arn:plugin',
          pluginCreated: false,
        });
      });

      it('records the execution ARN without changing the status', async () => {
        const p = await stored();
        clock.ms += 1000;
        await store.setExecutionArn(p.id, 'arn:aws:states:us-east-1:123456789012:execution:create:x');
        const got = (await store.get(p.id))!;
        expect(got).toMatchObject({
          status: 'CREATING',
          executionArn: 'arn:aws:states:us-east-1:123456789012:execution:create:x',
          updatedAt: new Date(clock.ms).toISOString(),
        });
      });

      it.each([
        [
          'recordStep',
          (s: PipelineStore) =>
            s.recordStep('no-such-pipeline', {
              name: 'X',
              status: 'RUNNING',
              startedAt: '2025-01-01T00:00:00.000Z',
            }),
        ],
        ['setResources', (s: PipelineStore) => s.setResources('no-such-pipeline', { topic: 't' })],
        ['setExecutionArn', (s: PipelineStore) => s.setExecutionArn('no-such-pipeline', 'arn')],
      ])('%s of an unknown pipeline fails with PipelineNotFoundError', async (_name, call) => {
        await expect(call(store)).rejects.toMatchObject({ name: 'PipelineNotFoundError' });
        expect(await store.get('no-such-pipeline')).toBeUndefined();
      });
    });

    it('keeps the spec as given (defaults applied upstream), undefined replication factor included', async () => {
      const s = spec({ projectId: `spec-${Date.now()}`, appIds: [`spec-app-${Date.now()}`] });
      const { pipeline } = await store.create({
        ...newPipeline(),
        ...s,
        kafka: { ...s.kafka, caPem: 'PEM', scramSecretArn: undefined },
      });
      const got = (await store.get(pipeline.id))!;
      expect(got.kafka).toEqual({ ...s.kafka, caPem: 'PEM' });
      expect(got.kafka.replicationFactor).toBeUndefined();
    });
  });
}
