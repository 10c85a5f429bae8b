/**
 * GetEventSourceMapping: one poll of the mapping. Enabled (and no PROBLEM reported by its
 * pollers) → the Choice moves on to MarkActive; Creating, Enabling or Updating → wait and poll
 * again (bounded); Disabled, Disabling, Deleting or gone → ResourceFailedError with Lambda's
 * reason.
 */
import { GetEventSourceMappingCommand } from '@aws-sdk/client-lambda';
import { taskLambda } from './lambda.ts';
import { lambdaPorts, type LambdaDeps } from './mapping-lookups.ts';
import { resourceWait, WAITED_ON } from './poll-resource.ts';

export const GET_MAPPING_STEP = WAITED_ON.mapping.step;

/**
 * Output: `{uuid, lastProcessingResult, state, attempt, since}`, `state` Enabled,
 * EnabledWithProblem, Creating, Enabling or Updating.
 */
export const getEventSourceMapping = resourceWait('mapping', async (uuid, deps: LambdaDeps) => {
  const out = await deps.lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
  const reported = out.State ?? 'Unknown';
  const problem = out.LastProcessingResult?.startsWith('PROBLEM') ? out.LastProcessingResult : undefined;
  const why = [out.StateTransitionReason, problem].filter(Boolean).join('; ');
  return {
    reported,
    // Enabled with a PROBLEM (e.g. the pollers cannot reach the brokers) is not ready yet.
    ...(reported === 'Enabled' && problem ? { state: 'EnabledWithProblem' } : {}),
    shown: problem ? `${reported} with ${problem}` : reported,
    why: why ? ` (${why})` : '',
    fields: { uuid, lastProcessingResult: out.LastProcessingResult },
  };
});

export const handler = taskLambda(GET_MAPPING_STEP, getEventSourceMapping, lambdaPorts);
