import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SFNClient } from '@aws-sdk/client-sfn';
import { awsClientConfig } from '../../lib/aws.ts';
import { logger } from '../../lib/logger.ts';
import { createDocumentClient, DynamoPipelineStore } from '../registry.ts';
import { createPipelinesApp, type PipelinesAppDeps } from './app.ts';
import { readPipelinesApiConfig } from './config.ts';
import { createSfnWorkflowStarter } from './workflows.ts';

let container: PipelinesAppDeps | undefined;

/** Built once per container: configuration validated, DynamoDB and Step Functions clients created. */
function containerDeps(): PipelinesAppDeps {
  if (container) return container;
  const config = readPipelinesApiConfig(process.env);
  container = {
    store: new DynamoPipelineStore({ client: createDocumentClient(), tableName: config.tableName }),
    workflows: createSfnWorkflowStarter(new SFNClient(awsClientConfig()), {
      create: config.createStateMachineArn,
      delete: config.deleteStateMachineArn,
    }),
    newId: randomUUID,
    now: Date.now,
    log: logger,
    retryAfterSeconds: config.retryAfterSeconds,
  };
  return container;
}

export const handler = middy(createPipelinesApp(containerDeps, logger)).use(injectLambdaContext(logger));
