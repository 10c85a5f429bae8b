/**
 * `npm run kafka -- --brokers 3 --port 9092 [--data-dir d]`: runs a dev cluster in the
 * foreground, prints the bootstrap string on stdout and stops cleanly on Ctrl-C / SIGTERM.
 */
import { parseArgs } from 'node:util';
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
Set KAFKA_DEV_LOG=debug to log every request.`;

function integer(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'no-auto-create-topics': { type: 'boolean' },
      'num-partitions': { type: 'string' },
      'default-replication-factor': { type: 'string' },
      'group-initial-rebalance-delay-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
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
    groupInitialRebalanceDelayMs: integer('group-initial-rebalance-delay-ms', values['group-initial-rebalance-delay-ms']),
  };
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
  process.stderr.write(`Kafka dev cluster (${cluster.brokers.length} brokers, cluster id ${cluster.clusterId}) is up. Ctrl-C to stop.\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n${usage}\n`);
  process.exit(1);
});
