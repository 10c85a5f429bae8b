/**
 * Amazon MSK control plane (`kafka`), REST-JSON, the read operations the pipelines call:
 *   GET /api/v2/clusters/{clusterArn}                         DescribeClusterV2
 *   GET /api/v2/clusters                                      ListClustersV2
 *   GET /v1/clusters/{clusterArn}                             DescribeCluster
 *   GET /v1/clusters/{clusterArn}/bootstrap-brokers           GetBootstrapBrokers
 *   GET /v1/clusters/{clusterArn}/nodes                       ListNodes
 *   GET /v1/configurations/{arn}                              DescribeConfiguration
 *   GET /v1/configurations/{arn}/revisions/{revision}         DescribeConfigurationRevision
 * over the dev cluster and the extra clusters registered through options or
 * `POST /_local/msk/clusters` (kept in `<dataDir>/msk/clusters.json`).
 */
import { join } from 'node:path';
import { AwsError } from '../errors.ts';
import { readJson, writeJson } from '../json-store.ts';
import type { AwsRequest, AwsResponse, ServiceModule } from '../server.ts';
import {
  bootstrapBrokers,
  configurationArn,
  describeV1,
  describeV2,
  devCluster,
  extraCluster,
  nodes,
  serverPropertiesText,
  type ClusterOverrides,
  type ClusterSpec,
  type DevClusterSettings,
} from './clusters.ts';
import { jsonResponse } from '../json-response.ts';

export interface MskOptions {
  dataDir: string;
  /** The dev cluster (omitted: no dev cluster is described). */
  dev: DevClusterSettings | undefined;
  /** Extra (e.g. rule-breaking) clusters, as overrides of the dev cluster. */
  clusters: readonly ClusterOverrides[];
  region: string;
  accountId: string;
}

const json = (body: unknown): AwsResponse => jsonResponse(body);

const notFound = (what: string, parameter: string): AwsError =>
  new AwsError('NotFoundException', `The requested resource ${what} doesn't exist.`, 404, {
    invalidParameter: parameter,
  });

export class MskService implements ServiceModule {
  readonly service = 'kafka';
  readonly protocol = 'rest-json' as const;
  private readonly options: MskOptions;
  private readonly clusters = new Map<string, ClusterSpec>();
  private readonly storePath: string;
  /** Overrides registered over HTTP (persisted and replayed at start). */
  private registered: ClusterOverrides[];
  readonly devArn: string | undefined;

  constructor(options: MskOptions) {
    this.options = options;
    this.storePath = join(options.dataDir, 'msk', 'clusters.json');
    const dev = options.dev ? devCluster(options.dev, options.region, options.accountId) : undefined;
    this.devArn = dev?.arn;
    if (dev) this.clusters.set(dev.arn, dev);
    this.registered = readJson<ClusterOverrides[]>(this.storePath, []);
    for (const overrides of [...options.clusters, ...this.registered]) this.add(overrides);
  }

  private base(): ClusterSpec {
    const dev = this.devArn ? this.clusters.get(this.devArn) : undefined;
    return dev ?? devCluster({ brokers: ['127.0.0.1:9092'] }, this.options.region, this.options.accountId);
  }

  private add(overrides: ClusterOverrides): ClusterSpec {
    const cluster = extraCluster(this.base(), overrides, this.options.region, this.options.accountId);
    if (cluster.arn === this.devArn) throw new Error(`${cluster.arn} is the dev cluster's ARN`);
    this.clusters.set(cluster.arn, cluster);
    return cluster;
  }

  /** Registers an extra cluster (control route); returns its DescribeClusterV2 shape. */
  register(overrides: ClusterOverrides): Record<string, unknown> {
    const cluster = this.add(overrides);
    this.registered = [
      ...this.registered.filter((o) => (o.arn ?? '') !== cluster.arn && o.name !== cluster.name),
      { ...overrides, arn: cluster.arn },
    ];
    writeJson(this.storePath, this.registered);
    return describeV2(cluster);
  }

