/**
 * Amazon MSK Connect (`kafkaconnect`), REST-JSON:
 *   POST   /v1/custom-plugins                 CreateCustomPlugin   (name taken: ConflictException 409)
 *   GET    /v1/custom-plugins                 ListCustomPlugins
 *   GET    /v1/custom-plugins/{arn}           DescribeCustomPlugin
 *   DELETE /v1/custom-plugins/{arn}           DeleteCustomPlugin
 *   POST   /v1/connectors                     CreateConnector      (name taken: ConflictException 409)
 *   GET    /v1/connectors                     ListConnectors
 *   GET    /v1/connectors/{arn}               DescribeConnector
 *   DELETE /v1/connectors/{arn}               DeleteConnector
 *
 * States move as the service's do, only faster: a plugin is CREATING, then ACTIVE after
 * `pluginDelayMs` (CREATE_FAILED when its S3 file key contains `fail`, or by the fault switch);
 * a connector is CREATING until `connectorDelayMs` has passed and its sink has joined its
 * consumer group, then RUNNING (FAILED when its configuration is refused, its sink fails, or by
 * the fault switch); DELETING, then gone (404) after `deleteDelayMs`.
 * A RUNNING `io.confluent.connect.s3.S3SinkConnector` really sinks its topics into the local S3
 * tree (`s3-sink.ts`). State is kept in `<dataDir>/kafkaconnect/state.json`; running connectors
 * start again after a restart, from their committed offsets.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { AwsError } from '../errors.ts';
import { readJson, writeJson } from '../json-store.ts';
import type { OpenKafkaSource } from '../lambda/kafka-source.ts';
import { log } from '../logger.ts';
import { objectPath } from '../s3/tree.ts';
import type { AwsRequest, AwsResponse, ServiceModule } from '../server.ts';
import { parseSinkConfig, S3_SINK_CLASS, S3Sink, SinkConfigError, type SinkStats } from './s3-sink.ts';
import { jsonResponse } from '../json-response.ts';

type Json = Record<string, unknown>;
export type PluginState = 'CREATING' | 'CREATE_FAILED' | 'ACTIVE' | 'UPDATING' | 'UPDATE_FAILED' | 'DELETING';
export type ConnectorState = 'CREATING' | 'RUNNING' | 'UPDATING' | 'DELETING' | 'FAILED';

interface PluginRecord {
  arn: string;
  name: string;
  description?: string;
  contentType: 'JAR' | 'ZIP';
  location: { bucketArn: string; fileKey: string; objectVersion?: string };
  state: PluginState;
  stateDescription?: { code: string; message: string };
  fileDescription?: { fileMd5: string; fileSize: number };
  /** epoch ms */
  creationTime: number;
  tags: Record<string, string>;
}

interface ConnectorRecord {
  arn: string;
  name: string;
  description?: string;
  request: Json;
  configuration: Record<string, string>;
  state: ConnectorState;
  stateDescription?: { code: string; message: string };
  creationTime: number;
  currentVersion: string;
}

export interface KafkaConnectFaults {
  /** The next n custom plugins end CREATE_FAILED. */
  failNextPlugins: number;
  /** The next n connectors end FAILED. */
  failNextConnectors: number;
}

export interface KafkaConnectOptions {
  dataDir: string;
  openSource: OpenKafkaSource;
  pluginDelayMs?: number;
  connectorDelayMs?: number;
  deleteDelayMs?: number;
  /** Consulted before each object a connector writes (injected S3 faults); see s3-sink.ts. */
  beforeWrite?: (bucket: string, key: string) => Error | undefined;
  /** Wait before a connector retries a failed S3 write (default 3000 ms). */
  writeRetryBackoffMs?: number;
}

