/**
 * IAM action lists as the template tests expect them (order included), each named once for what
 * it grants: shared by several roles, or one role's grant that the tests spell out.
 */

/** What MSK Connect and Lambda's MSK pollers need to reach a cluster in the VPC: ENIs and the cluster's description. */
export const MSK_IN_VPC = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterface',
  'ec2:DescribeVpcs',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
  'kafka:DescribeCluster',
  'kafka:DescribeClusterV2',
  'kafka:GetBootstrapBrokers',
];

/** What a Lambda function attached to the VPC needs for its network interfaces (as AWSLambdaVPCAccessExecutionRole). */
export const LAMBDA_VPC_ENI = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
];

/** The actions of one policy statement, whose Action is a string or a list. */
export const statementActions = (s: { Action: string | string[] }): string[] =>
  Array.isArray(s.Action) ? s.Action : [s.Action];

/** What Lambda's MSK pollers need to consume a topic in a consumer group with IAM access control. */
export const CONSUME_WITH_IAM = [
  'kafka-cluster:Connect',
  'kafka-cluster:DescribeClusterDynamicConfiguration',
  'kafka-cluster:DescribeTopic',
  'kafka-cluster:ReadData',
  'kafka-cluster:DescribeGroup',
  'kafka-cluster:AlterGroup',
];

/** What the ingest needs on one cluster to write a topic idempotently, SCRAM secret included. */
export const WRITE_TO_CLUSTER = [
  'kafka-cluster:Connect',
  'kafka-cluster:DescribeTopic',
  'kafka-cluster:WriteData',
  'kafka-cluster:WriteDataIdempotently',
  'secretsmanager:GetSecretValue',
];

/** What every function's role needs to write its own log stream. */
export const LAMBDA_LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
