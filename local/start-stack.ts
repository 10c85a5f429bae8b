/**
 * `npm start`: the whole pipeline on localhost. Flags:
 *   --fresh        start from empty state (deletes .local/)
 *   --no-demo      do not create the demo pipeline (through POST /pipelines)
 *   --data-dir D   state directory (default .local)
 *   --api-port N, --aws-port N, --kafka-port N   ports of the HTTP API (3000), the local AWS
 *                  endpoint (4566) and the first broker (9092); the other brokers keep their
 *                  distance to it (second cluster +100, TLS +200, SASL/SCRAM +300, IAM +400);
 *                  0 = any free port
 * Ctrl-C stops everything: no process or port is left behind.
 */
import { relative } from 'node:path';
import { parseFlags, portInUse, usageError } from './cli-args.ts';
import { startStack, type Stack } from './stack.ts';

const USAGE =
  'usage: npm start -- [--fresh] [--no-demo] [--data-dir DIR] [--api-port N] [--aws-port N] [--kafka-port N]';

const values = parseFlags('npm start', {
  fresh: { type: 'boolean', default: false },
  'no-demo': { type: 'boolean', default: false },
  'data-dir': { type: 'string' },
  'api-port': { type: 'string' },
  'aws-port': { type: 'string' },
  'kafka-port': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}

/** The brokers' ports after the first one's: the distances of the default layout (9092 → 9192, 9292, ...). */
const KAFKA_OFFSETS = { kafka2: 100, kafkaTls: 200, kafkaScram: 300, kafkaIam: 400 } as const;

/** A port flag: an integer 0-65535 (0 = any free port), or exit with a one-line message. */
function portFlag(name: 'api-port' | 'aws-port' | 'kafka-port', max = 65535): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const port = Number(raw);
  if (!/^\d+$/.test(raw) || port > max) {
    usageError(`npm start: --${name} must be a port number 0-${max} (0 = any free port), not '${raw}'`);
  }
  return port;
}
const [api, aws] = [portFlag('api-port'), portFlag('aws-port')];
const kafkaPort = portFlag('kafka-port', 65535 - KAFKA_OFFSETS.kafkaIam);
const ports = {
  ...(api !== undefined ? { api } : {}),
  ...(aws !== undefined ? { aws } : {}),
  ...(kafkaPort !== undefined
    ? {
        kafka: kafkaPort,
        // 0 = free ports for all of them (the stack's own rule); otherwise the default layout, moved.
        ...(kafkaPort === 0
          ? {}
          : Object.fromEntries(Object.entries(KAFKA_OFFSETS).map(([key, offset]) => [key, kafkaPort + offset]))),
      }
    : {}),
};

