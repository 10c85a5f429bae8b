/**
 * GetEventSourceMapping: one poll of the mapping. Enabled (and no PROBLEM reported by its
 * pollers) → the Choice moves on to MarkActive; Creating, Enabling or Updating → wait and poll
 * again (bounded); Disabled, Disabling, Deleting or gone → ResourceFailedError with Lambda's
 * reason.
 */
import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { awsClientConfig } from '../../lib/aws.ts';
import { isNotFound, ResourceFailedError, toTaskError } from './errors.ts';
import { registryStore, taskHandler, taskLog } from './lambda.ts';
import { nextAttempt, sinceOf, type PollState } from './poll.ts';
import { loadPipeline, nowIso, runStep, type PipelineInput, type TaskDeps } from './step.ts';

export const GET_MAPPING_STEP = 'WaitForEventSourceMapping';

export interface GetEventSourceMappingDeps extends TaskDeps {
  lambda: Pick<LambdaClient, 'send'>;
}

export interface GetEventSourceMappingInput extends PipelineInput {
  /** CreateEventSourceMapping's output, then the previous poll's. */
  mapping: PollState & { uuid: string };
  maxAttempts?: number;
}

export interface GetEventSourceMappingOutput {
  uuid: string;
  /** Enabled | Creating | Enabling | Updating (failure states throw). */
  state: string;
  lastProcessingResult: string | undefined;
  attempt: number;
  since: string;
}

const PENDING = new Set(['Creating', 'Enabling', 'Updating']);

export async function getEventSourceMapping(
  input: GetEventSourceMappingInput,
  deps: GetEventSourceMappingDeps,
): Promise<GetEventSourceMappingOutput> {
  const pipeline = await loadPipeline(deps, input.pipelineId, ['CREATING']);
  const since = sinceOf(input.mapping) ?? nowIso(deps);
  const uuid = input.mapping?.uuid;
  return runStep(
    deps,
    pipeline.id,
    GET_MAPPING_STEP,
    async () => {
      let out;
      try {
        out = await deps.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
      } catch (error) {
        if (isNotFound(error))
          throw new ResourceFailedError(
            `event source mapping ${uuid} does not exist (deleted while the pipeline was being created?)`,
          );
        throw toTaskError(error, `get event source mapping ${uuid}`);
      }
      const reported = out.State ?? 'Unknown';
      const problem = out.LastProcessingResult?.startsWith('PROBLEM') ? out.LastProcessingResult : undefined;
      if (reported !== 'Enabled' && !PENDING.has(reported)) {
        const why = [out.StateTransitionReason, problem].filter(Boolean).join('; ');
        throw new ResourceFailedError(`event source mapping ${uuid} is ${reported}${why ? ` (${why})` : ''}`);
      }
      // Enabled with a PROBLEM (e.g. the pollers cannot reach the brokers) is not ready yet.
      const state = reported === 'Enabled' && problem ? 'EnabledWithProblem' : reported;
      const attempt = nextAttempt(
        input.mapping,
        input.maxAttempts,
        state === 'Enabled',
        `event source mapping ${uuid}`,
        problem ? `${reported} with ${problem}` : reported,
      );
      return { uuid, state, lastProcessingResult: out.LastProcessingResult, attempt, since };
    },
    {
      startedAt: since,
      running: (r) => r.state !== 'Enabled',
      detail: (r) => `event source mapping ${r.state} (check ${r.attempt})`,
    },
  );
}

let deps: GetEventSourceMappingDeps | undefined;
export const handler = taskHandler<GetEventSourceMappingInput, GetEventSourceMappingOutput>(
  GET_MAPPING_STEP,
  (input) => {
    deps ??= { store: registryStore(), lambda: new LambdaClient(awsClientConfig()), log: taskLog };
    return getEventSourceMapping(input, deps);
  },
);
