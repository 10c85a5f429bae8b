/**
 * An in-memory PipelineStore with the registry's exact behaviour (same errors, same transition
 * guard, same route effects, same idempotency rules — see store-rules.ts), for unit and workflow
 * tests and anything else that must run without DynamoDB. The behavioural suite
 * test/unit/pipelines/registry-contract.ts runs against it and against the DynamoDB store.
 *
 * Values go in and out as copies, as they would through DynamoDB: mutating a returned pipeline
 * never changes the stored one.
 */
import {
  AppIdConflictError,
  IdempotencyKeyReuseError,
  PipelineNotFoundError,
  ProjectConflictError,
} from '../../functions/pipelines/errors.ts';
import type {
  ActiveRoute,
  Pipeline,
  PipelineResources,
  PipelineStatus,
  PipelineStore,
  StepRecord,
} from '../../functions/pipelines/model.ts';
import { assertTransition, IDEMPOTENCY_TTL_SECONDS, PATCH_FIELDS } from '../../functions/pipelines/store-rules.ts';
import { routeEffect, routeFields, routeTopic, sortSteps } from '../../functions/pipelines/store-rules.ts';
import { specFingerprint, type TransitionPatch } from '../../functions/pipelines/store-rules.ts';

interface Route extends ActiveRoute {
  active: boolean;
}

interface IdempotencyEntry {
  pipelineId: string;
  fingerprint: string;
  expiresAtMs: number;
}

export interface MemoryPipelineStoreOptions {
  /** Clock for updatedAt and idempotency expiry (ms epoch). Default Date.now. */
  now?: () => number;
  idempotencyTtlSeconds?: number;
}

export class MemoryPipelineStore implements PipelineStore {
  readonly #pipelines = new Map<string, Pipeline>();
  /** projectId → pipeline id, while that pipeline is not DELETED. */
  readonly #projects = new Map<string, string>();
  readonly #routes = new Map<string, Route>();
  readonly #idempotency = new Map<string, IdempotencyEntry>();
  readonly #now: () => number;
  readonly #ttlMs: number;

  constructor(options: MemoryPipelineStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#ttlMs = (options.idempotencyTtlSeconds ?? IDEMPOTENCY_TTL_SECONDS) * 1000;
  }

