/**
 * DescribeConfigs (key 32), v0-3: broker configs (the ones this broker actually honours:
 * auto.create.topics.enable, default.replication.factor, num.partitions, plus a few fixed ones
 * clients and tools look at) and topic configs (defaults plus per-topic overrides).
 */
import type { RequestContext } from '../protocol/api.ts';
import type { ApiDefinition } from '../protocol/api.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { array, field } from '../protocol/schema.ts';
import type { BrokerNode } from '../cluster-state.ts';
import { LISTENER_KINDS, LISTENERS, listenerPort } from '../security/listeners.ts';
import { MESSAGE_MAX_BYTES } from '../record-batch.ts';

interface DescribeConfigsRequest {
  resources: Array<{ resourceType: number; resourceName: string; configurationKeys: string[] | null }>;
  includeSynonyms?: boolean;
  includeDocumentation?: boolean;
}

const RESOURCE_TOPIC = 2;
const RESOURCE_BROKER = 4;
const RESOURCE_BROKER_LOGGER = 8;

/** ConfigSource values (DescribeConfigsResponse). */
const Source = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;
/** ConfigType values (v3+). */
const Type = { BOOLEAN: 1, STRING: 2, INT: 3, SHORT: 4, LONG: 5, LIST: 7 } as const;

interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  source: number;
  type: number;
  documentation: string;
}

function listenerList(node: BrokerNode): string {
  return LISTENER_KINDS.flatMap((k) => {
    const port = listenerPort(node, k);
    return port === undefined ? [] : [`${LISTENERS[k].name}://${node.host}:${port}`];
  }).join(',');
}

function brokerConfigs(ctx: RequestContext, nodeId: number): ConfigEntry[] {
  const { settings } = ctx.cluster;
  const node = ctx.cluster.node(nodeId) ?? ctx.broker;
  const src = (name: string): number =>
    settings.explicit.has(name) ? Source.STATIC_BROKER_CONFIG : Source.DEFAULT_CONFIG;
  const entry = (
    name: string,
    value: string,
    type: number,
    documentation: string,
    source = src(name),
  ): ConfigEntry => ({
    name,
    value,
    readOnly: true,
    source,
    type,
    documentation,
  });
  return [
    entry(
      'auto.create.topics.enable',
      String(settings.autoCreateTopics),
      Type.BOOLEAN,
      'Enable auto creation of topics on the server.',
    ),
    entry(
      'default.replication.factor',
      String(settings.defaultReplicationFactor),
      Type.INT,
      'The replication factor for automatically created topics.',
    ),
    entry(
      'num.partitions',
      String(settings.numPartitions),
      Type.INT,
      'The default number of log partitions per topic.',
    ),
    entry(
      'group.initial.rebalance.delay.ms',
      String(settings.groupInitialRebalanceDelayMs),
      Type.INT,
      'Delay before the first rebalance of an empty group.',
    ),
    entry('broker.id', String(node.nodeId), Type.INT, 'The broker id.', Source.STATIC_BROKER_CONFIG),
    entry('listeners', listenerList(node), Type.LIST, 'Listener list.', Source.STATIC_BROKER_CONFIG),
    entry(
      'advertised.listeners',
      listenerList(node),
      Type.LIST,
      'Listeners published to clients.',
      Source.STATIC_BROKER_CONFIG,
    ),
    entry(
      'listener.security.protocol.map',
      LISTENER_KINDS.map((k) => `${LISTENERS[k].name}:${LISTENERS[k].protocol}`).join(','),
      Type.LIST,
      'Listener names to security protocols.',
      Source.STATIC_BROKER_CONFIG,
    ),
    entry('delete.topic.enable', 'true', Type.BOOLEAN, 'Topics can be deleted.', Source.DEFAULT_CONFIG),
    entry('min.insync.replicas', '1', Type.INT, 'Minimum in-sync replicas for acks=all.', Source.DEFAULT_CONFIG),
    entry(
      'offsets.topic.replication.factor',
      String(Math.min(3, ctx.cluster.nodes.length)),
      Type.SHORT,
      'Replication of committed offsets.',
      Source.DEFAULT_CONFIG,
    ),
    entry(
      'message.max.bytes',
      String(MESSAGE_MAX_BYTES),
      Type.INT,
      'Largest record batch size allowed.',
      Source.DEFAULT_CONFIG,
    ),
  ];
}

