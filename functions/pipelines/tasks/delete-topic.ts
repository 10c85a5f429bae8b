/**
 * DeleteTopic (teardown and rollback): deletes the topic only when this pipeline created it (an
 * existing topic it reused stays). Idempotent: an unknown topic is done. MSK brokers are looked up
 * again (GetBootstrapBrokers for the pipeline's auth); a cluster that no longer exists took its
 * topics with it.
 */
import { cleanupStep, type CleanupInput, type CleanupOutput } from './cleanup.ts';
import { kafkaAdminPorts, withTopicAdmin, type KafkaAdminDeps } from './kafka-admin.ts';
import { taskLambda } from './lambda.ts';
import type { TaskDeps } from './step.ts';

export const DELETE_TOPIC_STEP = 'DeleteTopic';

export interface DeleteTopicDeps extends TaskDeps, KafkaAdminDeps {}

export async function deleteTopic(input: CleanupInput, deps: DeleteTopicDeps): Promise<CleanupOutput> {
  return cleanupStep(deps, input, {
    step: DELETE_TOPIC_STEP,
    kind: 'topic',
    nothing: 'no topic created by this pipeline to delete',
    find: async ({ resources }) => (resources.topicCreated === true ? resources.topic : undefined),
    remove: async (topic, pipeline) => {
      const deleted = await withTopicAdmin(pipeline, topic, deps, `delete topic ${topic}`, async (admin) => {
        await admin.deleteTopics({ topics: [topic] });
        return true;
      });
      return deleted === undefined;
    },
  });
}

export const handler = taskLambda(DELETE_TOPIC_STEP, deleteTopic, kafkaAdminPorts);
