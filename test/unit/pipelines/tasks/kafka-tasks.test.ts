/**
 * The Kafka-facing tasks over real sockets: ValidateCluster (self-hosted), CreateTopic and
 * DeleteTopic against the dev broker (local/kafka), through the production admin factory.
 */
import { startCluster, type DevCluster } from '../../../../local/kafka/index.ts';
import { MemoryPipelineStore } from '../../../helpers/memory-store.ts';
import type { Pipeline } from '../../../../functions/pipelines/model.ts';
import { createTopic } from '../../../../functions/pipelines/tasks/create-topic.ts';
import { deleteTopic } from '../../../../functions/pipelines/tasks/delete-topic.ts';
import { kafkaAdminFactory } from '../../../../functions/pipelines/tasks/kafka-admin.ts';
import { validateCluster, type ValidateClusterDeps } from '../../../../functions/pipelines/tasks/validate-cluster.ts';
import {
  ClusterValidationError,
  TopicConflictError,
  TransientError,
} from '../../../../functions/pipelines/tasks/errors.ts';
import { pipelineFixture } from '../../../workflow/harness.ts';
import { rejectedAs } from '../../../helpers/thrown.ts';

const openAdmin = kafkaAdminFactory({ timeoutMs: 2000, retries: 0 });
const network = { vpcId: 'vpc-0a1b2c3d4e5f60718', subnetIds: ['subnet-0123456789abcdef0'] };
const noAws = {
  send: async () => {
    throw new Error('no AWS call expected');
  },
};

function selfHostedPipeline(brokers: string, over: Partial<Pipeline['kafka']> = {}): Pipeline {
  return pipelineFixture({
    kafka: {
      cluster: { type: 'self-hosted', brokers, securityGroupId: 'sg-0fedcba9876543210' },
      topic: 'clicks',
      partitions: 3,
      replicationFactor: undefined,
      auth: 'none',
      ...over,
    },
  });
}

async function violationsOf(promise: Promise<unknown>): Promise<string[]> {
  return (await rejectedAs(ClusterValidationError, promise)).violations;
}