const BASE_PLUGINS = '/v1/custom-plugins';
const BASE_CONNECTORS = '/v1/connectors';
const NAME = /^[a-zA-Z0-9-]{1,128}$/;
const BUCKET_ARN = /^arn:aws[a-z-]*:s3:::([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/;

const json = (body: unknown): AwsResponse => jsonResponse(body);
const iso = (ms: number): string => new Date(ms).toISOString();
const badRequest = (message: string): AwsError => new AwsError('BadRequestException', message, 400);
const notFound = (arn: string): AwsError =>
  new AwsError('NotFoundException', `Resource with arn ${arn} was not found.`, 404);

/** The record of `arn`, or MSK Connect's NotFoundException. */
function known<R>(records: ReadonlyMap<string, R>, arn: string): R {
  const record = records.get(arn);
  if (record === undefined) throw notFound(arn);
  return record;
}

/** A resource name member as MSK Connect accepts it. */
function requireName(body: Json, member: string): string {
  const name = body[member];
  if (typeof name !== 'string' || !NAME.test(name))
    throw badRequest(`${member} must be 1-128 letters, digits and hyphens`);
  return name;
}
const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function arnSuffix(): string {
  return `${randomUUID()}-${Math.floor(Math.random() * 9) + 1}`;
}

function page<T>(items: readonly T[], request: AwsRequest): { items: T[]; nextToken?: string } {
  const max = Number(request.query.get('maxResults') ?? 100);
  if (!Number.isInteger(max) || max < 1 || max > 100) throw badRequest('maxResults must be between 1 and 100');
  const start =
    request.query.get('nextToken') === null
      ? 0
      : Number(Buffer.from(request.query.get('nextToken') ?? '', 'base64url').toString('utf8'));
  if (!Number.isInteger(start) || start < 0) throw badRequest('Invalid nextToken');
  const slice = items.slice(start, start + max);
  return start + max < items.length
    ? { items: slice, nextToken: Buffer.from(String(start + max)).toString('base64url') }
    : { items: slice };
}

/**
 * A List* answer: the records whose name starts with the `prefixParam` query value, oldest
 * first, one page of their summaries under `listKey`.
 */
function listPage<R extends { name: string; creationTime: number }>(
  records: Iterable<R>,
  request: AwsRequest,
  prefixParam: string,
  listKey: string,
  summary: (record: R) => Json,
): Json {
  const prefix = request.query.get(prefixParam) ?? '';
  const all = [...records].filter((r) => r.name.startsWith(prefix)).sort((a, b) => a.creationTime - b.creationTime);
  const { items, nextToken } = page(all, request);
  return { [listKey]: items.map(summary), ...(nextToken ? { nextToken } : {}) };
}

export class KafkaConnectService implements ServiceModule {
  readonly service = 'kafkaconnect';
  readonly protocol = 'rest-json' as const;
  private readonly options: KafkaConnectOptions;
  private readonly plugins = new Map<string, PluginRecord>();
  private readonly connectors = new Map<string, ConnectorRecord>();
  private readonly sinks = new Map<string, S3Sink>();
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly storePath: string;
  private readonly s3Root: string;
  private closed = false;
  readonly faults: KafkaConnectFaults = { failNextPlugins: 0, failNextConnectors: 0 };

  constructor(options: KafkaConnectOptions) {
    this.options = options;
    this.storePath = join(options.dataDir, 'kafkaconnect', 'state.json');
    this.s3Root = join(options.dataDir, 's3');
    const stored = readJson<{ plugins: PluginRecord[]; connectors: ConnectorRecord[] }>(this.storePath, {
      plugins: [],
      connectors: [],
    });
    for (const plugin of stored.plugins) if (plugin.state !== 'DELETING') this.plugins.set(plugin.arn, plugin);
    for (const connector of stored.connectors)
      if (connector.state !== 'DELETING') this.connectors.set(connector.arn, connector);
  }

  /** After a restart: pending plugins finish, CREATING/RUNNING connectors start their sinks again. */
  resume(): void {
    for (const plugin of this.plugins.values())
      if (plugin.state === 'CREATING')
        this.later(this.options.pluginDelayMs ?? 500, () => this.finishPlugin(plugin.arn, false));
    for (const connector of this.connectors.values()) {
      if (connector.state === 'CREATING' || connector.state === 'RUNNING') this.startConnector(connector.arn, false);
    }
    this.persist();
  }

  private persist(): void {
    writeJson(this.storePath, {
      plugins: [...this.plugins.values()],
      connectors: [...this.connectors.values()],
    });
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    this.timers.set(timer, () => undefined);
  }

  /** Resolves after `ms`, or at once when the service closes (callers check `closed`). */
  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.set(timer, resolve);
    });
  }

  private track<T>(promise: Promise<T>): void {
    const p = promise.catch(() => undefined).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** The two REST collections (custom plugins, connectors) and what each verb does on them. */
  private readonly resources = [
    {
      base: BASE_PLUGINS,
      create: (body: Json, request: AwsRequest) => this.createPlugin(body, request),
      list: (request: AwsRequest) => this.listPlugins(request),
      describe: (arn: string) => this.describePlugin(known(this.plugins, arn)),
      delete: (arn: string) => this.deletePlugin(arn),
    },
    {
      base: BASE_CONNECTORS,
      create: (body: Json, request: AwsRequest) => this.createConnector(body, request),
      list: (request: AwsRequest) => this.listConnectors(request),
      describe: (arn: string) => this.describeConnector(known(this.connectors, arn)),
      delete: (arn: string) => this.deleteConnector(arn),
    },
  ];

  async handle(request: AwsRequest): Promise<AwsResponse> {
    const path = request.path
      .split('/')
      .map((s) => decodeURIComponent(s))
      .join('/')
      .replace(/\/+$/, '');
    const method = request.method;
    for (const resource of this.resources) {
      if (path === resource.base) {
        if (method === 'POST') return json(resource.create(this.body(request), request));
        if (method === 'GET') return json(resource.list(request));
      } else if (path.startsWith(`${resource.base}/`)) {
        const arn = path.slice(resource.base.length + 1);
        if (method === 'GET') return json(resource.describe(arn));
        if (method === 'DELETE') return json(resource.delete(arn));
      }
    }
    throw new AwsError('NotFoundException', `The local MSK Connect does not provide ${method} ${request.path}`, 404);
  }

  private body(request: AwsRequest): Json {
    try {
      const parsed: unknown = JSON.parse(request.body.toString('utf8') || '{}');
      if (!isObject(parsed)) throw new SyntaxError('not an object');
      return parsed;
    } catch {
      throw badRequest('The request body is not valid JSON');
    }
  }

  // ---- custom plugins -----------------------------------------------------------------------

  private createPlugin(body: Json, request: AwsRequest): Json {
    const name = requireName(body, 'name');
    const contentType = body.contentType;
    if (contentType !== 'JAR' && contentType !== 'ZIP') throw badRequest('contentType must be JAR or ZIP');
    const s3 = isObject(body.location) && isObject(body.location.s3Location) ? body.location.s3Location : undefined;
    if (!s3 || typeof s3.bucketArn !== 'string' || typeof s3.fileKey !== 'string' || !BUCKET_ARN.test(s3.bucketArn)) {
      throw badRequest('location.s3Location needs a bucketArn (arn:aws:s3:::bucket) and a fileKey');
    }
    for (const existing of this.plugins.values()) {
      if (existing.name === name)
        throw new AwsError('ConflictException', `A custom plugin with name ${name} already exists.`, 409);
    }
    const bucket = BUCKET_ARN.exec(s3.bucketArn)?.[1] ?? '';
    const file = objectPath(this.s3Root, bucket, s3.fileKey);
    const fileDescription =
      file && existsSync(file)
        ? {
            fileMd5: createHash('md5').update(readFileSync(file)).digest('hex'),
            fileSize: statSync(file).size,
          }
        : undefined;
    const plugin: PluginRecord = {
      arn: `arn:aws:kafkaconnect:${request.region}:${request.accountId}:custom-plugin/${name}/${arnSuffix()}`,
      name,
      ...(typeof body.description === 'string' ? { description: body.description } : {}),
      contentType,
      location: {
        bucketArn: s3.bucketArn,
        fileKey: s3.fileKey,
        ...(typeof s3.objectVersion === 'string' ? { objectVersion: s3.objectVersion } : {}),
      },
      state: 'CREATING',
      ...(fileDescription ? { fileDescription } : {}),
      creationTime: Date.now(),
      tags: isObject(body.tags) ? (body.tags as Record<string, string>) : {},
    };
    let fail = false;
    if (this.faults.failNextPlugins > 0) {
      this.faults.failNextPlugins -= 1;
      fail = true;
    }
    this.plugins.set(plugin.arn, plugin);
    this.persist();
    this.later(this.options.pluginDelayMs ?? 500, () => this.finishPlugin(plugin.arn, fail));
    return { customPluginArn: plugin.arn, customPluginState: plugin.state, name, revision: 1 };
  }

  private finishPlugin(arn: string, forcedFailure: boolean): void {
    const plugin = this.plugins.get(arn);
    if (!plugin || plugin.state !== 'CREATING') return;
    if (forcedFailure || /fail/i.test(plugin.location.fileKey)) {
      plugin.state = 'CREATE_FAILED';
      plugin.stateDescription = {
        code: 'INVALID_PLUGIN_FILE',
        message: `The plugin file s3://${BUCKET_ARN.exec(plugin.location.bucketArn)?.[1] ?? ''}/${plugin.location.fileKey} is not a valid plugin archive (local fault)`,
      };
    } else {
      plugin.state = 'ACTIVE';
    }
    this.persist();
    log.info('custom plugin state', { arn, state: plugin.state });
  }

  private revisionOf(plugin: PluginRecord): Json {
    return {
      contentType: plugin.contentType,
      creationTime: iso(plugin.creationTime),
      ...(plugin.description !== undefined ? { description: plugin.description } : {}),
      ...(plugin.fileDescription ? { fileDescription: plugin.fileDescription } : {}),
      location: { s3Location: plugin.location },
      revision: 1,
    };
  }

  private describePlugin(plugin: PluginRecord): Json {
    return {
      creationTime: iso(plugin.creationTime),
      customPluginArn: plugin.arn,
      customPluginState: plugin.state,
      ...(plugin.description !== undefined ? { description: plugin.description } : {}),
      latestRevision: this.revisionOf(plugin),
      name: plugin.name,
      ...(plugin.stateDescription ? { stateDescription: plugin.stateDescription } : {}),
    };
  }

  private listPlugins(request: AwsRequest): Json {
    return listPage(this.plugins.values(), request, 'namePrefix', 'customPlugins', (p) => {
      const { stateDescription: _s, ...summary } = this.describePlugin(p);
      return summary;
    });
  }

  private deletePlugin(arn: string): Json {
    const plugin = known(this.plugins, arn);
    plugin.state = 'DELETING';
    this.persist();
    this.later(this.options.deleteDelayMs ?? 500, () => {
      this.plugins.delete(arn);
      this.persist();
    });
    return { customPluginArn: arn, customPluginState: 'DELETING' };
  }

  // ---- connectors ---------------------------------------------------------------------------

  private createConnector(body: Json, request: AwsRequest): Json {
    const name = requireName(body, 'connectorName');
    const configuration = body.connectorConfiguration;
    if (!isObject(configuration) || Object.values(configuration).some((v) => typeof v !== 'string')) {
      throw badRequest('connectorConfiguration must be a map of strings');
    }
    const cluster =
      isObject(body.kafkaCluster) && isObject(body.kafkaCluster.apacheKafkaCluster)
        ? body.kafkaCluster.apacheKafkaCluster
        : undefined;
    if (
      !cluster ||
      typeof cluster.bootstrapServers !== 'string' ||
      cluster.bootstrapServers === '' ||
      !isObject(cluster.vpc)
    ) {
      throw badRequest('kafkaCluster.apacheKafkaCluster needs bootstrapServers and vpc');
    }
    if (
      !isObject(body.capacity) ||
      (!isObject(body.capacity.autoScaling) && !isObject(body.capacity.provisionedCapacity))
    ) {
      throw badRequest('capacity needs autoScaling or provisionedCapacity');
    }
    if (typeof body.kafkaConnectVersion !== 'string' || body.kafkaConnectVersion === '')
      throw badRequest('kafkaConnectVersion is required');
    if (typeof body.serviceExecutionRoleArn !== 'string' || !ROLE_ARN.test(body.serviceExecutionRoleArn))
      throw badRequest('serviceExecutionRoleArn must be an IAM role ARN');
    const authType = isObject(body.kafkaClusterClientAuthentication)
      ? body.kafkaClusterClientAuthentication.authenticationType
      : undefined;
    if (authType !== 'NONE' && authType !== 'IAM')
      throw badRequest('kafkaClusterClientAuthentication.authenticationType must be NONE or IAM');
    const encryption = isObject(body.kafkaClusterEncryptionInTransit)
      ? body.kafkaClusterEncryptionInTransit.encryptionType
      : undefined;
    if (encryption !== 'PLAINTEXT' && encryption !== 'TLS')
      throw badRequest('kafkaClusterEncryptionInTransit.encryptionType must be PLAINTEXT or TLS');
    const plugins = Array.isArray(body.plugins) ? body.plugins : [];
    if (plugins.length !== 1) throw badRequest('plugins must name exactly one custom plugin');
    const pluginRef = isObject(plugins[0]) && isObject(plugins[0].customPlugin) ? plugins[0].customPlugin : undefined;
    const plugin =
      typeof pluginRef?.customPluginArn === 'string' ? this.plugins.get(pluginRef.customPluginArn) : undefined;
    if (!plugin) throw badRequest(`The custom plugin ${String(pluginRef?.customPluginArn)} does not exist.`);
    if (plugin.state !== 'ACTIVE')
      throw badRequest(`The custom plugin ${plugin.arn} is in the ${plugin.state} state; it must be ACTIVE.`);
    for (const existing of this.connectors.values()) {
      if (existing.name === name)
        throw new AwsError('ConflictException', `A connector with name ${name} already exists.`, 409);
    }
    const connector: ConnectorRecord = {
      arn: `arn:aws:kafkaconnect:${request.region}:${request.accountId}:connector/${name}/${arnSuffix()}`,
      name,
      ...(typeof body.connectorDescription === 'string' ? { description: body.connectorDescription } : {}),
      request: body,
      configuration: configuration as Record<string, string>,
      state: 'CREATING',
      creationTime: Date.now(),
      currentVersion: `${Date.now().toString(36).toUpperCase()}LOCAL`,
    };
    this.connectors.set(connector.arn, connector);
    this.persist();
    let forcedFailure = false;
    if (this.faults.failNextConnectors > 0) {
      this.faults.failNextConnectors -= 1;
      forcedFailure = true;
    }
    this.startConnector(connector.arn, forcedFailure);
    return { connectorArn: connector.arn, connectorName: name, connectorState: connector.state };
  }

  private failConnector(connector: ConnectorRecord, code: string, message: string): void {
    if (this.closed) return;
    connector.state = 'FAILED';
    connector.stateDescription = { code, message };
    this.persist();
    log.warn('connector failed', { connector: connector.name, message });
  }

  /** CREATING → (sink started and the delay passed) → RUNNING, or FAILED. */
  private startConnector(arn: string, forcedFailure: boolean): void {
    const connector = this.connectors.get(arn);
    if (!connector) return;
    const delay = this.delay(this.options.connectorDelayMs ?? 1000);
    if (forcedFailure) {
      this.track(
        delay.then(() =>
          this.failConnector(
            connector,
            'ConnectorCreationFailed',
            'The connector failed to start (local fault switch)',
          ),
        ),
      );
      return;
    }
    const config = connector.configuration;
    if (config['connector.class'] !== S3_SINK_CLASS) {
      this.track(
        delay.then(() =>
          this.failConnector(
            connector,
            'UnsupportedConnector',
            `The local MSK Connect runs ${S3_SINK_CLASS} only, not ${config['connector.class'] ?? '(no connector.class)'}`,
          ),
        ),
      );
      return;
    }
    let sink: S3Sink;
    try {
      const brokers = String(
        (connector.request.kafkaCluster as { apacheKafkaCluster: { bootstrapServers: string } }).apacheKafkaCluster
          .bootstrapServers,
      )
        .split(',')
        .map((b) => b.trim())
        .filter((b) => b !== '');
      sink = new S3Sink(parseSinkConfig(connector.name, config), brokers, {
        s3Root: this.s3Root,
        openSource: this.options.openSource,
        ...(this.options.beforeWrite ? { beforeWrite: this.options.beforeWrite } : {}),
        ...(this.options.writeRetryBackoffMs !== undefined ? { retryBackoffMs: this.options.writeRetryBackoffMs } : {}),
        onFailure: (message) => {
          this.sinks.delete(arn);
          const current = this.connectors.get(arn);
          if (current && current.state !== 'DELETING') this.failConnector(current, 'ConnectorFailed', message);
        },
      });
    } catch (error) {
      const message =
        error instanceof SinkConfigError
          ? error.message
          : `Invalid connector configuration: ${error instanceof Error ? error.message : String(error)}`;
      this.track(delay.then(() => this.failConnector(connector, 'InvalidConnectorConfiguration', message)));
      return;
    }
    this.sinks.set(arn, sink);
    this.track(
      Promise.all([delay, sink.start()]).then(
        () => {
          const current = this.connectors.get(arn);
          if (
            this.closed ||
            !current ||
            current.state === 'DELETING' ||
            current.state === 'FAILED' ||
            this.sinks.get(arn) !== sink
          )
            return;
          current.state = 'RUNNING';
          delete current.stateDescription;
          this.persist();
          log.info('connector running', { connector: current.name });
        },
        (error: unknown) => {
          this.sinks.delete(arn);
          void sink.stop();
          const current = this.connectors.get(arn);
          if (!this.closed && current && current.state !== 'DELETING') {
            this.failConnector(
              current,
              'KafkaConnectionFailed',
              `Unable to connect to the Kafka cluster: ${error instanceof Error ? error.message : String(error)}`,
            );
          }
        },
      ),
    );
  }

  private describeConnector(connector: ConnectorRecord): Json {
    const request = connector.request;
    const capacity = request.capacity as Json;
    return {
      capacity,
      connectorArn: connector.arn,
      connectorConfiguration: connector.configuration,
      ...(connector.description !== undefined ? { connectorDescription: connector.description } : {}),
      connectorName: connector.name,
      connectorState: connector.state,
      creationTime: iso(connector.creationTime),
      currentVersion: connector.currentVersion,
      kafkaCluster: request.kafkaCluster,
      kafkaClusterClientAuthentication: request.kafkaClusterClientAuthentication,
      kafkaClusterEncryptionInTransit: request.kafkaClusterEncryptionInTransit,
      kafkaConnectVersion: request.kafkaConnectVersion,
      ...(request.logDelivery !== undefined ? { logDelivery: request.logDelivery } : {}),
      plugins: request.plugins,
      serviceExecutionRoleArn: request.serviceExecutionRoleArn,
      ...(request.workerConfiguration !== undefined ? { workerConfiguration: request.workerConfiguration } : {}),
      ...(connector.stateDescription ? { stateDescription: connector.stateDescription } : {}),
    };
  }

  private listConnectors(request: AwsRequest): Json {
    return listPage(this.connectors.values(), request, 'connectorNamePrefix', 'connectors', (c) => {
      const { connectorConfiguration: _c, stateDescription: _s, ...summary } = this.describeConnector(c);
      return summary;
    });
  }

  private deleteConnector(arn: string): Json {
    const connector = known(this.connectors, arn);
    connector.state = 'DELETING';
    delete connector.stateDescription;
    this.persist();
    const sink = this.sinks.get(arn);
    this.sinks.delete(arn);
    const stopped = sink ? sink.stop() : Promise.resolve();
    const delay = this.delay(this.options.deleteDelayMs ?? 500);
    this.track(
      Promise.all([stopped, delay]).then(() => {
        if (this.closed) return;
        this.connectors.delete(arn);
        this.persist();
        log.info('connector deleted', { connector: connector.name });
      }),
    );
    return { connectorArn: arn, connectorState: 'DELETING' };
  }

  /** For the stack and tests: connectors with their sinks' counters. */
  connectorStatuses(): Array<{ name: string; arn: string; state: ConnectorState; sink: SinkStats | null }> {
    return [...this.connectors.values()].map((c) => ({
      name: c.name,
      arn: c.arn,
      state: c.state,
      sink: this.sinks.get(c.arn)?.stats ?? null,
    }));
  }

  setFaults(update: Partial<KafkaConnectFaults>): KafkaConnectFaults {
    for (const key of ['failNextPlugins', 'failNextConnectors'] as const) {
      const value = update[key];
      if (value === undefined) continue;
      if (!Number.isInteger(value) || value < 0) throw new RangeError(`${key} must be a non-negative integer`);
      this.faults[key] = value;
    }
    return { ...this.faults };
  }

  /** Stops the sinks (open objects stay uncommitted and are read again after a restart). */
  async close(): Promise<void> {
    this.closed = true;
    for (const [timer, release] of this.timers) {
      clearTimeout(timer);
      release();
    }
    this.timers.clear();
    const sinks = [...this.sinks.values()];
    this.sinks.clear();
    await Promise.all(sinks.map((s) => s.stop()));
    await Promise.all([...this.pending]);
  }
}
