/**
 * `npm start`: the whole pipeline on localhost. Flags:
 *   --fresh        start from empty state (deletes .local/)
 *   --no-demo      do not create the demo pipeline (through POST /pipelines)
 *   --data-dir D   state directory (default .local)
 * Ctrl-C stops everything: no process or port is left behind.
 */
import { parseArgs } from 'node:util';
import { relative } from 'node:path';
import { startStack, type Stack } from './stack.ts';

const { values } = parseArgs({
  options: {
    fresh: { type: 'boolean', default: false },
    'no-demo': { type: 'boolean', default: false },
    'data-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (values.help) {
  console.log('usage: npm start [-- --fresh] [-- --no-demo] [-- --data-dir DIR]');
  process.exit(0);
}

function banner(stack: Stack): string {
  const s3 = relative(process.cwd(), stack.s3Dir) || stack.s3Dir;
  const cli = `AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${stack.aws} --region us-east-1`;
  const lines = [
    '',
    'clickstream-pipeline is running locally',
    '',
    `  HTTP API        ${stack.api}   (POST /collect, GET /ping, /pipelines admin API)`,
    `  Kafka brokers   ${stack.kafka.bootstrap}   (described by the local MSK API as ${stack.clusterArn})`,
    ...(stack.kafka2 ? [`  2nd cluster     ${stack.kafka2.bootstrap}   (described as ${stack.secondClusterArn ?? '?'}; or use it self-hosted)`] : []),
    `  AWS endpoint    ${stack.aws}   (Firehose, Lambda, Step Functions, DynamoDB, MSK, MSK Connect, S3)`,
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
      `  find ${s3}/${stack.bucket}/events -name '*.gz' | sort | tail -1 | xargs gzip -dc`,
    );
  }
  lines.push(
    '',
    'Create another pipeline (connector mode: an MSK Connect S3 sink; poll the statusUrl until ACTIVE):',
    `  curl -s -X POST ${stack.api}/pipelines -H 'content-type: application/json' -d '{"projectId":"shop","appIds":["shop-web"],` +
      `"kafka":{"type":"msk","clusterArn":"${stack.clusterArn}"},` +
      `"sink":{"mode":"connector","maxIntervalSeconds":60,"batchSize":1000,"connector":{"pluginLocation":{"bucketArn":"arn:aws:s3:::${stack.bucket}","fileKey":"plugins/confluentinc-kafka-connect-s3.zip"}}}}'`,
    `  curl -s ${stack.api}/pipelines`,
    ...(stack.kafka2 ? [
      'A pipeline on the second cluster (self-hosted brokers; its events go to that cluster):',
      `  curl -s -X POST ${stack.api}/pipelines -H 'content-type: application/json' -d '{"projectId":"blog","appIds":["blog-web"],` +
        `"kafka":{"type":"self-hosted","brokers":"${stack.kafka2.bootstrap}","securityGroupId":"sg-00000000000000001"},"sink":{"mode":"lambda","maxIntervalSeconds":5}}'`,
    ] : []),
    '',
    'Look around with the AWS CLI and kcat:',
    `  ${cli} stepfunctions list-executions --state-machine-arn ${process.env.CREATE_PIPELINE_STATE_MACHINE_ARN ?? ''}`,
    `  ${cli} lambda list-event-source-mappings`,
    `  ${cli} s3 ls --recursive s3://${stack.bucket}/`,
    `  kcat -b ${stack.kafka.bootstrap} -L`,
    '',
    `Faults for experiments: curl -X POST ${stack.aws}/_local/firehose/faults -d '{"failureRate":0.3}'`,
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
  say: (line) => console.log(`[start] ${line}`),
}).catch((err: unknown) => {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'EADDRINUSE') {
    console.error(`npm start: port ${(e as { port?: number }).port ?? ''} is in use (${e.message}). Is another 'npm start' running?`);
  } else {
    console.error('npm start failed:', err);
  }
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
