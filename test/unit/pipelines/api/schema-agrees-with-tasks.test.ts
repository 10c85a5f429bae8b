import { buildEventSourceMapping } from '../../../../functions/pipelines/build-event-source-mapping.ts';
import { validatePipelineRequest } from '../../../../functions/pipelines/schema.ts';
import { CLUSTER_ARN } from '../../../helpers/pipelines.ts';

/** Whether POST /pipelines accepts a SCRAM pipeline on this secret ARN. */
function apiAccepts(scramSecretArn: string): boolean {
  return validatePipelineRequest({
    projectId: 'shop',
    appIds: ['web'],
    kafka: { type: 'msk', clusterArn: CLUSTER_ARN, auth: 'scram', scramSecretArn },
    sink: { mode: 'lambda' },
  }).ok;
}

/** Whether the CreateEventSourceMapping task builds a request with this secret ARN. */
function taskAccepts(secretArn: string): boolean {
  try {
    buildEventSourceMapping({
      pipelineId: 'p-42',
      functionName: 'clickstream-pipeline-dev-sink',
      topic: 'shop',
      sink: { batchSize: 500, maxIntervalSeconds: 5 },
      source: { kind: 'msk', clusterArn: CLUSTER_ARN, auth: { type: 'sasl-scram-512', secretArn } },
      onFailureDestinationArn: 'arn:aws:s3:::failures',
    });
    return true;
  } catch {
    return false;
  }
}

describe('the pipeline schema and the workflow tasks', () => {
  const prefix = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:';
  it.each([
    [`${prefix}AmazonMSK_shop-AbCdEf`, true],
    // A partial ARN (no random suffix): Lambda and MSK refuse it, so the API must too.
    [`${prefix}AmazonMSK_shop`, false],
    [`${prefix}AmazonMSK_shop-AbCd`, false],
    ['arn:aws:secretsmanager:useast1:123456789012:secret:AmazonMSK_shop-AbCdEf', false],
    ['arn:aws:s3:::AmazonMSK_shop-AbCdEf', false],
    [`${prefix}AmazonMSK_shop-AbCdEf junk`, false],
  ])('agree on the secret ARN %s (accepted: %s)', (arn, accepted) => {
    expect([apiAccepts(arn), taskAccepts(arn)]).toEqual([accepted, accepted]);
  });
});
