/**
 * The TCP listener of one broker. Stopping it closes the listening socket and every client
 * connection, so the port refuses connections until `start()` binds it again (the fault hook
 * tests use to simulate a broker outage).
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { BrokerNode, ClusterState } from './cluster-state.ts';
import { Connection } from './connection.ts';
import { log } from './logger.ts';
import { handleFrame } from './request-handler.ts';

export class BrokerServer {
  readonly node: BrokerNode;
  private readonly cluster: ClusterState;
  private server: Server | null = null;
  private readonly connections = new Set<Connection>();

  constructor(cluster: ClusterState, node: BrokerNode) {
    this.cluster = cluster;
    this.node = node;
  }

  get listening(): boolean {
    return this.server !== null;
  }

  /** Binds the broker's port (0 picks a free one, remembered for restarts). */
  async start(): Promise<void> {
    if (this.server !== null) return;
    const server = createServer((socket) => this.accept(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ port: this.node.port, host: this.node.host, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address !== null && typeof address === 'object') this.node.port = address.port;
    server.on('error', (err) => log.error('broker listener error', { nodeId: this.node.nodeId, error: err.message }));
    this.server = server;
    log.info('broker listening', { nodeId: this.node.nodeId, port: this.node.port });
  }

  private accept(socket: Socket): void {
    const conn = new Connection(socket, (c, frame) => handleFrame(this.cluster, this.node, c, frame));
    this.connections.add(conn);
    socket.on('close', () => this.connections.delete(conn));
  }

  /** Closes the listener and drops every connection. */
  async stop(): Promise<void> {
    const server = this.server;
    if (server === null) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const conn of this.connections) conn.close();
    this.connections.clear();
    await closed;
    log.info('broker stopped', { nodeId: this.node.nodeId });
  }
}
