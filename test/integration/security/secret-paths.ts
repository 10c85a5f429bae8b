/**
 * Child process of secrets-not-logged.test.ts: runs one code path that handles a secret, through
 * the real Lambda handler, with the configuration it gets from the environment (the test sets
 * POWERTOOLS_LOG_LEVEL=DEBUG and the secrets). Everything the path writes — its logs, and the
 * error a task hands to Step Functions (printed here, since Step Functions records it) — goes to
 * this process's stdout/stderr, which the test scans.
 *
 *   node test/integration/security/secret-paths.ts ingest            POST /collect twice
 *   node test/integration/security/secret-paths.ts create-topic <id> the CreateTopic task
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLambdaContext } from '../../../local/lambda-context.ts';

const [scenario, pipelineId] = process.argv.slice(2);
const context = (name: string) => createLambdaContext({ functionName: `secrets-${name}`, functionArn: `arn:aws:lambda:us-east-1:123456789012:function:secrets-${name}`, timeoutMs: 30_000 });

if (scenario === 'ingest') {
  const { handler, shutdown } = await import('../../../functions/ingest/handler.ts');
  const event = JSON.parse(readFileSync(join(process.cwd(), 'test', 'fixtures', 'apigw', 'collect-post.json'), 'utf8')) as APIGatewayProxyEventV2;
  // Twice: the second send resolves the credentials again after the first failure dropped the producer.
  for (let i = 0; i < 2; i++) {
    const res = await handler(event, context('ingest'));
    process.stdout.write(`${JSON.stringify({ scenario, status: res.statusCode, body: res.body })}\n`);
  }
  await shutdown();
} else if (scenario === 'create-topic') {
  const { handler } = await import('../../../functions/pipelines/tasks/create-topic.ts');
  try {
    const out = await handler({ pipelineId: pipelineId!, cluster: { bootstrapBrokers: (process.env.SECRETS_TEST_BROKERS ?? '').split(','), brokerCount: 2, replicationFactor: 2, partitions: 3 } }, context('createTopic'));
    process.stdout.write(`${JSON.stringify({ scenario, out })}\n`);
  } catch (error) {
    // What Step Functions would record as the task's error and cause.
    const e = error as Error;
    process.stdout.write(`${JSON.stringify({ scenario, errorType: e.name, cause: e.message })}\n`);
  }
} else {
  throw new Error(`unknown scenario ${scenario}`);
}
