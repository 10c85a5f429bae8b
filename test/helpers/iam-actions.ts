/**
 * IAM action lists several roles share, as the template tests expect them (order included).
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

/** What every function's role needs to write its own log stream. */
export const LAMBDA_LOGS = ['logs:CreateLogStream', 'logs:PutLogEvents'];
