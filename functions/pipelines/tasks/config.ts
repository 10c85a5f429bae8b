/**
 * Environment of the task functions (serverless.yml sets on each function only what it reads).
 * Read once per container; a missing or malformed variable fails with its name.
 */
import { ConfigError } from '../../lib/errors.ts';
import { list, requiredString, type Env } from '../../lib/config.ts';
import type { Pipeline } from '../model.ts';

export interface StackNetworkConfig {
  /** VPC_ID: the solution's VPC (the same-VPC rule). */
  vpcId: string;
  /** SUBNET_IDS: the solution's subnets (comma-separated), used by connectors and self-managed mappings. */
  subnetIds: string[];
  /** SECURITY_GROUP_ID: the solution's security group, allowed by the brokers. */
  securityGroupId: string;
}

export function readStackNetwork(env: Env): StackNetworkConfig {
  const vpcId = requiredString(env, 'VPC_ID');
  if (!/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) throw new ConfigError(`VPC_ID='${vpcId}' must be a VPC id (vpc-…)`);
  const subnetIds = list(env, 'SUBNET_IDS');
  if (subnetIds.length === 0) throw new ConfigError('SUBNET_IDS is required but not set');
  for (const id of subnetIds)
    if (!/^subnet-[0-9a-f]{8,17}$/.test(id))
      throw new ConfigError(`SUBNET_IDS contains '${id}', which is not a subnet id`);
  const securityGroupId = requiredString(env, 'SECURITY_GROUP_ID');
  if (!/^sg-[0-9a-f]{8,17}$/.test(securityGroupId))
    throw new ConfigError(`SECURITY_GROUP_ID='${securityGroupId}' must be a security group id (sg-…)`);
  return { vpcId, subnetIds, securityGroupId };
}

/** AWS_REGION (set by Lambda). */
export function readRegion(env: Env): string {
  return requiredString(env, 'AWS_REGION');
}

/** The partition of a region, for ARNs built by hand (arn:aws:s3:::bucket). */
export function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/** The security groups a pipeline's sink attaches: the solution's, plus the self-hosted cluster's. */
export function sinkSecurityGroups(pipeline: Pipeline, network: StackNetworkConfig): string[] {
  const cluster = pipeline.kafka.cluster;
  return [
    ...new Set([
      network.securityGroupId,
      ...(cluster.type === 'self-hosted' && cluster.securityGroupId ? [cluster.securityGroupId] : []),
    ]),
  ];
}

export { requiredString };
