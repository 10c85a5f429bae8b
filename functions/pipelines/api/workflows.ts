import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';

export type WorkflowKind = 'create' | 'delete';

/** The workflow port of the admin API: starts a pipeline's create or teardown execution. */
export interface WorkflowStarter {
  start(kind: WorkflowKind, pipelineId: string): Promise<{ executionArn: string }>;
}

export interface StateMachineArns {
  create: string;
  delete: string;
}

/** `arn:…:stateMachine:<name>` + execution name → `arn:…:execution:<name>:<execution>` (AWS's format). */
export function executionArnOf(stateMachineArn: string, executionName: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionName}`;
}

/**
 * Starts executions on Step Functions with the input `{"pipelineId"}`.
 *
 * - create: the execution name is the pipeline id, so starting twice cannot run two workflows
 *   (Step Functions answers the running execution for the same name and input, and
 *   ExecutionAlreadyExists once it has ended — then the existing execution's ARN is returned).
 * - delete: a pipeline may be deleted again after a failed teardown, and execution names are
 *   unique per state machine for 90 days, so the name is `<id>-delete-<ms epoch>`; the registry's
 *   guarded DELETING transition is what prevents two concurrent teardowns.
 */
export function createSfnWorkflowStarter(
  sfn: SFNClient,
  arns: StateMachineArns,
  now: () => number = Date.now,
): WorkflowStarter {
  return {
    async start(kind, pipelineId) {
      const stateMachineArn = kind === 'create' ? arns.create : arns.delete;
      const name = kind === 'create' ? pipelineId : `${pipelineId}-delete-${now()}`;
      try {
        const out = await sfn.send(
          new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ pipelineId }) }),
        );
        if (!out.executionArn) throw new Error('StartExecution answered without an executionArn');
        return { executionArn: out.executionArn };
      } catch (err) {
        if (kind === 'create' && err instanceof Error && err.name === 'ExecutionAlreadyExists') {
          return { executionArn: executionArnOf(stateMachineArn, name) };
        }
        throw err;
      }
    },
  };
}
