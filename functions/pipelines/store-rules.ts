/**
 * The rules both PipelineStore implementations (registry.ts on DynamoDB, test/helpers/memory-store.ts for
 * tests) share, so they cannot drift: which statuses may precede a transition, what a transition
 * does to the app routes, how a request is fingerprinted for idempotency, and the step order.
 */
import { createHash } from 'node:crypto';
import { IllegalTransitionError } from './errors.ts';
import { allowedTransitions, type Pipeline, type PipelineSpec, type PipelineStatus, type StepRecord } from './model.ts';

/** Statuses from which `to` may be reached (the condition of a guarded transition). */
export function sourcesOf(to: PipelineStatus): PipelineStatus[] {
  return (Object.keys(allowedTransitions) as PipelineStatus[]).filter((from) => allowedTransitions[from].includes(to));
}

export function assertTransition(pipelineId: string, from: PipelineStatus, to: PipelineStatus): void {
  if (!allowedTransitions[from].includes(to)) throw new IllegalTransitionError(pipelineId, from, to);
}

/**
 * What a transition does to the pipeline's app routes (the ingest routing):
 * - ACTIVE: routes become active (ingest accepts the apps' events, to the pipeline's topic);
 * - DELETING, FAILED: routes stay reserved but inactive (ingest answers 403) — a pipeline being
 *   torn down must stop receiving events before its topic goes away;
 * - DELETED: routes and the project guard are removed, so the project and its apps are free again.
 */
export type RouteEffect = 'activate' | 'deactivate' | 'release';

export function routeEffect(to: PipelineStatus): RouteEffect {
  if (to === 'ACTIVE') return 'activate';
  if (to === 'DELETED') return 'release';
  return 'deactivate';
}

/**
 * The route item of an app (active or not): topic, the cluster connection ValidateCluster stored
 * and the pipeline's allowed origins. Both stores write exactly this.
 */
export function routeFields(pipeline: Pick<Pipeline, 'kafka' | 'resources' | 'allowedOrigins'>): {
  topic: string;
  cluster?: Pipeline['resources']['cluster'];
  allowedOrigins?: string[];
} {
  return {
    topic: routeTopic(pipeline),
    ...(pipeline.resources?.cluster !== undefined ? { cluster: pipeline.resources.cluster } : {}),
    ...(pipeline.allowedOrigins !== undefined ? { allowedOrigins: pipeline.allowedOrigins } : {}),
  };
}

/** The topic ingest writes an app's events to: the one the workflow created/reused, else the spec's. */
export function routeTopic(pipeline: Pick<Pipeline, 'kafka' | 'resources'>): string {
  return pipeline.resources?.topic ?? pipeline.kafka.topic;
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * Fingerprint of the request behind a pipeline (its spec, defaults applied): an Idempotency-Key
 * replay with the same fingerprint gets the first answer, a different one is a key reuse.
 */
export function specFingerprint(spec: PipelineSpec): string {
  const { projectId, appIds, kafka, sink, allowedOrigins } = spec;
  return createHash('sha256').update(canonical({ projectId, appIds, kafka, sink, allowedOrigins })).digest('base64url');
}

/** Idempotency keys are remembered this long (also the DynamoDB TTL of their items). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/**
 * Step history in the order steps started, whatever the storage order: by `seq` where both steps
 * have one, else by `startedAt` (records written before `seq` existed), ties by name.
 */
export function sortSteps(steps: StepRecord[]): StepRecord[] {
  const byName = (a: StepRecord, b: StepRecord): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  return [...steps].sort((a, b) => {
    if (a.seq !== undefined && b.seq !== undefined && a.seq !== b.seq) return a.seq - b.seq;
    return a.startedAt < b.startedAt ? -1 : a.startedAt > b.startedAt ? 1 : byName(a, b);
  });
}

export type TransitionPatch = Partial<Pick<Pipeline, 'failureReason' | 'violations' | 'executionArn' | 'currentStep'>>;

/** Patch fields a transition may set; a field present with `undefined` is removed. */
export const PATCH_FIELDS = ['failureReason', 'violations', 'executionArn', 'currentStep'] as const;
