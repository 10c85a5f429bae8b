/**
 * The listeners of one broker: PLAINTEXT always, plus TLS, SASL_SSL/SCRAM and SASL_SSL/IAM when
 * the cluster turns them on. Stopping the broker closes every listening socket and client
 * connection, so its ports refuse connections until `start()` binds them again (the fault hook
 * tests use to simulate a broker outage).
 */
import { createServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type SecureContextOptions } from 'node:tls';
import type { BrokerNode, ClusterState } from './cluster-state.ts';
import { Connection } from './connection.ts';
import { log } from './logger.ts';
import { handleFrame } from './request-handler.ts';
import { SaslSession, type ListenerKind, type SaslCredentials } from './security/listeners.ts';

/** What the secured listeners need: the broker certificate and the SASL credentials. */
export interface BrokerSecurity {
  tls: SecureContextOptions | undefined;
  credentials: SaslCredentials;
}

export class BrokerServer {
  readonly node: BrokerNode;
  private readonly cluster: ClusterState;
  private readonly security: BrokerSecurity;
  private servers: Server[] = [];
  private readonly connections = new Set<Connection>();

  constructor(cluster: ClusterState, node: BrokerNode, security: BrokerSecurity) {
    this.cluster = cluster;
    this.node = node;
    this.security = security;
  }

  get listening(): boolean {
    return this.servers.length > 0;
  }

  private kinds(): ListenerKind[] {
    const ports = this.node.ports ?? {};
    return ['plaintext', ...(['tls', 'scram', 'iam'] as const).filter((k) => ports[k] !== undefined)];
  }

  /** Binds the broker's ports (0 picks a free one, remembered for restarts). */
  async start(): Promise<void> {
    if (this.servers.length > 0) return;
    const started: Server[] = [];
    try {
      for (const kind of this.kinds()) started.push(await this.listen(kind));
    } catch (err) {
      await Promise.all(started.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      throw err;
    }
    this.servers = started;
    log.info('broker listening', { nodeId: this.node.nodeId, port: this.node.port, ...this.node.ports });
  }

  private async listen(kind: ListenerKind): Promise<Server> {
    let server: Server;
    if (kind === 'plaintext') {
      server = createServer((socket) => this.accept(socket, kind));
    } else {
      if (this.security.tls === undefined) throw new Error(`the ${kind} listener needs the TLS material`);
      const tlsServer = createTlsServer({ ...this.security.tls, minVersion: 'TLSv1.2' }, (socket) =>
        this.accept(socket, kind),
      );
      tlsServer.on('tlsClientError', (err) =>
        log.debug('TLS handshake failed', { nodeId: this.node.nodeId, listener: kind, error: err.message }),
      );
      server = tlsServer;
    }
    const port = kind === 'plaintext' ? this.node.port : (this.node.ports?.[kind] ?? 0);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port, host: this.node.host, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address !== null && typeof address === 'object') {
      if (kind === 'plaintext') this.node.port = address.port;
      else this.node.ports = { ...this.node.ports, [kind]: address.port };
    }
    server.on('error', (err) =>
      log.error('broker listener error', { nodeId: this.node.nodeId, listener: kind, error: err.message }),
    );
    return server;
  }

  private accept(socket: Socket, kind: ListenerKind): void {
    const sasl = kind === 'scram' || kind === 'iam' ? new SaslSession(kind, this.security.credentials) : null;
    const conn = new Connection(socket, (c, frame) => handleFrame(this.cluster, this.node, c, frame), {
      listener: kind,
      sasl,
    });
    this.connections.add(conn);
    socket.on('close', () => this.connections.delete(conn));
  }

  /** Closes the listeners and drops every connection. */
  async stop(): Promise<void> {
    const servers = this.servers;
    if (servers.length === 0) return;
    this.servers = [];
    const closed = Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    for (const conn of this.connections) conn.close();
    this.connections.clear();
    await closed;
    log.info('broker stopped', { nodeId: this.node.nodeId });
  }
}
