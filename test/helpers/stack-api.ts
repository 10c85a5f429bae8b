/**
 * The local stack's admin API as the end-to-end and fault tests drive it: one way to create a
 * pipeline and wait for its workflow, one way to delete it, so every test checks the same 202
 * and waits the same way instead of each file keeping its own copy.
 */
import { waitForPipeline, type PipelineView } from '../../local/demo-pipeline.ts';

/** What the helpers need of a running stack (a `Stack` or anything with its API URL). */
export interface StackApi {
  api: string;
}

/**
 * A POST /pipelines body for a lambda-mode pipeline of project `projectId` with one app
 * `<projectId>-web`: the shape most e2e tests create, `kafka` and the sink settings varying.
 */
export function lambdaPipeline(
  projectId: string,
  kafka: Record<string, unknown>,
  sink: { maxIntervalSeconds?: number; batchSize?: number } = {},
): Record<string, unknown> {
  return {
    projectId,
    appIds: [`${projectId}-web`],
    kafka,
    sink: { mode: 'lambda', maxIntervalSeconds: 1, batchSize: 1000, ...sink },
  };
}

/**
 * A POST /pipelines body for a connector-mode pipeline of project `projectId` (app
 * `<projectId>-web`) on the stack's MSK cluster, with the S3 sink plugin the local stack uploads
 * to its bucket.
 */
export function connectorPipeline(
  projectId: string,
  stack: { clusterArn: string; bucket: string },
  sink: { maxIntervalSeconds: number; batchSize: number },
): Record<string, unknown> {
  return {
    projectId,
    appIds: [`${projectId}-web`],
    kafka: { type: 'msk', clusterArn: stack.clusterArn },
    sink: {
      mode: 'connector',
      ...sink,
      connector: {
        pluginLocation: { bucketArn: `arn:aws:s3:::${stack.bucket}`, fileKey: 'plugins/kafka-connect-s3.zip' },
      },
    },
  };
}

/** POST /pipelines (expects 202, the answer shown when it is not), then waits for the workflow. */
export async function createPipeline(stack: StackApi, body: unknown, timeoutMs = 60_000): Promise<PipelineView> {
  const res = await fetch(`${stack.api}/pipelines`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = (await res.json()) as { id?: string };
  expect({ status: res.status, body: answer }).toMatchObject({ status: 202 });
  return waitForPipeline(stack.api, answer.id ?? '', timeoutMs);
}

/** DELETE /pipelines/{id} (expects 202), then waits for the delete workflow. */
export async function deletePipeline(stack: StackApi, id: string, timeoutMs = 60_000): Promise<PipelineView> {
  const res = await fetch(`${stack.api}/pipelines/${id}`, { method: 'DELETE' });
  expect(res.status).toBe(202);
  return waitForPipeline(stack.api, id, timeoutMs);
}