  async create(pipeline: Pipeline, idempotencyKey?: string): Promise<{ pipeline: Pipeline; created: boolean }> {
    const fingerprint = specFingerprint(pipeline);
    if (idempotencyKey !== undefined) {
      const entry = this.#idempotency.get(idempotencyKey);
      if (entry && entry.expiresAtMs > this.#now()) {
        if (entry.fingerprint !== fingerprint) throw new IdempotencyKeyReuseError(idempotencyKey, entry.pipelineId);
        const first = this.#pipelines.get(entry.pipelineId);
        if (first) return { pipeline: structuredClone(first), created: false };
      }
    }
    const holder = this.#projects.get(pipeline.projectId);
    if (holder !== undefined) throw new ProjectConflictError(pipeline.projectId, holder);
    const taken = pipeline.appIds.filter((appId) => this.#routes.has(appId));
    if (taken.length > 0) throw new AppIdConflictError(taken, this.#routes.get(taken[0]!)?.pipelineId);
    if (this.#pipelines.has(pipeline.id)) throw new Error(`pipeline id '${pipeline.id}' already exists`);

    const stored: Pipeline = structuredClone({
      ...pipeline,
      status: 'CREATING' as const,
      steps: sortSteps(pipeline.steps ?? []),
      resources: pipeline.resources ?? {},
    });
    this.#pipelines.set(stored.id, stored);
    this.#projects.set(stored.projectId, stored.id);
    for (const appId of stored.appIds)
      this.#routes.set(appId, { pipelineId: stored.id, topic: routeTopic(stored), active: false });
    if (idempotencyKey !== undefined) {
      this.#idempotency.set(idempotencyKey, {
        pipelineId: stored.id,
        fingerprint,
        expiresAtMs: this.#now() + this.#ttlMs,
      });
    }
    return { pipeline: structuredClone(stored), created: true };
  }

  async get(id: string): Promise<Pipeline | undefined> {
    const p = this.#pipelines.get(id);
    return p ? structuredClone(p) : undefined;
  }

  async list(): Promise<Pipeline[]> {
    return [...this.#pipelines.values()]
      .sort((a, b) =>
        a.createdAt !== b.createdAt ? (a.createdAt < b.createdAt ? 1 : -1) : a.id < b.id ? 1 : a.id > b.id ? -1 : 0,
      )
      .map((p) => structuredClone(p));
  }

  async transition(id: string, to: PipelineStatus, patch: TransitionPatch = {}): Promise<Pipeline> {
    const current = this.#require(id);
    assertTransition(id, current.status, to);
    const next: Pipeline = { ...current, status: to, updatedAt: this.#timestamp() };
    for (const field of PATCH_FIELDS) {
      if (!(field in patch)) continue;
      const value = patch[field];
      if (value === undefined) delete next[field];
      else (next as unknown as Record<string, unknown>)[field] = structuredClone(value);
    }
    // Routes held by another pipeline cannot occur (create reserves them); like the registry's
    // conditional writes, refuse the whole transition rather than touch them.
    const foreign = next.appIds.filter((appId) => {
      const owner = this.#routes.get(appId)?.pipelineId;
      return owner !== undefined && owner !== id;
    });
    if (foreign.length > 0) throw new AppIdConflictError(foreign, this.#routes.get(foreign[0]!)?.pipelineId);
    const effect = routeEffect(to);
    for (const appId of next.appIds) {
      if (effect === 'release') this.#routes.delete(appId);
      else this.#routes.set(appId, { pipelineId: id, ...routeFields(next), active: effect === 'activate' });
    }
    if (effect === 'release' && this.#projects.get(next.projectId) === id) this.#projects.delete(next.projectId);
    this.#pipelines.set(id, next);
    return structuredClone(next);
  }

  async recordStep(id: string, step: StepRecord): Promise<void> {
    const current = this.#require(id);
    const steps = current.steps.filter((s) => s.name !== step.name);
    steps.push(structuredClone(step));
    this.#pipelines.set(id, {
      ...current,
      steps: sortSteps(steps),
      currentStep: step.name,
      updatedAt: this.#timestamp(),
    });
  }

  async setResources(id: string, resources: Partial<PipelineResources>): Promise<void> {
    const current = this.#require(id);
    const merged: PipelineResources = { ...current.resources };
    for (const [k, v] of Object.entries(resources)) {
      if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
    }
    this.#pipelines.set(id, { ...current, resources: merged, updatedAt: this.#timestamp() });
  }

  async setExecutionArn(id: string, executionArn: string): Promise<void> {
    const current = this.#require(id);
    this.#pipelines.set(id, { ...current, executionArn, updatedAt: this.#timestamp() });
  }

  async inactiveRoute(appId: string): Promise<{ pipelineId: string; status: PipelineStatus } | undefined> {
    const route = this.#routes.get(appId);
    const status = route && !route.active ? this.#pipelines.get(route.pipelineId)?.status : undefined;
    return route && status !== undefined && status !== 'ACTIVE' ? { pipelineId: route.pipelineId, status } : undefined;
  }

  async activeRoute(appId: string): Promise<ActiveRoute | undefined> {
    const route = this.#routes.get(appId);
    if (!route?.active) return undefined;
    const { active: _active, ...rest } = route;
    return structuredClone(rest);
  }

  #require(id: string): Pipeline {
    const p = this.#pipelines.get(id);
    if (!p) throw new PipelineNotFoundError(id);
    return p;
  }

  #timestamp(): string {
    return new Date(this.#now()).toISOString();
  }
}
