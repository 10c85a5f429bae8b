/**
 * GetEventSourceMapping: one poll of the mapping. Enabled (and no PROBLEM reported by its
 * pollers) → the Choice moves on to MarkActive; Creating, Enabling or Updating → wait and poll
 * again (bounded); Disabled, Disabling, Deleting or gone → ResourceFailedError with Lambda's
 * reason.
 */
import { GetEventSourceMappingCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { awsClientConfig } from '../../lib/aws.ts';
import { taskLambda } from './lambda.ts';
import { pollResource, type PolledResource } from './poll-resource.ts';
import type { PollInput, PollState } from './poll.ts';
import type { TaskDeps } from './step.ts';

export const GET_MAPPING_STEP = 'GetEventSourceMapping';

export interface GetEventSourceMappingDeps extends TaskDeps {
  lambda: Pick<LambdaClient, 'send'>;
}

export interface GetEventSourceMappingInput extends PollInput {
  /** CreateEventSourceMapping's output, then the previous poll's. */
  mapping: PollState & { uuid: string };
}

/** `state`: Enabled | EnabledWithProblem | Creating | Enabling | Updating (failure states throw). */
export type GetEventSourceMappingOutput = PolledResource<{ uuid: string; lastProcessingResult: string | undefined }>;

export async function getEventSourceMapping(
  input: GetEventSourceMappingInput,
  deps: GetEventSourceMappingDeps,
): Promise<GetEventSourceMappingOutput> {
  const uuid = input.mapping?.uuid;
  return pollResource(deps, input, input.mapping, {
    step: GET_MAPPING_STEP,
    kind: 'event source mapping',
    id: uuid,
    verb: 'get',
    ready: 'Enabled',
    pending: ['Creating', 'Enabling', 'Updating'],
    describe: async () => {
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
    },
  });
}

export const handler = taskLambda(GET_MAPPING_STEP, getEventSourceMapping, () => ({
  lambda: new LambdaClient(awsClientConfig()),
}));
