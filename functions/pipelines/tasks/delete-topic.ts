/**
 * DeleteTopic (teardown and rollback): deletes the topic only when this pipeline created it (an
 * existing topic it reused stays). Idempotent: an unknown topic is done. MSK brokers are looked up
 * again (GetBootstrapBrokers for the pipeline's auth); a cluster that no longer exists took its
 * topics with it.
 */
import { KafkaClient } from '@aws-sdk/client-kafka';
import { awsClientConfig } from '../../lib/aws.ts';
import { optionalString } from '../../lib/config.ts';
import { CLEANUP_STATUSES, type CleanupInput, type CleanupOutput } from './cleanup.ts';
import { isWorkflowError } from './errors.ts';
import {
  clusterDescription,
  isUnknownTopic,
  kafkaAdminFactory,
  kafkaTaskError,
  brokersOf,
  type KafkaAdminPort,
  type OpenKafkaAdmin,
} from './kafka-admin.ts';
import { registryStore, taskHandler, taskLog } from './lambda.ts';
import { loadPipeline, runStep, type TaskDeps } from './step.ts';

export const DELETE_TOPIC_STEP = 'DeleteTopic';

export interface DeleteTopicDeps extends TaskDeps {
  kafka: Pick<KafkaClient, 'send'>;
  openAdmin: OpenKafkaAdmin;
  region: string | undefined;
}

export async function deleteTopic(input: CleanupInput, deps: DeleteTopicDeps): Promise<CleanupOutput> {
  const pipeline = await loadPipeline(deps, input.pipelineId, CLEANUP_STATUSES);
  return runStep(
    deps,
    pipeline.id,
    input.step ?? DELETE_TOPIC_STEP,
    async () => {
      const { topic, topicCreated } = pipeline.resources;
      if (topic === undefined || topicCreated !== true) return { deleted: undefined, alreadyGone: false };
      const brokers = await brokersOf(pipeline, deps);
      if (brokers === undefined || brokers.length === 0) return { deleted: topic, alreadyGone: true };
      let admin: KafkaAdminPort | undefined;
      try {
        admin = await deps.openAdmin(clusterDescription(pipeline, brokers, deps.region));
        if (!(await admin.listTopics()).includes(topic)) return { deleted: topic, alreadyGone: true };
        await admin.deleteTopics({ topics: [topic] });
        return { deleted: topic, alreadyGone: false };
      } catch (error) {
        if (isUnknownTopic(error)) return { deleted: topic, alreadyGone: true };
        if (isWorkflowError(error)) throw error;
        throw kafkaTaskError(error, `delete topic ${topic}`);
      } finally {
        await admin?.close().catch(() => undefined);
      }
    },
    {
      detail: (r) =>
        r.deleted === undefined
          ? 'no topic created by this pipeline to delete'
          : `topic ${r.deleted} ${r.alreadyGone ? 'was already gone' : 'deleted'}`,
    },
  );
}

let deps: DeleteTopicDeps | undefined;
export const handler = taskHandler<CleanupInput, CleanupOutput>(DELETE_TOPIC_STEP, (input) => {
  deps ??= {
    store: registryStore(),
    kafka: new KafkaClient(awsClientConfig()),
    openAdmin: kafkaAdminFactory(),
    region: optionalString(process.env, 'AWS_REGION'),
    log: taskLog,
  };
  return deleteTopic(input, deps);
});
