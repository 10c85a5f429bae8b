/**
 * DeleteConnector (teardown, and the first step of rollback): deletes the pipeline's connector
 * and, called again after each Wait, reports when it is gone — a bounded loop, because the custom
 * plugin cannot be deleted while a connector still uses it. Idempotent: no connector, or "not
 * found", is done. A connector the registry does not know (CreateConnector died before recording
 * it) is found by the pipeline's connector name.
 */
import { DeleteConnectorCommand, DescribeConnectorCommand } from '@aws-sdk/client-kafkaconnect';
import { connectorName } from '../build-connector-config.ts';
import type { Pipeline } from '../model.ts';
import { CLEANUP_STATUSES, unrecorded, type CleanupInput } from './cleanup.ts';
import { findArnByName, kafkaConnectPorts, type KafkaConnectDeps } from './connect-lookups.ts';
import { isAwsError, isNotFound, toTaskError } from './errors.ts';
import { taskLambda } from './lambda.ts';
import { nextAttempt, pollStep, type PollInput, type PollState } from './poll.ts';

export const DELETE_CONNECTOR_STEP = 'DeleteConnector';
export interface DeleteConnectorInput extends CleanupInput, PollInput {
  /** The previous round's output ({attempt: 0} from the Pass state that starts the loop). */
  deletion?: PollState;
}

export interface DeleteConnectorOutput {
  /** True once no connector of this pipeline exists. */
  gone: boolean;
  connectorArn: string | undefined;
  attempt: number;
  since: string;
}

async function connectorArnOf(pipeline: Pipeline, deps: KafkaConnectDeps): Promise<string | undefined> {
  return (
    pipeline.resources.connectorArn ||
    unrecorded(pipeline, 'CreateConnector', 'connector', () =>
      findArnByName(deps.kafkaConnect, 'connector', connectorName(pipeline.id)),
    )
  );
}

/** One round: true when gone, false when its deletion is under way. */
async function deleteRound(connectorArn: string, deps: KafkaConnectDeps): Promise<{ gone: boolean; state: string }> {
  let state: string | undefined;
  try {
    state = (await deps.kafkaConnect.send(new DescribeConnectorCommand({ connectorArn }))).connectorState;
  } catch (error) {
    if (isNotFound(error)) return { gone: true, state: 'GONE' };
    throw toTaskError(error, `describe connector ${connectorArn}`);
  }
  if (state === 'DELETING') return { gone: false, state };
  try {
    const out = await deps.kafkaConnect.send(new DeleteConnectorCommand({ connectorArn }));
    return { gone: false, state: out.connectorState ?? 'DELETING' };
  } catch (error) {
    if (isNotFound(error)) return { gone: true, state: 'GONE' };
    // Busy (still CREATING or UPDATING): try again after the next Wait.
    if (isAwsError(error, 'ConflictException')) return { gone: false, state: state ?? 'BUSY' };
    throw toTaskError(error, `delete connector ${connectorArn}`);
  }
}

export async function deleteConnector(
  input: DeleteConnectorInput,
  deps: KafkaConnectDeps,
): Promise<DeleteConnectorOutput> {
  return pollStep(
    deps,
    input,
    input.deletion,
    {
      name: input.step ?? DELETE_CONNECTOR_STEP,
      statuses: CLEANUP_STATUSES,
      running: (r) => !r.gone,
      detail: (r) =>
        r.connectorArn === undefined
          ? 'no connector to delete'
          : r.gone
            ? `connector ${r.connectorArn} deleted`
            : `deleting connector ${r.connectorArn} (check ${r.attempt})`,
    },
    async (pipeline, since) => {
      const connectorArn = await connectorArnOf(pipeline, deps);
      const round = connectorArn === undefined ? { gone: true, state: 'NONE' } : await deleteRound(connectorArn, deps);
      const attempt = nextAttempt(
        input.deletion,
        input.maxAttempts,
        round.gone,
        `the deletion of connector ${connectorArn}`,
        round.state,
      );
      return { gone: round.gone, connectorArn, attempt, since };
    },
  );
}

export const handler = taskLambda(DELETE_CONNECTOR_STEP, deleteConnector, kafkaConnectPorts);
