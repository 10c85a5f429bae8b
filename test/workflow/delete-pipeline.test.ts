import { DeleteConnectorCommand, DeleteCustomPluginCommand } from '@aws-sdk/client-kafkaconnect';
import { DeleteEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import type { Pipeline } from '../../functions/pipelines/model.ts';
import {
  connectorSink,
  kafkaOn,
  kafkaTimeout,
  kafkaUnreachable,
  pipelineFixture,
  sdkError,
  selfHosted,
  serverError,
  throttled,
  WorkflowWorld,
} from './harness.ts';

/** The teardown tasks after CheckDrained, in the order the machine runs them. */
const TEARDOWN = ['DeleteConnector', 'DeletePlugin', 'DeleteEventSourceMapping', 'DeleteTopic'];

describe('delete-pipeline state machine', () => {
  let world: WorkflowWorld;
  beforeEach(() => {
    world = new WorkflowWorld();
  });
  afterEach(() => world.restore());

  /** Creates the pipeline through the create machine, then moves it to DELETING as DELETE /pipelines/{id} does. */
  async function activeThenDeleting(over: Partial<Pipeline> = {}): Promise<Pipeline> {
    const p = await world.add(pipelineFixture(over));
    const created = await world.run('create-pipeline', p.id);
    expect(created.pipeline.status).toBe('ACTIVE');
    world.connectMock.resetHistory();
    world.lambdaMock.resetHistory();
    return world.memory.transition(p.id, 'DELETING');
  }

  it('connector sink: deletes the connector (waiting until it is gone), its plugin and its topic, then DELETED', async () => {
    world.connect.deletionPolls = 2;
    const p = await activeThenDeleting({ sink: connectorSink() });
    const run = await world.run('delete-pipeline', p.id);

    expect(run.status).toBe('SUCCEEDED');
    // DeleteConnector thrice more: waiting until the connector is gone.
    expect(run.visited).toEqual([
      'CheckDrained',
      ...Array.from({ length: 3 }, () => 'DeleteConnector'),
      ...TEARDOWN,
      'MarkDeleted',
    ]);
    expect(run.pipeline.status).toBe('DELETED');
    expect(world.connectMock.commandCalls(DeleteConnectorCommand)).toHaveLength(1);
    expect(world.connectMock.commandCalls(DeleteCustomPluginCommand)).toHaveLength(1);
    expect(world.connect.connectors.size).toBe(0);
    expect(world.connect.plugins.size).toBe(0);
    expect(world.kafkaCluster.topics.size).toBe(0);
    expect(await world.memory.activeRoute(p.appIds[0]!)).toBeUndefined();
    expect(
      run.pipeline.steps
        .filter((s) => [...TEARDOWN, 'MarkDeleted'].includes(s.name))
        .map((s) => [s.name, s.status, s.detail]),
    ).toEqual([
      ['DeleteConnector', 'SUCCEEDED', `connector ${p.resources.connectorArn} deleted`],
      ['DeletePlugin', 'SUCCEEDED', `custom plugin ${p.resources.pluginArn} deleted`],
      ['DeleteEventSourceMapping', 'SUCCEEDED', 'no event source mapping to delete'],
      ['DeleteTopic', 'SUCCEEDED', `topic ${p.kafka.topic} deleted`],
      ['MarkDeleted', 'SUCCEEDED', 'pipeline DELETED'],
    ]);
  });

  it('lambda sink on a self-hosted cluster: deletes the mapping and the topic', async () => {
    const p = await activeThenDeleting({ kafka: kafkaOn('clicks', 1, 2, selfHosted()) });
    const run = await world.run('delete-pipeline', p.id);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.pipeline.status).toBe('DELETED');
    expect(world.lambdaMock.commandCalls(DeleteEventSourceMappingCommand)[0]!.args[0].input).toEqual({
      UUID: p.resources.mappingUuid,
    });
    expect(world.esm.mappings.size).toBe(0);
    expect(world.kafkaCluster.topics.size).toBe(0);
    expect(world.kafkaMock.calls()).toHaveLength(0);
  });

  it('leaves a reused topic and a given plugin alone', async () => {
    const { given, reuse } = world.givenSharedTopicAndPlugin(3);
    const p = await activeThenDeleting(reuse);
    const run = await world.run('delete-pipeline', p.id);
    expect(run.pipeline.status).toBe('DELETED');
    expect(world.connect.connectors.size).toBe(0);
    expect([...world.connect.plugins.keys()]).toEqual([given]);
    expect([...world.kafkaCluster.topics.keys()]).toEqual(['shared']);
    expect(world.kafkaCluster.calls).not.toContain('deleteTopics');
  });

  it('is idempotent: resources already gone count as deleted; a vanished MSK cluster took its topic with it', async () => {
    const p = await activeThenDeleting({ sink: connectorSink() });
    world.connect.connectors.clear();
    world.connect.plugins.clear();
    world.cluster = undefined;
    const run = await world.run('delete-pipeline', p.id);
    expect(run.status).toBe('SUCCEEDED');
    expect(run.pipeline.status).toBe('DELETED');
    expect(run.pipeline.steps.find((s) => s.name === 'DeletePlugin')?.detail).toMatch(/was already gone$/);
    expect(run.pipeline.steps.find((s) => s.name === 'DeleteTopic')?.detail).toMatch(/was already gone$/);
  });

  it('finishes what a failed rollback left behind', async () => {
    world.connect.connectorFinalState = 'FAILED';
    const p = await world.add(pipelineFixture({ sink: connectorSink() }));
    world.failAws('DeleteConnector', sdkError('ForbiddenException', 403));
    const failed = await world.run('create-pipeline', p.id);
    expect(failed.pipeline.status).toBe('FAILED');
    expect(world.connect.connectors.size).toBe(1);

    await world.memory.transition(p.id, 'DELETING');
    const run = await world.run('delete-pipeline', p.id);
    expect(run.pipeline.status).toBe('DELETED');
    expect(world.connect.connectors.size).toBe(0);
    expect(world.connect.plugins.size).toBe(0);
  });

  const retryCases: Array<[state: string, inject: (w: WorkflowWorld) => void]> = [
    ['DeleteConnector', (w) => w.failAws('DescribeConnector', throttled(), serverError())],
    ['DeletePlugin', (w) => w.failAws('DeleteCustomPlugin', throttled(), throttled())],
    ['CheckDrained', (w) => w.kafkaCluster.fail('listConsumerGroupOffsets', kafkaUnreachable(), kafkaTimeout())],
    ['DeleteTopic', (w) => w.kafkaCluster.fail('deleteTopics', kafkaUnreachable(), kafkaTimeout())],
    ['MarkDeleted', (w) => w.failStore('transition', sdkError('ThrottlingException', 400), serverError())],
  ];

  it.each(retryCases)('%s retries a transient error twice, then the pipeline is DELETED', async (state, inject) => {
    const p = await activeThenDeleting({ sink: connectorSink() });
    inject(world);
    const run = await world.run('delete-pipeline', p.id);
    expect(run.retries).toEqual({ [state]: 2 });
    expect(run.pipeline.status).toBe('DELETED');
  });

  it('DeleteEventSourceMapping retries a mapping in transition (ResourceInUseException)', async () => {
    const p = await activeThenDeleting();
    world.failAws(
      'DeleteEventSourceMapping',
      sdkError('ResourceInUseException', 400),
      sdkError('TooManyRequestsException', 429),
    );
    const run = await world.run('delete-pipeline', p.id);
    expect(run.retries).toEqual({ DeleteEventSourceMapping: 2 });
    expect(run.pipeline.status).toBe('DELETED');
  });

  it('a permanent failure stops the teardown and marks the pipeline FAILED with the reason; DELETE again retries', async () => {
    const p = await activeThenDeleting();
    world.kafkaCluster.fail(
      'deleteTopics',
      Object.assign(new Error('Topic authorization failed'), { code: 'PLT_KFK_RESPONSE' }),
    );
    const run = await world.run('delete-pipeline', p.id);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('PipelineDeletionFailed');
    expect(run.visited).toEqual(['CheckDrained', ...TEARDOWN, 'MarkFailed']);
    expect(run.pipeline.status).toBe('FAILED');
    expect(run.pipeline.failureReason).toBe(
      `deleting the pipeline failed: could not delete topic ${p.kafka.topic}: Kafka rejected the request (Topic authorization failed)\nDELETE the pipeline again to retry the teardown.`,
    );
    expect(world.esm.mappings.size).toBe(0);

    await world.memory.transition(p.id, 'DELETING');
    const again = await world.run('delete-pipeline', p.id);
    expect(again.pipeline.status).toBe('DELETED');
    expect(world.kafkaCluster.topics.size).toBe(0);
  });

  it('waits until the sink delivered every event of the topic before deleting anything', async () => {
    const p = await activeThenDeleting();
    world.kafkaCluster.sinkLag.push(40, 5);
    const run = await world.run('delete-pipeline', p.id);
    expect(run.visited.slice(0, 4)).toEqual(['CheckDrained', 'CheckDrained', 'CheckDrained', 'DeleteConnector']);
    expect(run.pipeline.status).toBe('DELETED');
    expect(run.pipeline.steps.find((s) => s.name === 'CheckDrained')).toMatchObject({
      status: 'SUCCEEDED',
      detail: expect.stringContaining('check 3'),
    });
  });

  it('a sink that never catches up fails the teardown naming the undelivered events, and deletes nothing', async () => {
    const p = await activeThenDeleting();
    world.kafkaCluster.sinkLag.push(...Array.from({ length: 90 }, () => 7));
    const run = await world.run('delete-pipeline', p.id);
    expect(run.visited.filter((v) => v === 'CheckDrained')).toHaveLength(90);
    expect(run.visited).not.toContain('DeleteEventSourceMapping');
    expect(run.pipeline.status).toBe('FAILED');
    expect(run.pipeline.failureReason).toContain('7 event(s) acknowledged by /collect are still in topic');
    expect(world.esm.mappings.size).toBe(1);
    expect(world.kafkaCluster.topics.size).toBe(1);
  });

  it('refuses to run for a pipeline that is not DELETING', async () => {
    const p = await world.add(pipelineFixture());
    await world.memory.transition(p.id, 'ACTIVE');
    const run = await world.run('delete-pipeline', p.id);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('PipelineNotMarkedFailed');
    expect(run.pipeline.status).toBe('ACTIVE');
    expect(world.lambdaMock.calls()).toHaveLength(0);
  });
});
