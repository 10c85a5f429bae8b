/**
 * Loads the ASL of statemachines/*.asl.yml the way serverless.yml uses it: the definition is the
 * YAML file, and each Task's `Resource: { Fn::GetAtt: [<Key>LambdaFunction, Arn] }` becomes the
 * ARN of the task function `<service>-<stage>-<key>` (serverless-step-functions resolves the
 * same GetAtt to the same function when it compiles the template).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export type StateMachineName = 'create-pipeline' | 'delete-pipeline';

export interface AslState {
  Type: string;
  Resource?: unknown;
  Next?: string;
  End?: boolean;
  Retry?: Array<Record<string, unknown> & { ErrorEquals: string[] }>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string | null }>;
  Choices?: Array<Record<string, unknown> & { Next: string }>;
  Default?: string;
  Seconds?: number;
  TimeoutSeconds?: number;
  Parameters?: Record<string, unknown>;
  [key: string]: unknown;
}

export interface AslDefinition {
  Comment?: string;
  StartAt: string;
  States: Record<string, AslState>;
}

export const SERVICE = 'clickstream-pipeline';

/** `ValidateClusterLambdaFunction` → `validateCluster` (serverless' logical id naming, reversed). */
export function functionKeyOf(logicalId: string): string {
  const base = logicalId.replace(/LambdaFunction$/, '');
  return base.charAt(0).toLowerCase() + base.slice(1);
}

export function functionArn(key: string, options: { stage?: string; region?: string; account?: string } = {}): string {
  return `arn:aws:lambda:${options.region ?? 'us-east-1'}:${options.account ?? '123456789012'}:function:${SERVICE}-${options.stage ?? 'test'}-${key}`;
}

/** The raw definition (Resources still `Fn::GetAtt`). */
export function readDefinition(name: StateMachineName, root = process.cwd()): AslDefinition {
  return parse(readFileSync(join(root, 'statemachines', `${name}.asl.yml`), 'utf8')) as AslDefinition;
}

/** The logical id a Task's Resource refers to. */
export function resourceLogicalId(resource: unknown): string {
  const getAtt = (resource as { 'Fn::GetAtt'?: unknown } | undefined)?.['Fn::GetAtt'];
  if (!Array.isArray(getAtt) || getAtt.length !== 2 || getAtt[1] !== 'Arn' || typeof getAtt[0] !== 'string') {
    throw new Error(`Task Resource is not { Fn::GetAtt: [<Function>, Arn] }: ${JSON.stringify(resource)}`);
  }
  return getAtt[0];
}

/** The definition with every task Resource replaced by its function ARN, plus which key each Task state calls. */
export function loadStateMachine(
  name: StateMachineName,
  options: { stage?: string; root?: string } = {},
): { definition: AslDefinition; taskFunctions: Record<string, string> } {
  const definition = readDefinition(name, options.root);
  const taskFunctions: Record<string, string> = {};
  for (const [stateName, state] of Object.entries(definition.States)) {
    if (state.Type !== 'Task') continue;
    const key = functionKeyOf(resourceLogicalId(state.Resource));
    taskFunctions[stateName] = key;
    state.Resource = functionArn(key, options);
  }
  return { definition, taskFunctions };
}
