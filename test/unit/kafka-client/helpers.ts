/** Shared helpers of the kafka-client tests: fixtures, a recording logger, socket servers. */
import { once } from 'node:events';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Log } from '../../../functions/lib/logger.ts';
import { rejectedAs, thrownAs } from '../../helpers/thrown.ts';

export const TLS_FIXTURES = fileURLToPath(new URL('../../fixtures/tls/', import.meta.url));
export const fixture = (name: string): string => `${TLS_FIXTURES}${name}`;
export const FIXTURE_PASSWORD = 'changeit';

export interface LogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  extra: Record<string, unknown>;
}

export function recordingLogger(): { logger: Log; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at =
    (level: LogEntry['level']) =>
    (message: string, ...extra: Record<string, unknown>[]) => {
      entries.push({ level, message, extra: Object.assign({}, ...extra) });
    };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
export const thrown = (fn: () => unknown): Error => thrownAs(Error, fn);

/** Awaits `promise` and returns what it rejected with (fails the test if it resolved). */
export const rejection = (promise: Promise<unknown>): Promise<Error> => rejectedAs(Error, promise);

/** A TCP server on 127.0.0.1 that accepts connections and never answers. */
export async function blackholeServer(): Promise<{
  port: number;
  connections: () => number;
  close: () => Promise<void>;
}> {
  const sockets = new Set<net.Socket>();
  let count = 0;
  const server = net.createServer((socket) => {
    count += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    connections: () => count,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound once, then released). */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}
