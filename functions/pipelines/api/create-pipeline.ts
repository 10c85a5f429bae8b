import { BadRequestError } from '../../lib/errors.ts';
import type { Pipeline } from '../model.ts';
import { parsePipelineRequest } from '../schema.ts';
import type { PipelinesApiDeps } from './deps.ts';
import { startWorkflow } from './start-workflow.ts';

export interface CreatePipelineRequest {
  /** The parsed JSON body. */
  body: unknown;
  /** `Idempotency-Key` header, when sent. */
  idempotencyKey: string | undefined;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * POST /pipelines without HTTP: validate (every violation at once), register in CREATING (the
 * registry refuses a second pipeline per project and app ids already routed elsewhere), start the
 * create workflow (name = pipeline id) and record its execution.
 *
 * With an Idempotency-Key, a repeated request gets the first pipeline back and starts nothing —
 * unless the first request died between registering and starting (CREATING without an execution),
 * in which case the workflow is started now; the execution name makes that start idempotent too.
 */
export async function createPipeline(
  req: CreatePipelineRequest,
  deps: PipelinesApiDeps,
): Promise<{ pipeline: Pipeline; created: boolean }> {
  const key = req.idempotencyKey;
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    throw new BadRequestError(
      'the Idempotency-Key header must be 1-255 visible ASCII characters (a UUID is a good choice)',
    );
  }
  const spec = parsePipelineRequest(req.body);
  const at = new Date(deps.now()).toISOString();
  const candidate: Pipeline = {
    ...spec,
    id: deps.newId(),
    status: 'CREATING',
    steps: [],
    resources: {},
    createdAt: at,
    updatedAt: at,
  };
  const { pipeline, created } = await deps.store.create(candidate, key);
  if (created) {
    deps.log.info('pipeline registered', { pipelineId: pipeline.id, projectId: pipeline.projectId });
    return { pipeline: await startWorkflow('create', pipeline, deps), created };
  }
  deps.log.info('idempotent replay', { pipelineId: pipeline.id, status: pipeline.status });
  if (pipeline.status === 'CREATING' && pipeline.executionArn === undefined) {
    return { pipeline: await startWorkflow('create', pipeline, deps), created };
  }
  return { pipeline, created };
}
