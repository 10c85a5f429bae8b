import { PipelineNotFoundError } from '../errors.ts';
import { isPipelineId, type Pipeline } from '../model.ts';
import type { PipelinesApiDeps } from './deps.ts';

/** GET /pipelines/{id}: the pipeline, or PipelineNotFoundError (→ 404). */
export async function getPipeline(id: string, deps: Pick<PipelinesApiDeps, 'store'>): Promise<Pipeline> {
  if (!isPipelineId(id)) throw new PipelineNotFoundError(id);
  const pipeline = await deps.store.get(id);
  if (!pipeline) throw new PipelineNotFoundError(id);
  return pipeline;
}

/** GET /pipelines: every pipeline, newest first (DELETED ones included: they are the history). */
export async function listPipelines(deps: Pick<PipelinesApiDeps, 'store'>): Promise<Pipeline[]> {
  return deps.store.list();
}
