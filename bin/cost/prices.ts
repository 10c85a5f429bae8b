/**
 * AWS list prices the cost model (bin/cost.ts) uses: us-east-1 (N. Virginia), on-demand, no free
 * tier, no savings plans, USD. One place, each with the page it comes from.
 *
 * Taken on 2026-12-04 as published in 2026, from the pricing pages below as the author knows
 * them: this machine has no internet access, so they were not re-read that day. AWS changes
 * prices rarely and mostly downwards, but check each page before relying on a figure; a changed
 * price is changed here and `npm run cost` recomputes docs/cost.md (test/unit/cost/cost-doc.test.ts
 * fails until it is regenerated).
 */
export const PRICES_AS_OF = '2026-12-04 (as published in 2026; verify at the source pages)';

export const prices = {
  apiGatewayHttp: {
    source: 'https://aws.amazon.com/api-gateway/pricing/',
    /** HTTP APIs, per million requests: the first 300 million a month, then the rest. Each 512 KB is one request. */
    perMillionFirst300M: 1.0,
    perMillionAfter300M: 0.9,
  },
  lambda: {
    source: 'https://aws.amazon.com/lambda/pricing/',
    perMillionRequests: 0.2,
    /** Arm (Graviton) duration, per GB-second, first 7.5 billion GB-s a month (the tiers beyond are not reached here). */
    armPerGbSecond: 0.0000133334,
    /** Function URLs: no charge beyond the function's requests and duration. */
    functionUrl: 0,
    /**
     * Provisioned mode of a Kafka event source mapping: per Event Poller Unit hour. One EPU holds
     * up to 10 pollers / 20 MB/s; a mapping outside a poller group takes at least one EPU.
     */
    kafkaEpuHour: 0.185,
    kafkaEpuMBps: 20,
    /** CPU is allocated in proportion to memory: one full vCPU at 1,769 MB. */
    mbPerVcpu: 1769,
  },
  elb: {
    source: 'https://aws.amazon.com/elasticloadbalancing/pricing/',
    albHour: 0.0225,
    lcuHour: 0.008,
    /** One LCU: 25 new connections/s, 3,000 active connections/min, 0.4 GB/h processed for Lambda targets, 1,000 rule evaluations/s. */
    lcuNewConnectionsPerS: 25,
    lcuActiveConnectionsPerMin: 3000,
    lcuLambdaGbPerHour: 0.4,
  },
  msk: {
    source: 'https://aws.amazon.com/msk/pricing/',
    /** Standard brokers, per broker-hour. */
    brokerHour: { 'kafka.t3.small': 0.0456, 'kafka.m7g.large': 0.204, 'kafka.m5.large': 0.21 } as Record<
      string,
      number
    >,
    storageGbMonth: 0.1,
    /** MSK Connect, per MSK Connect Unit (1 vCPU, 4 GiB) hour. */
    connectMcuHour: 0.11,
  },
  dataTransfer: {
    source: 'https://aws.amazon.com/ec2/pricing/on-demand/#Data_Transfer',
    /** Between AZs of a region: charged on each side (out of one AZ and into the other). Broker-to-broker replication inside an MSK cluster is free. */
    crossAzPerGbEachWay: 0.01,
    /** To the internet, first 10 TB a month (next 40 TB: 0.085). */
    internetOutPerGbFirst10Tb: 0.09,
    internetOutPerGbNext40Tb: 0.085,
  },
  firehose: {
    source: 'https://aws.amazon.com/firehose/pricing/',
    /** Direct PUT ingestion, per GB, first 500 TB a month; each record is rounded up to the next 5 KB. */
    directPutPerGb: 0.029,
    recordRoundingBytes: 5 * 1024,
    /** Dynamic partitioning: per GB processed, per 1,000 S3 objects delivered, per JQ processing hour. */
    dynamicPartitioningPerGb: 0.02,
    dynamicPartitioningPer1000Objects: 0.005,
    jqHour: 0.07,
  },
  s3: {
    source: 'https://aws.amazon.com/s3/pricing/',
    standardGbMonth: 0.023,
    per1000Puts: 0.005,
  },
  cloudwatchLogs: {
    source: 'https://aws.amazon.com/cloudwatch/pricing/',
    /** Standard log class ingestion, per GB (Lambda logs: first 10 TB a month at this rate). */
    ingestPerGb: 0.5,
    /** CloudWatch meters each log event's bytes plus 26 bytes of metadata. */
    eventOverheadBytes: 26,
  },
  dynamodb: {
    source: 'https://aws.amazon.com/dynamodb/pricing/on-demand/',
    /** On-demand, per million read request units (an eventually consistent GetItem of < 4 KB is half a unit). */
    perMillionReadUnits: 0.125,
  },
} as const;

/**
 * The published ingestion costs of Clickstream Analytics on AWS (MSK as the buffer, 10 events of
 * ~200 bytes a request, us-east-1), from its implementation guide's cost section:
 * https://docs.aws.amazon.com/solutions/latest/clickstream-analytics-on-aws/plan-deployment.html (Cost).
 */
export const anchor = {
  source: 'https://docs.aws.amazon.com/solutions/latest/clickstream-analytics-on-aws/plan-deployment.html',
  monthly: {
    'Fargate + MSK': { 10: 466.8, 100: 492.8, 1000: 938.8 },
    'EC2 + MSK': { 10: 570.8, 100: 596.8, 1000: 988.8 },
  } as Record<string, Record<number, number>>,
};
