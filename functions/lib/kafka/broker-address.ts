/**
 * Broker addresses as the Kafka client module validates them: `host:port` (IPv6 as
 * `[::1]:9092`), deduplicated lists, and the region an MSK broker host name carries.
 */
import { isIP } from 'node:net';
import { MSK_BOOTSTRAP } from '../brokers.ts';
import type { KafkaAuth } from './config.ts';
import { KafkaConfigError } from './errors.ts';

/**
 * MSK's fixed client ports per auth: the private one of MSK_BOOTSTRAP and, for the TLS auths,
 * the public-access one 100 above it.
 */
function mskPorts(auth: KafkaAuth): readonly number[] {
  const { port } = MSK_BOOTSTRAP[auth];
  return auth === 'none' ? [port] : [port, port + 100];
}
export const MSK_PORTS: Readonly<Record<KafkaAuth, readonly number[]>> = {
  none: mskPorts('none'),
  tls: mskPorts('tls'),
  scram: mskPorts('scram'),
  iam: mskPorts('iam'),
};

const HOST_LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/;
const MSK_HOST = /\.kafka\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/;

export interface ParsedBroker {
  host: string;
  port: number;
  text: string;
}

/** Parses one `host:port` (IPv6 as `[::1]:9092`); undefined when it is not one. */
export function parseBroker(text: string): ParsedBroker | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(text);
  if (!match) {
    return undefined;
  }
  const [, ipv6, name, portText] = match;
  const port = Number(portText);
  if (port < 1 || port > 65535) {
    return undefined;
  }
  if (ipv6 !== undefined) {
    return isIP(ipv6) === 6 ? { host: ipv6, port, text } : undefined;
  }
  const host = name ?? '';
  const valid = isIP(host) === 4 || (host.length <= 253 && host.split('.').every((label) => HOST_LABEL.test(label)));
  return valid ? { host, port, text } : undefined;
}

/** Validates a broker list; `property` is quoted in the error. */
export function parseBrokerList(values: readonly string[], property: string): ParsedBroker[] {
  const brokers: ParsedBroker[] = [];
  const seen = new Set<string>();
  for (const raw of values) {
    const text = typeof raw === 'string' ? raw.trim() : String(raw);
    if (text === '') {
      continue;
    }
    const broker = parseBroker(text);
    if (!broker) {
      throw new KafkaConfigError(property, `'${text}' is not host:port`);
    }
    if (!seen.has(broker.text)) {
      seen.add(broker.text);
      brokers.push(broker);
    }
  }
  if (brokers.length === 0) {
    throw new KafkaConfigError(property, 'required: at least one host:port');
  }
  return brokers;
}

/** The region in MSK broker host names (b-1.name.id.c2.kafka.<region>.amazonaws.com), if any. */
export function regionFromMskHost(host: string): string | undefined {
  return MSK_HOST.exec(host)?.[1];
}
