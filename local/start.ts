/**
 * `npm start`: the whole pipeline on localhost. Flags:
 *   --fresh        start from empty state (deletes .local/)
 *   --no-demo      do not create the demo pipeline
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
  const lines = [
    '',
    'clickstream-pipeline is running locally',
    '',
    `  HTTP API        ${stack.api}   (POST /collect, GET /ping)`,
    `  Kafka brokers   ${stack.kafka.bootstrap}`,
    `  AWS endpoint    ${stack.aws}   (Firehose, Lambda event source mappings)`,
    `  S3 objects      ${s3}/<bucket>/<key>`,
    `  state           ${relative(process.cwd(), stack.dataDir) || stack.dataDir}  (kept across restarts; npm start -- --fresh to reset)`,
  ];
  if (stack.demo) {
    const d = stack.demo;
    lines.push(
      '',
      `Demo pipeline: app '${d.appId}' -> topic '${d.topic}' -> mapping (batch ${d.batchSize}, window ${d.windowSeconds} s) -> Firehose '${d.streamName}' -> s3://${d.bucket}/events/`,
      '',
      'Send an event:',
      `  curl -s -X POST "${stack.api}/collect?appId=${d.appId}" -H 'content-type: application/json' \\`,
      `    -d '[{"event_id":"'$(date +%s%N)'","event_type":"page_view","timestamp":'$(date +%s000)',"app_id":"${d.appId}"}]'`,
      '',
      `See it in S3 (after the ${d.windowSeconds} s window):`,
      `  find ${s3}/${d.bucket}/events -name '*.gz' | sort | tail -1 | xargs gzip -dc`,
      '',
      'Look around with the AWS CLI and kcat:',
      `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${stack.aws} --region us-east-1 firehose list-delivery-streams`,
      `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws --endpoint-url ${stack.aws} --region us-east-1 lambda list-event-source-mappings`,
      `  kcat -b ${stack.kafka.bootstrap} -L`,
      `  kcat -b ${stack.kafka.bootstrap} -C -t ${d.topic} -o beginning -e`,
      '',
      'Faults for experiments: curl -X POST ' + stack.aws + `/_local/firehose/faults -d '{"failureRate":0.3}'`,
    );
  }
  lines.push('', 'Ctrl-C stops everything.', '');
  return lines.join('\n');
}

const stack = await startStack({
  fresh: values.fresh,
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
