import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import {
  createClusterConnection,
  createEventProducer,
  KafkaUnavailableError,
  type ClusterDescription,
} from '../../../functions/lib/kafka/index.ts';
import { FIXTURE_PASSWORD, fixture, rejection } from './helpers.ts';

/**
 * A TLS "broker" with a certificate signed by the fixture CA: it completes handshakes and then
 * never answers, so a producer that trusts the CA gets through TLS and times out at the Kafka level.
 */
async function tlsBlackhole() {
  let handshakes = 0;
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer(
    { cert: readFileSync(fixture('server.pem')), key: readFileSync(fixture('server.key.pem')) },
    (socket) => {
      handshakes += 1;
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
    },
  );
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    broker: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    handshakes: () => handshakes,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

type Trust = Pick<ClusterDescription, 'caPem' | 'truststore'>;

async function sendThroughTls(trust: Trust) {
  const server = await tlsBlackhole();
  const producer = createEventProducer(createClusterConnection({ brokers: [server.broker], auth: 'tls', ...trust }));
  try {
    // The first send also loads the truststore (node-forge's PKCS#12 decryption is slow JavaScript),
    // so leave room for that on a busy test machine.
    const error = await rejection(producer.send('events', [{ key: 'k', value: 'v' }], { timeoutMs: 2000 }));
    return { error, handshakes: server.handshakes() };
  } finally {
    await producer.close();
    await server.close();
  }
}

describe('createEventProducer over TLS', () => {
  it.each<[string, Trust]>([
    ['a JKS truststore', { truststore: { location: fixture('truststore.jks'), password: FIXTURE_PASSWORD } }],
    [
      'a PKCS#12 truststore',
      { truststore: { location: fixture('truststore.p12'), password: FIXTURE_PASSWORD, type: 'PKCS12' } },
    ],
    ['an inline PEM CA', { caPem: readFileSync(fixture('ca.pem'), 'utf8') }],
  ])('completes the TLS handshake with the CA from %s, then times out at the Kafka level', async (_label, trust) => {
    const { error, handshakes } = await sendThroughTls(trust);
    expect(handshakes).toBeGreaterThanOrEqual(1);
    expect(error).toBeInstanceOf(KafkaUnavailableError);
    expect((error as KafkaUnavailableError).reason).toBe('timeout');
  });

  it('fails the handshake (reason tls) when the truststore holds a different CA', async () => {
    const { error, handshakes } = await sendThroughTls({
      caPem: readFileSync(fixture('untrusted-ca.pem'), 'utf8'),
    });
    expect(handshakes).toBe(0);
    expect(error).toBeInstanceOf(KafkaUnavailableError);
    expect((error as KafkaUnavailableError).reason).toBe('tls');
    expect(error.message).toMatch(/\(tls\): .*(certificate|self.signed)/i);
  });

  it('fails the handshake with the default roots, which do not include the fixture CA', async () => {
    const { error, handshakes } = await sendThroughTls({});
    expect(handshakes).toBe(0);
    expect((error as KafkaUnavailableError).reason).toBe('tls');
  });
});
