import { WorkflowStartError } from '../errors.ts';
import type { Pipeline } from '../model.ts';
import type { PipelinesApiDeps } from './deps.ts';
import { isTransientAwsError } from '../../lib/aws-errors.ts';
import type { WorkflowKind } from './workflows.ts';

function describeError(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * Starts the pipeline's workflow and records its execution ARN. A pipeline must not wait forever
 * for a workflow that never started: if Step Functions refuses, the pipeline is marked FAILED
 * with the reason (CREATING → FAILED, DELETING → FAILED; a FAILED pipeline can be deleted, a
 * failed teardown retried) and WorkflowStartError is thrown (→ 503 when transient, else 500).
 */
export async function startWorkflow(kind: WorkflowKind, pipeline: Pipeline, deps: PipelinesApiDeps): Promise<Pipeline> {
  let executionArn: string;
  try {
    ({ executionArn } = await deps.workflows.start(kind, pipeline.id));
  } catch (err) {
    const transient = isTransientAwsError(err);
    deps.log.error('workflow start failed', {
      pipelineId: pipeline.id,
      workflow: kind,
      transient,
      error: describeError(err),
    });
    const next = kind === 'create' ? 'create it again' : 'send DELETE again';
    const failureReason =
      `the ${kind} workflow could not be started (${describeError(err)}); ` +
      `${kind === 'create' ? 'delete this pipeline and ' : ''}${next}${transient ? ' later' : ' once the cause is fixed'}`;
    try {
      await deps.store.transition(pipeline.id, 'FAILED', { failureReason });
    } catch (markErr) {
      deps.log.error('could not mark the pipeline FAILED', {
        pipelineId: pipeline.id,
        error: describeError(markErr),
      });
    }
    throw new WorkflowStartError(pipeline.id, kind, transient, err);
  }
  try {
    await deps.store.setExecutionArn(pipeline.id, executionArn);
  } catch (err) {
    // The workflow runs; only the link to it is missing. Not worth failing the request for.
    deps.log.warn('could not record the execution ARN', {
      pipelineId: pipeline.id,
      executionArn,
      error: describeError(err),
    });
  }
  return { ...pipeline, executionArn };
}