function banner(stack: Stack): string {
  const s3 = relative(process.cwd(), stack.s3Dir) || stack.s3Dir;
  const cli = `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${stack.aws} --region us-east-1`;
  const lines = [
    '',
    'clickstream-pipeline is running locally',
    '',
    `  HTTP API        ${stack.api}   (POST /collect, GET /ping, /pipelines admin API)`,
    `  Console         ${stack.api}/console   (pipelines, counts, lag, latest S3 objects, create form)`,
    `  Kafka brokers   ${stack.kafka.bootstrap}   (described by the local MSK API as ${stack.clusterArn})`,
    `    TLS           ${stack.kafka.listeners.tls ?? '-'}   (SSL)`,
    `    SASL/SCRAM    ${stack.kafka.listeners.scram ?? '-'}   (SASL_SSL, SCRAM-SHA-512; secret ${stack.kafka.scramSecret.name})`,
    `    IAM           ${stack.kafka.listeners.iam ?? '-'}   (SASL_SSL, OAUTHBEARER with MSK IAM tokens signed with AWS_ACCESS_KEY_ID=local)`,
    ...(stack.kafka.tls
      ? [
          `    CA            ${relative(process.cwd(), stack.kafka.tls.caLocation)}; truststores ${relative(process.cwd(), stack.kafka.tls.jksLocation)}, ${relative(process.cwd(), stack.kafka.tls.pkcs12Location)} (password ${stack.kafka.tls.truststorePassword})`,
        ]
      : []),
    ...(stack.kafka2
      ? [
          `  2nd cluster     ${stack.kafka2.bootstrap}   (described as ${stack.secondClusterArn ?? '?'}; or use it self-hosted)`,
        ]
      : []),
    `  AWS endpoint    ${stack.aws}   (Firehose, Lambda, Step Functions, DynamoDB, MSK, MSK Connect, S3, Secrets Manager)`,
    `  S3 objects      ${s3}/${stack.bucket}/...`,
    `  state           ${relative(process.cwd(), stack.dataDir) || stack.dataDir}  (kept across restarts; npm start -- --fresh to reset)`,
  ];
  if (stack.demo) {
    const d = stack.demo;
    lines.push(
      '',
      `Demo pipeline ${d.pipeline.id} (${d.pipeline.status}): app '${d.appId}' -> topic '${d.topic}' -> event source mapping (batch ${d.batchSize}, window ${d.windowSeconds} s) -> Firehose -> s3://${stack.bucket}/events/`,
      '',
      'Send an event:',
      `  curl -s -X POST "${stack.api}/collect?appId=${d.appId}" -H 'content-type: application/json' \\`,
      `    -d '[{"event_id":"'$(date +%s%N)'","event_type":"page_view","timestamp":'$(date +%s000)',"app_id":"${d.appId}"}]'`,
      '',
      `See it in S3 (within the ${d.windowSeconds} s window):`,
      // newest by modification time: a name sort would put other writers' keys (a connector's) last
      `  find ${s3}/${stack.bucket}/events -name '*.gz' -printf '%T@ %p\\n' | sort -n | tail -1 | cut -d' ' -f2- | xargs gzip -dc`,
    );
  }
  lines.push(
    '',
    'Create another pipeline (connector mode: an MSK Connect S3 sink; poll the statusUrl until ACTIVE):',
    `  curl -s -X POST ${stack.api}/pipelines -H 'content-type: application/json' -d '{"projectId":"shop","appIds":["shop-web"],` +
      `"kafka":{"type":"msk","clusterArn":"${stack.clusterArn}"},` +
      `"sink":{"mode":"connector","maxIntervalSeconds":60,"batchSize":1000,"connector":{"pluginLocation":{"bucketArn":"arn:aws:s3:::${stack.bucket}","fileKey":"plugins/confluentinc-kafka-connect-s3.zip"}}}}'`,
    `  curl -s ${stack.api}/pipelines`,
    ...(stack.kafka2
      ? [
          'A pipeline on the second cluster (self-hosted brokers; its events go to that cluster):',
          `  curl -s -X POST ${stack.api}/pipelines -H 'content-type: application/json' -d '{"projectId":"blog","appIds":["blog-web"],` +
            `"kafka":{"type":"self-hosted","brokers":"${stack.kafka2.bootstrap}","securityGroupId":"sg-00000000000000001"},"sink":{"mode":"lambda","maxIntervalSeconds":5}}'`,
        ]
      : []),
    '',
    'Look around with the AWS CLI and kcat:',
    `  ${cli} stepfunctions list-executions --state-machine-arn ${process.env.CREATE_PIPELINE_STATE_MACHINE_ARN ?? ''}`,
    `  ${cli} firehose list-delivery-streams`,
    `  ${cli} lambda list-event-source-mappings`,
    `  ${cli} s3 ls --recursive s3://${stack.bucket}/`,
    `  kcat -b ${stack.kafka.bootstrap} -L`,
    ...(stack.demo ? [`  kcat -b ${stack.kafka.bootstrap} -C -t ${stack.demo.topic} -o beginning -e`] : []),
    ...(stack.kafka.tls && stack.kafka.listeners.tls
      ? [
          `  kcat -b ${stack.kafka.listeners.tls.split(',')[0]} -X security.protocol=SSL -X ssl.ca.location=${relative(process.cwd(), stack.kafka.tls.caLocation)} -L`,
        ]
      : []),
    `  ${cli} secretsmanager get-secret-value --secret-id ${stack.kafka.scramSecret.name} --query SecretString --output text`,
    '  (SASL/SCRAM and IAM clients: docs/local-kafka.md)',
    '',
    `Faults for experiments (docs/local-aws.md): curl -X POST ${stack.aws}/_local/kafka/brokers/1/stop`,
    `  curl -X POST ${stack.aws}/_local/faults/dynamodb -d '{"errorRate":1}'   curl -X DELETE ${stack.aws}/_local/faults`,
    '',
    'Ctrl-C stops everything.',
    '',
  );
  return lines.join('\n');
}

const stack = await startStack({
  fresh: values.fresh,
  // The workflows' Wait states are sized for AWS (a connector takes minutes to start); locally
  // everything is ready at once, so waits run at a fifth of their length.
  waitScale: 0.2,
  demo: !values['no-demo'],
  ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
  ports,
  say: (line) => console.log(`[start] ${line}`),
}).catch((err: unknown) => {
  const busy = portInUse(err);
  if (busy) {
    usageError(
      `npm start: port ${busy.port} on ${busy.address} is in use (another 'npm start'?); stop it, or move this stack: npm start -- --api-port N --aws-port N --kafka-port N`,
      1,
    );
  }
  console.error('npm start failed:', err);
  process.exit(1);
});

console.log(banner(stack));

let stopping = false;
async function stop(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n[start] ${signal}: stopping (flushing buffered records)...`);
  const force = setTimeout(() => {
    console.error('[start] did not stop within 15 s; exiting');
    process.exit(1);
  }, 15_000);
  force.unref();
  await stack.close();
  console.log('[start] stopped');
  process.exit(0);
}
process.on('SIGINT', () => void stop('SIGINT'));
process.on('SIGTERM', () => void stop('SIGTERM'));
