import { PipelineNotFoundError } from '../errors.ts';
import { isPipelineId, type Pipeline } from '../model.ts';
import type { PipelinesApiDeps } from './deps.ts';
import { startWorkflow } from './start-workflow.ts';

/**
 * DELETE /pipelines/{id} without HTTP: the guarded ACTIVE|FAILED → DELETING transition
 * (PipelineNotFoundError → 404, IllegalTransitionError → 409: while CREATING, or already
 * DELETING/DELETED), which also deactivates the pipeline's ingest routes, then the teardown
 * workflow. Only one request can win the transition, so only one teardown starts.
 */
export async function deletePipeline(id: string, deps: PipelinesApiDeps): Promise<Pipeline> {
  if (!isPipelineId(id)) throw new PipelineNotFoundError(id);
  const pipeline = await deps.store.transition(id, 'DELETING');
  deps.log.info('pipeline deletion requested', { pipelineId: id, projectId: pipeline.projectId });
  return startWorkflow('delete', pipeline, deps);
}