const TOPIC_DEFAULTS: ReadonlyArray<[name: string, value: string, type: number]> = [
  ['cleanup.policy', 'delete', Type.LIST],
  ['compression.type', 'producer', Type.STRING],
  ['max.message.bytes', '1048588', Type.INT],
  ['message.timestamp.type', 'CreateTime', Type.STRING],
  ['min.insync.replicas', '1', Type.INT],
  ['retention.bytes', '-1', Type.LONG],
  ['retention.ms', '604800000', Type.LONG],
  ['segment.bytes', '1073741824', Type.INT],
];

function topicConfigs(overrides: ReadonlyMap<string, string>): ConfigEntry[] {
  const entries: ConfigEntry[] = TOPIC_DEFAULTS.map(([name, value, type]) => ({
    name,
    value: overrides.get(name) ?? value,
    readOnly: false,
    source: overrides.has(name) ? Source.DYNAMIC_TOPIC_CONFIG : Source.DEFAULT_CONFIG,
    type,
    documentation: '',
  }));
  for (const [name, value] of overrides) {
    if (!TOPIC_DEFAULTS.some(([n]) => n === name)) {
      entries.push({
        name,
        value,
        readOnly: false,
        source: Source.DYNAMIC_TOPIC_CONFIG,
        type: Type.STRING,
        documentation: '',
      });
    }
  }
  return entries;
}

function describe(
  ctx: RequestContext,
  r: DescribeConfigsRequest['resources'][number],
): { errorCode: number; errorMessage: string | null; configs: ConfigEntry[] } {
  if (r.resourceType === RESOURCE_TOPIC) {
    const topic = ctx.cluster.topics.get(r.resourceName);
    if (topic === undefined)
      return {
        errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
        errorMessage: `Topic '${r.resourceName}' does not exist`,
        configs: [],
      };
    return { errorCode: ErrorCode.NONE, errorMessage: null, configs: topicConfigs(topic.configs) };
  }
  if (r.resourceType === RESOURCE_BROKER || r.resourceType === RESOURCE_BROKER_LOGGER) {
    const nodeId = r.resourceName === '' ? ctx.broker.nodeId : Number(r.resourceName);
    if (!Number.isInteger(nodeId) || ctx.cluster.node(nodeId) === undefined) {
      return {
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: `Unknown broker id '${r.resourceName}'`,
        configs: [],
      };
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      configs: r.resourceType === RESOURCE_BROKER ? brokerConfigs(ctx, nodeId) : [],
    };
  }
  return {
    errorCode: ErrorCode.INVALID_REQUEST,
    errorMessage: `Unsupported resource type ${r.resourceType}`,
    configs: [],
  };
}

export const describeConfigsApi: ApiDefinition<DescribeConfigsRequest, Record<string, unknown>> = {
  key: 32,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 3,
  flexibleFrom: Number.POSITIVE_INFINITY,
  request: [
    array('resources', [
      field('resourceType', 'int8'),
      field('resourceName', 'string'),
      array('configurationKeys', 'string'),
    ]),
    field('includeSynonyms', 'bool', '1+'),
    field('includeDocumentation', 'bool', '3+'),
  ],
  response: [
    field('throttleTimeMs', 'int32'),
    array('results', [
      field('errorCode', 'int16'),
      field('errorMessage', 'string'),
      field('resourceType', 'int8'),
      field('resourceName', 'string'),
      array('configs', [
        field('name', 'string'),
        field('value', 'string'),
        field('readOnly', 'bool'),
        field('isDefault', 'bool', '0'),
        field('configSource', 'int8', '1+'),
        field('isSensitive', 'bool'),
        array('synonyms', [field('name', 'string'), field('value', 'string'), field('source', 'int8')], '1+'),
        field('configType', 'int8', '3+'),
        field('documentation', 'string', '3+'),
      ]),
    ]),
  ],
  handle(ctx, req) {
    const results = req.resources.map((r) => {
      const described = describe(ctx, r);
      const keys = r.configurationKeys;
      const configs = described.configs
        .filter((c) => keys === null || keys.length === 0 || keys.includes(c.name))
        .map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          isDefault: c.source === Source.DEFAULT_CONFIG,
          configSource: c.source,
          isSensitive: false,
          synonyms: req.includeSynonyms === true ? [{ name: c.name, value: c.value, source: c.source }] : [],
          configType: c.type,
          documentation: req.includeDocumentation === true ? c.documentation : null,
        }));
      return {
        errorCode: described.errorCode,
        errorMessage: described.errorMessage,
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        configs,
      };
    });
    return { throttleTimeMs: 0, results };
  },
};
