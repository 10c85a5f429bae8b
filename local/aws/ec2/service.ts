/**
 * Amazon EC2 (`ec2`, Query protocol, XML answers), only DescribeSubnets: the pipelines'
 * ValidateCluster task asks it for the VPC of an MSK cluster's client subnets that are not the
 * stack's own. The subnets it knows are those of the clusters the local MSK describes (each in
 * its cluster's VPC); any other id is `InvalidSubnetID.NotFound`, as EC2 answers.
 */
import { randomUUID } from 'node:crypto';
import { escapeXml, type AwsRequest, type AwsResponse, type ServiceModule } from '../server.ts';

export interface Ec2Options {
  /** subnet id → its VPC and its position in its cluster (for a plausible CIDR and AZ). */
  subnets(): Map<string, { vpcId: string; index: number }>;
}

const NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

function xmlError(code: string, message: string, status = 400): AwsResponse {
  return {
    status,
    headers: { 'content-type': 'text/xml;charset=UTF-8' },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`,
  };
}

/** Query parameters `Prefix.1`, `Prefix.2`, ... in order. */
function listParam(params: URLSearchParams, prefix: string): string[] {
  return [...params.entries()]
    .filter(([k]) => new RegExp(`^${prefix.replace('.', '\\.')}\\.\\d+$`).test(k))
    .sort(([a], [b]) => Number(a.split('.').pop()) - Number(b.split('.').pop()))
    .map(([, v]) => v);
}

export class Ec2Service implements ServiceModule {
  readonly service = 'ec2';
  readonly protocol = 'rest-xml' as const;
  private readonly options: Ec2Options;

  constructor(options: Ec2Options) {
    this.options = options;
  }

  async handle(request: AwsRequest): Promise<AwsResponse> {
    const params = new URLSearchParams(request.query);
    if (request.method === 'POST')
      for (const [k, v] of new URLSearchParams(request.body.toString('utf8'))) params.append(k, v);
    const action = params.get('Action');
    if (action !== 'DescribeSubnets') {
      return xmlError(
        'UnsupportedOperation',
        `The local EC2 provides DescribeSubnets only, not ${action ?? '(no Action)'}`,
      );
    }
    const known = this.options.subnets();
    const ids = listParam(params, 'SubnetId');
    for (const id of ids) {
      if (!known.has(id)) return xmlError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
    }
    const vpcFilter: string[] = [];
    for (let i = 1; params.has(`Filter.${i}.Name`); i++) {
      if (params.get(`Filter.${i}.Name`) === 'vpc-id') vpcFilter.push(...listParam(params, `Filter.${i}.Value`));
    }
    const candidates: Array<[string, { vpcId: string; index: number }]> =
      ids.length > 0
        ? [...new Set(ids)].map((id) => [id, known.get(id) ?? { vpcId: '', index: 0 }])
        : [...known.entries()];
    const selected = candidates.filter(([, s]) => vpcFilter.length === 0 || vpcFilter.includes(s.vpcId));
    const items = selected
      .map(([id, s]) =>
        [
          '<item>',
          `<subnetId>${escapeXml(id)}</subnetId>`,
          '<state>available</state>',
          `<vpcId>${escapeXml(s.vpcId)}</vpcId>`,
          `<cidrBlock>10.0.${s.index + 1}.0/24</cidrBlock>`,
          '<availableIpAddressCount>250</availableIpAddressCount>',
          `<availabilityZone>${request.region}${String.fromCharCode(97 + (s.index % 6))}</availabilityZone>`,
          '<defaultForAz>false</defaultForAz>',
          '<mapPublicIpOnLaunch>false</mapPublicIpOnLaunch>',
          `<ownerId>${request.accountId}</ownerId>`,
          `<subnetArn>arn:aws:ec2:${request.region}:${request.accountId}:subnet/${escapeXml(id)}</subnetArn>`,
          '</item>',
        ].join(''),
      )
      .join('');
    return {
      status: 200,
      headers: { 'content-type': 'text/xml;charset=UTF-8' },
      body: `<?xml version="1.0" encoding="UTF-8"?>\n<DescribeSubnetsResponse xmlns="${NS}"><requestId>${request.requestId}</requestId><subnetSet>${items}</subnetSet></DescribeSubnetsResponse>`,
    };
  }
}
