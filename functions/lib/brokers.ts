/**
 * Broker lists, read one way everywhere: the self-hosted `host:port,host:port` a pipeline names,
 * and the bootstrap strings MSK's GetBootstrapBrokers answers per client authentication.
 */
import type { GetBootstrapBrokersResponse } from '@aws-sdk/client-kafka';
import type { KafkaAuth } from './kafka/config.ts';

/** `a:9092, b:9092,` → `['a:9092', 'b:9092']` (trimmed, empty entries dropped). */
export function splitBrokers(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
}

/** MSK's bootstrap string per auth (GetBootstrapBrokers field), the port it uses, and its name for people. */
export const MSK_BOOTSTRAP: Readonly<
  Record<KafkaAuth, { field: keyof GetBootstrapBrokersResponse; port: number; label: string }>
> = {
  none: { field: 'BootstrapBrokerString', port: 9092, label: 'plaintext' },
  tls: { field: 'BootstrapBrokerStringTls', port: 9094, label: 'TLS' },
  scram: { field: 'BootstrapBrokerStringSaslScram', port: 9096, label: 'SASL/SCRAM' },
  iam: { field: 'BootstrapBrokerStringSaslIam', port: 9098, label: 'IAM' },
};
