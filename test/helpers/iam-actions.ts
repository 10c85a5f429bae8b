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