  unregister(arn: string): boolean {
    if (arn === this.devArn || !this.clusters.delete(arn)) return false;
    this.registered = this.registered.filter((o) => o.arn !== arn);
    writeJson(this.storePath, this.registered);
    return true;
  }

  list(): Record<string, unknown>[] {
    return [...this.clusters.values()].map(describeV2);
  }

  /** The brokers a mapping or connector on this MSK cluster connects to. */
  brokersFor(arn: string): readonly string[] | undefined {
    return this.clusters.get(arn)?.brokers;
  }

  /**
   * How Lambda's pollers reach an MSK cluster, as Lambda chooses: SASL/SCRAM when the mapping
   * names a secret, else IAM when the cluster enables it (signed with the execution role's
   * credentials), else TLS when the cluster allows it, else plaintext. Undefined for unknown
   * clusters; throws when the mapping asks for SCRAM the cluster does not offer.
   */
  connectionFor(
    arn: string,
    scramSecretArn: string | undefined,
  ):
    | {
        brokers: readonly string[];
        auth: 'none' | 'tls' | 'scram' | 'iam';
        region: string;
        scramSecretArn?: string;
      }
    | undefined {
    const cluster = this.clusters.get(arn);
    if (!cluster) return undefined;
    const region = /^arn:aws[a-z-]*:kafka:([a-z0-9-]+):/.exec(arn)?.[1] ?? this.options.region;
    const strings = bootstrapBrokers(cluster);
    const split = (value: string | undefined): string[] => (value ?? '').split(',').filter((b) => b !== '');
    if (scramSecretArn !== undefined) {
      const brokers = split(strings.bootstrapBrokerStringSaslScram);
      if (brokers.length === 0)
        throw new Error(`SASL/SCRAM authentication is not enabled on the MSK cluster ${cluster.name}`);
      return { brokers, auth: 'scram', region, scramSecretArn };
    }
    if (strings.bootstrapBrokerStringSaslIam)
      return { brokers: split(strings.bootstrapBrokerStringSaslIam), auth: 'iam', region };
    if (strings.bootstrapBrokerStringTls)
      return { brokers: split(strings.bootstrapBrokerStringTls), auth: 'tls', region };
    return { brokers: cluster.brokers, auth: 'none', region };
  }

  /** Subnet → VPC of every described cluster (the local EC2 DescribeSubnets answers from it). */
  subnets(): Map<string, { vpcId: string; index: number }> {
    const out = new Map<string, { vpcId: string; index: number }>();
    for (const cluster of this.clusters.values()) {
      cluster.subnetIds.forEach((subnet, index) => {
        if (!out.has(subnet)) out.set(subnet, { vpcId: cluster.vpcId, index });
      });
    }
    return out;
  }

  private cluster(arn: string): ClusterSpec {
    const cluster = this.clusters.get(arn);
    if (!cluster) throw notFound(arn, 'clusterArn');
    return cluster;
  }

  async handle(request: AwsRequest): Promise<AwsResponse> {
    if (request.method !== 'GET')
      throw new AwsError(
        'BadRequestException',
        `The local MSK provides read operations only (${request.method} ${request.path})`,
        400,
      );
    const path = request.path
      .split('/')
      .map((segment) => decodeURIComponent(segment))
      .join('/')
      .replace(/\/+$/, '');
    let m: RegExpExecArray | null;
    if (path === '/api/v2/clusters' || path === '/v1/clusters')
      return json(this.listClusters(request, path.startsWith('/api/v2')));
    if ((m = /^\/api\/v2\/clusters\/(.+)$/.exec(path)))
      return json({ clusterInfo: describeV2(this.cluster(m[1] ?? '')) });
    if ((m = /^\/v1\/clusters\/(.+)\/bootstrap-brokers$/.exec(path)))
      return json(this.bootstrap(this.cluster(m[1] ?? '')));
    if ((m = /^\/v1\/clusters\/(.+)\/nodes$/.exec(path)))
      return json(this.listNodes(this.cluster(m[1] ?? ''), request));
    if ((m = /^\/v1\/clusters\/(.+)$/.exec(path)))
      return json({ clusterInfo: this.describeV1(this.cluster(m[1] ?? '')) });
    if ((m = /^\/v1\/configurations\/(.+)\/revisions\/([^/]+)$/.exec(path)))
      return json(this.revision(m[1] ?? '', m[2] ?? ''));
    if ((m = /^\/v1\/configurations\/(.+)$/.exec(path))) return json(this.configuration(m[1] ?? ''));
    throw new AwsError('NotFoundException', `The local MSK does not provide GET ${request.path}`, 404);
  }