describe('Kafka tasks against the dev broker', () => {
  let three: DevCluster;
  let single: DevCluster;
  let store: MemoryPipelineStore;
  let deps: ValidateClusterDeps;

  beforeAll(async () => {
    [three, single] = await Promise.all([
      startCluster({ brokers: 3, autoCreateTopics: false, defaultReplicationFactor: 2 }),
      startCluster({ brokers: 1 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([three?.close(), single?.close()]);
  });
  beforeEach(() => {
    store = new MemoryPipelineStore();
    deps = {
      store,
      kafka: noAws,
      ec2: noAws,
      openAdmin,
      network,
      region: 'us-east-1',
      dataBucket: 'clickstream-data',
    };
  });

  it('ValidateCluster: a reachable 3-broker cluster passes and its broker settings are read with DescribeConfigs', async () => {
    const p = (await store.create(selfHostedPipeline(three.bootstrap))).pipeline;
    const out = await validateCluster({ pipelineId: p.id }, deps);
    expect(out).toEqual({
      kind: 'self-hosted',
      bootstrapBrokers: three.brokers,
      brokerCount: 3,
      replicationFactor: 3,
      partitions: 3,
      auth: 'none',
      sinkMode: 'lambda',
      autoCreateTopicsEnable: false,
      defaultReplicationFactor: 2,
      topicCreation: 'explicit',
    });
    expect((await store.get(p.id))!.steps).toEqual([
      expect.objectContaining({ name: 'ValidateCluster', status: 'SUCCEEDED' }),
    ]);
    // Stored for the ingest route: this pipeline's events go to this cluster.
    expect((await store.get(p.id))!.resources.cluster).toEqual({ brokers: three.brokers, auth: 'none' });
  });

  it('ValidateCluster: the broker count comes from the metadata, not from the list the user gave', async () => {
    const p = (await store.create(selfHostedPipeline(three.brokers[0]!, { replicationFactor: 2 }))).pipeline;
    expect((await validateCluster({ pipelineId: p.id }, deps)).brokerCount).toBe(3);
  });

  it('ValidateCluster: a one-broker cluster breaks the two-broker rule and the replication rules, all reported', async () => {
    const p = (await store.create(selfHostedPipeline(single.bootstrap, { replicationFactor: 3 }))).pipeline;
    expect(await violationsOf(validateCluster({ pipelineId: p.id }, deps))).toEqual([
      'the cluster has 1 broker; a self-hosted cluster needs at least two',
      "kafka.replicationFactor 3 is larger than the cluster's 1 broker; use at most 1",
    ]);
    const stored = (await store.get(p.id))!;
    expect(stored.steps[0]).toMatchObject({ name: 'ValidateCluster', status: 'FAILED' });
  });

  it('ValidateCluster: unreachable brokers are a violation naming them, next to the other rules', async () => {
    const p = (await store.create(selfHostedPipeline('127.0.0.1:1', { auth: 'none' }))).pipeline;
    const violations = await violationsOf(validateCluster({ pipelineId: p.id }, deps));
    expect(violations).toHaveLength(2);
    expect(violations[0]).toMatch(
      /^the brokers 127\.0\.0\.1:1 could not be reached from the solution's VPC \(.+\); the cluster must be in the same VPC/,
    );
    expect(violations[1]).toBe('the cluster has 1 broker listed; a self-hosted cluster needs at least two');
  });

  it('CreateTopic: creates the topic with the partitions and replication factor, then reuses it on a second run', async () => {
    const p = (await store.create(selfHostedPipeline(three.bootstrap, { topic: 'created-here' }))).pipeline;
    const cluster = { bootstrapBrokers: three.brokers, brokerCount: 3, replicationFactor: 2, partitions: 3 };
    expect(await createTopic({ pipelineId: p.id, cluster }, { store, openAdmin, region: undefined })).toEqual({
      topic: 'created-here',
      topicCreated: true,
      partitions: 3,
      replicationFactor: 2,
    });
    const admin = await openAdmin({ brokers: three.brokers, auth: 'none' });
    try {
      const t = (await admin.metadata({ topics: ['created-here'] })).topics.get('created-here')!;
      expect(t.partitionsCount).toBe(3);
      expect(t.partitions.every((x) => x.replicas.length === 2)).toBe(true);
    } finally {
      await admin.close();
    }
    // The retry of a task whose first attempt created the topic keeps it as this pipeline's.
    expect(await createTopic({ pipelineId: p.id, cluster }, { store, openAdmin, region: undefined })).toEqual({
      topic: 'created-here',
      topicCreated: true,
      partitions: 3,
      replicationFactor: 2,
    });
    expect((await store.get(p.id))!.resources).toEqual({ topic: 'created-here', topicCreated: true });
  });

  it('CreateTopic: an existing topic with enough partitions is reused and not claimed; too few partitions is a TopicConflictError', async () => {
    const admin = await openAdmin({ brokers: three.brokers, auth: 'none' });
    try {
      await admin.createTopics({ topics: ['theirs-big'], partitions: 6, replicas: 3 });
      await admin.createTopics({ topics: ['theirs-small'], partitions: 1, replicas: 1 });
    } finally {
      await admin.close();
    }
    const cluster = { bootstrapBrokers: three.brokers, brokerCount: 3, replicationFactor: 3, partitions: 3 };
    const big = (await store.create(selfHostedPipeline(three.bootstrap, { topic: 'theirs-big' }))).pipeline;
    expect(await createTopic({ pipelineId: big.id, cluster }, { store, openAdmin, region: undefined })).toEqual({
      topic: 'theirs-big',
      topicCreated: false,
      partitions: 6,
      replicationFactor: 3,
    });
    const small = (await store.create(selfHostedPipeline(three.bootstrap, { topic: 'theirs-small' }))).pipeline;
    await expect(
      createTopic({ pipelineId: small.id, cluster }, { store, openAdmin, region: undefined }),
    ).rejects.toThrow(TopicConflictError);
  });

  it('CreateTopic: TOPIC_ALREADY_EXISTS from a concurrent creator is treated as an existing topic', async () => {
    const admin = await openAdmin({ brokers: three.brokers, auth: 'none' });
    try {
      await admin.createTopics({ topics: ['raced'], partitions: 4, replicas: 2 });
    } finally {
      await admin.close();
    }
    // The task's look (listTopics) happens "before" the other creator: it sees no topic.
    const racing: typeof openAdmin = async (cluster) => {
      const real = await openAdmin(cluster);
      let first = true;
      return new Proxy(real, {
        get(target, prop, receiver) {
          if (prop === 'listTopics' && first) {
            first = false;
            return async () => [];
          }
          const value = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    };
    const p = (await store.create(selfHostedPipeline(three.bootstrap, { topic: 'raced' }))).pipeline;
    const out = await createTopic(
      {
        pipelineId: p.id,
        cluster: { bootstrapBrokers: three.brokers, brokerCount: 3, replicationFactor: 3, partitions: 3 },
      },
      { store, openAdmin: racing, region: undefined },
    );
    expect(out).toEqual({ topic: 'raced', topicCreated: false, partitions: 4, replicationFactor: 2 });
    expect((await store.get(p.id))!.resources).toEqual({ topic: 'raced', topicCreated: false });
  });

  it('CreateTopic: the replication factor is bounded by the brokers the cluster reports now', async () => {
    const p = (await store.create(selfHostedPipeline(single.bootstrap, { topic: 'bounded' }))).pipeline;
    const out = await createTopic(
      {
        pipelineId: p.id,
        cluster: { bootstrapBrokers: single.brokers, brokerCount: 3, replicationFactor: 3, partitions: 1 },
      },
      { store, openAdmin, region: undefined },
    );
    expect(out).toEqual({ topic: 'bounded', topicCreated: true, partitions: 1, replicationFactor: 1 });
  });

  it('CreateTopic: brokers that do not answer are a TransientError (the state machine retries)', async () => {
    const p = (await store.create(selfHostedPipeline('127.0.0.1:1'))).pipeline;
    await expect(
      createTopic(
        {
          pipelineId: p.id,
          cluster: { bootstrapBrokers: ['127.0.0.1:1'], brokerCount: 2, replicationFactor: 2, partitions: 1 },
        },
        { store, openAdmin, region: undefined },
      ),
    ).rejects.toThrow(TransientError);
  });

  it('DeleteTopic: deletes a topic the pipeline created, leaves a reused one, and is idempotent', async () => {
    const p = (await store.create(selfHostedPipeline(three.bootstrap, { topic: 'to-delete' }))).pipeline;
    await createTopic(
      {
        pipelineId: p.id,
        cluster: { bootstrapBrokers: three.brokers, brokerCount: 3, replicationFactor: 1, partitions: 1 },
      },
      { store, openAdmin, region: undefined },
    );
    const deps2 = { store, openAdmin, region: undefined, kafka: noAws };
    expect(await deleteTopic({ pipelineId: p.id }, deps2)).toEqual({
      deleted: 'to-delete',
      alreadyGone: false,
    });
    expect(await deleteTopic({ pipelineId: p.id }, deps2)).toEqual({
      deleted: 'to-delete',
      alreadyGone: true,
    });

    const reused = (await store.create(selfHostedPipeline(three.bootstrap, { topic: 'theirs-big' }))).pipeline;
    await store.setResources(reused.id, { topic: 'theirs-big', topicCreated: false });
    expect(await deleteTopic({ pipelineId: reused.id }, deps2)).toEqual({
      deleted: undefined,
      alreadyGone: false,
    });
    const admin = await openAdmin({ brokers: three.brokers, auth: 'none' });
    try {
      expect(await admin.listTopics()).toEqual(expect.arrayContaining(['theirs-big']));
      expect(await admin.listTopics()).not.toContain('to-delete');
    } finally {
      await admin.close();
    }
  });
});
