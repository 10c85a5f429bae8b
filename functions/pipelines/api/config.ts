import { integer, requiredString, type Env } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';

export interface PipelinesApiConfig {
  /** The registry table (resources/pipelines-table.yml). */
  tableName: string;
  createStateMachineArn: string;
  deleteStateMachineArn: string;
  /** Retry-After of a 503 (a workflow could not be started for a transient reason). */
  retryAfterSeconds: number;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

function stateMachineArn(env: Env, name: string): string {
  const value = requiredString(env, name);
  if (!STATE_MACHINE_ARN.test(value))
    throw new ConfigError(
      `${name}='${value}' must be a Step Functions state machine ARN (arn:aws:states:<region>:<account>:stateMachine:<name>)`,
    );
  return value;
}

/** Reads and validates the admin API's settings; each error names its variable. */
export function readPipelinesApiConfig(env: Env): PipelinesApiConfig {
  return {
    tableName: requiredString(env, 'PIPELINES_TABLE'),
    createStateMachineArn: stateMachineArn(env, 'CREATE_PIPELINE_STATE_MACHINE_ARN'),
    deleteStateMachineArn: stateMachineArn(env, 'DELETE_PIPELINE_STATE_MACHINE_ARN'),
    retryAfterSeconds: integer(env, 'RETRY_AFTER_SECONDS', 30, 1, 3600),
  };
}