  private listClusters(request: AwsRequest, v2: boolean): Record<string, unknown> {
    const nameFilter = request.query.get('clusterNameFilter');
    const typeFilter = request.query.get('clusterTypeFilter');
    const all = [...this.clusters.values()]
      .filter((c) => nameFilter === null || c.name.startsWith(nameFilter))
      .filter((c) => typeFilter === null || c.type === typeFilter)
      .filter((c) => v2 || c.type === 'PROVISIONED');
    return v2 ? { clusterInfoList: all.map(describeV2) } : { clusterInfoList: all.map((c) => describeV1(c)) };
  }

  private describeV1(cluster: ClusterSpec): Record<string, unknown> {
    if (cluster.type !== 'PROVISIONED')
      throw new AwsError(
        'BadRequestException',
        'This operation is not supported for serverless clusters. Use DescribeClusterV2.',
        400,
      );
    return describeV1(cluster);
  }

  private bootstrap(cluster: ClusterSpec): Record<string, string> {
    if (cluster.state !== 'ACTIVE') {
      throw new AwsError(
        'BadRequestException',
        `You can't get bootstrap brokers for a cluster in the ${cluster.state} state.`,
        400,
        { invalidParameter: 'clusterArn' },
      );
    }
    return bootstrapBrokers(cluster);
  }

  private listNodes(cluster: ClusterSpec, request: AwsRequest): Record<string, unknown> {
    if (cluster.type !== 'PROVISIONED')
      throw new AwsError('BadRequestException', 'This operation is not supported for serverless clusters.', 400);
    const all = nodes(cluster);
    const max = Number(request.query.get('maxResults') ?? 100);
    const start = Number(request.query.get('nextToken') ?? 0);
    const page = all.slice(start, start + max);
    return { nodeInfoList: page, ...(start + max < all.length ? { nextToken: String(start + max) } : {}) };
  }

  private configurationOf(arn: string): ClusterSpec {
    for (const cluster of this.clusters.values()) {
      if (cluster.serverProperties && configurationArn(cluster) === arn) return cluster;
    }
    throw notFound(arn, 'arn');
  }

  private configuration(arn: string): Record<string, unknown> {
    const cluster = this.configurationOf(arn);
    const created = new Date(cluster.creationTime).toISOString();
    return {
      arn,
      creationTime: created,
      description: `Configuration of ${cluster.name}`,
      kafkaVersions: [cluster.kafkaVersion],
      latestRevision: { creationTime: created, description: 'Revision 1', revision: 1 },
      name: `${cluster.name}-config`,
      state: 'ACTIVE',
    };
  }

  private revision(arn: string, revision: string): Record<string, unknown> {
    const cluster = this.configurationOf(arn);
    if (revision !== '1') throw notFound(`${arn} revision ${revision}`, 'revision');
    return {
      arn,
      creationTime: new Date(cluster.creationTime).toISOString(),
      description: 'Revision 1',
      revision: 1,
      serverProperties: Buffer.from(serverPropertiesText(cluster.serverProperties ?? {})).toString('base64'),
    };
  }
}
