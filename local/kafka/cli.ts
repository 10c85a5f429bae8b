/**
 * `npm run kafka -- --brokers 3 --port 9092 [--data-dir d]`: runs a dev cluster in the
 * foreground, prints the bootstrap string on stdout and stops cleanly on Ctrl-C / SIGTERM.
 */
import { parseFlags, portInUse, usageError } from '../cli-args.ts';
import { startCluster, type ClusterOptions } from './cluster.ts';
import { log } from './logger.ts';

const usage = `Usage: npm run kafka -- [options]
  --brokers <n>                    number of brokers (default 3)
  --port <p>                       port of broker 0; broker i listens on p+i (default 9092, 0 = free ports)
  --host <addr>                    bind/advertise address (default 127.0.0.1)
  --data-dir <dir>                 keep topics, records and offsets in <dir> across restarts
  --no-auto-create-topics          set auto.create.topics.enable=false
  --num-partitions <n>             num.partitions for auto-created topics (default 1)
  --default-replication-factor <n> default.replication.factor (default min(3, brokers))
  --group-initial-rebalance-delay-ms <ms>  group.initial.rebalance.delay.ms (default 0)
Secured listeners (off unless a port is given; broker i listens on port+i, 0 = free ports):
  --tls-port <p>                   SSL listener (npm start: 9292)
  --scram-port <p>                 SASL_SSL SCRAM-SHA-512 listener (npm start: 9392)
  --iam-port <p>                   SASL_SSL OAUTHBEARER listener for MSK IAM tokens (npm start: 9492)
  --tls-dir <dir>                  local CA, broker certificate and truststores (default <data-dir>/tls, else a temp dir)
  --truststore-password <pw>       password of truststore.jks / truststore.p12 (default changeit)
  --scram-user <user:password>     a SCRAM-SHA-512 user (repeatable)
  --iam-credentials <key:secret>   AWS keys IAM tokens must be signed with (repeatable; default local:local)
Set KAFKA_DEV_LOG=debug to log every request.`;

/** `a:b` → [a, b] (the second part may contain ':'). */
function pair(name: string, raw: string): [string, string] {
  const at = raw.indexOf(':');
  if (at <= 0 || at === raw.length - 1) throw new Error(`--${name} must be <name>:<secret>, got "${raw}"`);
  return [raw.slice(0, at), raw.slice(at + 1)];
}

function integer(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

async function main(): Promise<void> {
  const values = parseFlags('npm run kafka', {
    brokers: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string' },
    'data-dir': { type: 'string' },
    'no-auto-create-topics': { type: 'boolean' },
    'num-partitions': { type: 'string' },
    'default-replication-factor': { type: 'string' },
    'group-initial-rebalance-delay-ms': { type: 'string' },
    'tls-port': { type: 'string' },
    'scram-port': { type: 'string' },
    'iam-port': { type: 'string' },
    'tls-dir': { type: 'string' },
    'truststore-password': { type: 'string' },
    'scram-user': { type: 'string', multiple: true },
    'iam-credentials': { type: 'string', multiple: true },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help === true) {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const options: ClusterOptions = {
    brokers: integer('brokers', values.brokers) ?? 3,
    port: integer('port', values.port) ?? 9092,
    host: values.host,
    dataDir: values['data-dir'],
    autoCreateTopics: values['no-auto-create-topics'] === true ? false : undefined,
    numPartitions: integer('num-partitions', values['num-partitions']),
    defaultReplicationFactor: integer('default-replication-factor', values['default-replication-factor']),
    groupInitialRebalanceDelayMs: integer(
      'group-initial-rebalance-delay-ms',
      values['group-initial-rebalance-delay-ms'],
    ),
    listeners: {},
    tlsDir: values['tls-dir'],
    truststorePassword: values['truststore-password'],
    scramUsers: Object.fromEntries((values['scram-user'] ?? []).map((u) => pair('scram-user', u))),
    ...(values['iam-credentials']
      ? {
          iamCredentials: values['iam-credentials']
            .map((c) => pair('iam-credentials', c))
            .map(([accessKeyId, secretAccessKey]) => ({ accessKeyId, secretAccessKey })),
        }
      : {}),
  };
  for (const kind of ['tls', 'scram', 'iam'] as const) {
    const port = integer(`${kind}-port`, values[`${kind}-port`]);
    if (port !== undefined) options.listeners = { ...options.listeners, [kind]: { port } };
  }
  const cluster = await startCluster(options);
  // handlers first: whoever reads the bootstrap line may signal us right away
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`received ${signal}, stopping`);
    cluster.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`failed to stop cleanly: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.stdout.write(`${cluster.bootstrap}\n`);
  process.stderr.write(
    `Kafka dev cluster (${cluster.brokers.length} brokers, cluster id ${cluster.clusterId}) is up. Ctrl-C to stop.\n`,
  );
  for (const [kind, bootstrap] of Object.entries(cluster.listeners))
    process.stderr.write(`  ${kind.padEnd(6)} ${bootstrap}\n`);
  if (cluster.tls) {
    process.stderr.write(
      `  CA ${cluster.tls.caLocation}; truststores ${cluster.tls.jksLocation}, ${cluster.tls.pkcs12Location} (password ${cluster.tls.truststorePassword})\n`,
    );
  }
}

main().catch((err: unknown) => {
  const busy = portInUse(err);
  if (busy) {
    usageError(
      `npm run kafka: port ${busy.port} on ${busy.address} is in use (another dev cluster or 'npm start'?); stop it, or choose other ports: npm run kafka -- --port N (broker i listens on N+i)`,
      1,
    );
  }
  usageError(
    `npm run kafka: ${err instanceof Error ? err.message : String(err)}; 'npm run kafka -- --help' lists the flags`,
    1,
  );
});
