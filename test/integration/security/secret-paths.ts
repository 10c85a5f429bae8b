/**
 * Child process of secrets-not-logged.test.ts: runs each code path that handles a secret through
 * the real Lambda handler, with the configuration it reads from the environment. Scenarios come
 * as one JSON argument, `[{ name, kind: 'ingest' | 'create-topic', env, pipelineId? }]`; each
 * runs with its own environment and a fresh instance of its handler module (so a fresh
 * container), after a `=== <name>` line. Everything a path writes — its logs (the test sets
 * POWERTOOLS_LOG_LEVEL=DEBUG), and the error a task hands Step Functions (printed here, since
 * Step Functions records it) — goes to this process's stdout/stderr, which the test scans.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLambdaContext } from '../../../local/lambda-context.ts';

interface Scenario {
  name: string;
  kind: 'ingest' | 'create-topic';
  env: Record<string, string>;
  pipelineId?: string;
  brokers?: string;
}

const scenarios = JSON.parse(process.argv[2] ?? '[]') as Scenario[];
const context = (name: string) =>
  createLambdaContext({
    functionName: `secrets-${name}`,
    functionArn: `arn:aws:lambda:us-east-1:123456789012:function:secrets-${name}`,
    timeoutMs: 30_000,
  });
const event = JSON.parse(
  readFileSync(join(process.cwd(), 'test', 'fixtures', 'apigw', 'collect-post.json'), 'utf8'),
) as APIGatewayProxyEventV2;
const baseEnv = { ...process.env };
/** Console output is synchronous on pipes only sometimes: write markers through the same stream as the logs. */
const print = (line: string) => process.stdout.write(`${line}\n`);

for (const [i, s] of scenarios.entries()) {
  for (const key of Object.keys(process.env)) if (!(key in baseEnv)) delete process.env[key];
  Object.assign(process.env, s.env);
  print(`=== ${s.name}`);
  if (s.kind === 'ingest') {
    const { handler, shutdown } = (await import(
      `../../../functions/ingest/handler.ts?scenario=${i}`
    )) as typeof import('../../../functions/ingest/handler.ts');
    // Twice: the second send resolves the credentials again after the first failure dropped the producer.
    for (let n = 0; n < 2; n++) {
      const res = await handler(event, context('ingest'));
      print(JSON.stringify({ scenario: s.name, status: res.statusCode, body: res.body }));
    }
    await shutdown();
  } else {
    const { handler } = (await import(
      `../../../functions/pipelines/tasks/create-topic.ts?scenario=${i}`
    )) as typeof import('../../../functions/pipelines/tasks/create-topic.ts');
    try {
      const out = await handler(
        {
          pipelineId: s.pipelineId!,
          cluster: {
            bootstrapBrokers: (s.brokers ?? '').split(','),
            brokerCount: 2,
            replicationFactor: 2,
            partitions: 3,
          },
        },
        context('createTopic'),
      );
      print(JSON.stringify({ scenario: s.name, out }));
    } catch (error) {
      // What Step Functions would record as the task's error and cause.
      const e = error as Error;
      print(JSON.stringify({ scenario: s.name, errorType: e.name, cause: e.message }));
    }
  }
}
print('=== end');
