import type { Log } from '../../lib/logger.ts';
import type { PipelineStore } from '../model.ts';
import type { WorkflowStarter } from './workflows.ts';

/** What the admin API cores need; the handler wires DynamoDB and Step Functions, tests fakes. */
export interface PipelinesApiDeps {
  store: PipelineStore;
  workflows: WorkflowStarter;
  newId(): string;
  /** ms epoch */
  now(): number;
  log: Log;
}

/** Where a pipeline's status is read (the POST/DELETE answers' statusUrl and Location). */
export function statusUrl(id: string): string {
  return `/pipelines/${encodeURIComponent(id)}`;
}
