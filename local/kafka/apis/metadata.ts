/**
 * Metadata (key 3), v0-12 (flexible from 9). Versions 10+ carry topic ids, which
 * @platformatic/kafka uses to key its fetch state, so this API goes up to 12 although kafkajs
 * stops at 6. Unknown topics are auto-created when both the request and the cluster allow it.
 */
import { validateTopicName, type PartitionState, type TopicState } from '../cluster-state.ts';
import type { ApiDefinition, RequestContext } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';
import { listenerPort } from '../security/listeners.ts';

interface MetadataRequest {
  topics: Array<{ topicId?: Buffer; name: string | null }> | null;
  allowAutoTopicCreation?: boolean;
}

const AUTHORIZED_OPERATIONS_UNKNOWN = -2147483648;

function describePartition(ctx: RequestContext, p: PartitionState): Record<string, unknown> {
  const up = (id: number): boolean => ctx.cluster.node(id)?.up === true;
  return {
    errorCode: p.leader === -1 ? ErrorCode.LEADER_NOT_AVAILABLE : ErrorCode.NONE,
    partitionIndex: p.index,
    leaderId: p.leader,
    leaderEpoch: p.leaderEpoch,
    replicaNodes: p.replicas,
    isrNodes: p.replicas.filter(up),
    offlineReplicas: p.replicas.filter((id) => !up(id)),
  };
}

function describeTopic(ctx: RequestContext, t: TopicState): Record<string, unknown> {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: false,
    partitions: t.partitions.map((p) => describePartition(ctx, p)),
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_UNKNOWN,
  };
}

function unknownTopic(name: string | null, topicId?: Buffer): Record<string, unknown> {
  return {
    errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
    name,
    topicId: topicId ?? null,
    partitions: [],
    topicAuthorizedOperations: AUTHORIZED_OPERATIONS_UNKNOWN,
  };
}

export const metadataApi: ApiDefinition<MetadataRequest, Record<string, unknown>> = {
  key: 3,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  flexibleFrom: 9,
  request: [
    array('topics', [field('topicId', 'uuid', '10+'), field('name', 'string')]),
    field('allowAutoTopicCreation', 'bool', '4+'),
    field('includeClusterAuthorizedOperations', 'bool', '8-10'),
    field('includeTopicAuthorizedOperations', 'bool', '8+'),
  ],
  response: [
    field('throttleTimeMs', 'int32', '3+'),
    array('brokers', [
      field('nodeId', 'int32'),
      field('host', 'string'),
      field('port', 'int32'),
      field('rack', 'string', '1+'),
    ]),
    field('clusterId', 'string', '2+'),
    field('controllerId', 'int32', '1+'),
    array('topics', [
      field('errorCode', 'int16'),
      field('name', 'string'),
      field('topicId', 'uuid', '10+'),
      field('isInternal', 'bool', '1+'),
      array('partitions', [
        field('errorCode', 'int16'),
        field('partitionIndex', 'int32'),
        field('leaderId', 'int32'),
        field('leaderEpoch', 'int32', '7+'),
        array('replicaNodes', 'int32'),
        array('isrNodes', 'int32'),
        array('offlineReplicas', 'int32', '5+'),
      ]),
      field('topicAuthorizedOperations', 'int32', '8+'),
    ]),
    field('clusterAuthorizedOperations', 'int32', '8-10'),
  ],
  handle(ctx, req) {
    const { cluster } = ctx;
    const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
    const allowAutoCreate = req.allowAutoTopicCreation ?? true;
    let topics: Array<Record<string, unknown>>;
    if (all) {
      topics = [...cluster.topics.values()].map((t) => describeTopic(ctx, t));
    } else {
      topics = (req.topics ?? []).map((requested) => {
        const byId = requested.name === null && requested.topicId !== undefined;
        let topic = byId ? cluster.topicById(requested.topicId!) : cluster.topics.get(requested.name ?? '');
        if (topic === undefined && !byId && requested.name !== null) {
          if (validateTopicName(requested.name) !== null)
            return { ...unknownTopic(requested.name), errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION };
          if (allowAutoCreate) topic = cluster.autoCreate(requested.name) ?? undefined;
        }
        return topic === undefined ? unknownTopic(requested.name, requested.topicId) : describeTopic(ctx, topic);
      });
    }
    return {
      throttleTimeMs: 0,
      // Each client sees the brokers on the listener it came in through, as with Kafka's
      // per-listener advertised.listeners.
      brokers: cluster.liveNodes().map((n) => ({
        nodeId: n.nodeId,
        host: n.host,
        port: listenerPort(n, ctx.listener) ?? n.port,
        rack: null,
      })),
      clusterId: cluster.settings.clusterId,
      controllerId: cluster.controllerId(),
      topics,
      clusterAuthorizedOperations: AUTHORIZED_OPERATIONS_UNKNOWN,
    };
  },
};
