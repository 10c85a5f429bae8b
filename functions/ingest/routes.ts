import { ForbiddenError, ServiceUnavailableError } from '../lib/errors.ts';
import type { Log } from '../lib/logger.ts';
import { ROUTE_MAX_AGE_SECONDS } from '../lib/route-fence.ts';
import type { PipelineStore } from '../pipelines/model.ts';
import type { IngestRoute } from './collect.ts';

/** The part of the pipelines registry the ingest reads (one GetItem per lookup). */
export type RouteRegistry = Pick<PipelineStore, 'activeRoute'> & Partial<Pick<PipelineStore, 'inactiveRoute'>>;

export interface RouteResolverOptions {
  /** The pipelines registry; without it only the static route applies. */
  registry?: RouteRegistry;
  /**
   * The configured allowlist (ALLOWED_APP_IDS → INGEST_TOPIC on the stack's KAFKA_BROKERS),
   * consulted after the registry.
   */
  staticRoute?: { topic: string; appIds: ReadonlySet<string> };
  log: Log;
  /** Retry-After of the 503 answered while the registry cannot be read. */
  retryAfterSeconds: number;
  /** How long an active route is reused without asking the registry. Default half the max age (15 s). */
  hitTtlMs?: number;
  /** How long "no active route" is reused (an app just activated waits at most this). Default 5 s. */
  missTtlMs?: number;
  /**
   * Oldest a route may be when used, also while the registry fails (stale-if-error). Default 30 s:
   * the teardown fence (lib/route-fence.ts) needs it shorter than the delete workflow's wait.
   */
  maxAgeMs?: number;
  /** Cached app ids at most (least recently used evicted). Default 10,000. */
  maxEntries?: number;
  now?: () => number;
}

interface Entry {
  route: IngestRoute | undefined;
  /** Why an app its pipeline holds is refused (the pipeline is not ACTIVE yet or any more). */
  refusal?: string;
  fetchedAt: number;
}

/** The 403 of an app whose pipeline exists but is not ACTIVE: says which, and what to wait for. */
function refusalOf(appId: string, held: { pipelineId: string; status: string }): string {
  const why =
    held.status === 'CREATING'
      ? 'is still CREATING: its events are accepted once it is ACTIVE'
      : `is ${held.status}: it accepts no events`;
  return `appId '${appId}' belongs to pipeline ${held.pipelineId}, which ${why} (GET /pipelines/${held.pipelineId})`;
}

/**
 * `routeFor(appId)` of the ingest core: the pipelines registry first (an ACTIVE pipeline's app
 * routes to its topic on its cluster, with its allowed origins), then the static allowlist (the
 * stack's default cluster); undefined → the core answers 403.
 *
 * Lookups are cached per container (15 s for routes, 5 s for misses, bounded LRU) and concurrent
 * lookups of one app share one registry call, so a burst of requests costs one GetItem. When the
 * registry cannot be read, the app's last known route is used until it is `maxAgeMs` old (30 s,
 * the teardown fence), then the static allowlist; only if neither knows the app does the request fail, with a 503 and
 * Retry-After — never a 500, and never a 403 that would tell an SDK to drop its events.
 */
export type RouteResolver = ((appId: string) => Promise<IngestRoute | undefined>) & {
  /** Drops the cached route of an app, so the next request reads the registry again. */
  forget(appId: string): void;
};

export function createRouteResolver(options: RouteResolverOptions): RouteResolver {
  const maxAge = options.maxAgeMs ?? ROUTE_MAX_AGE_SECONDS * 1000;
  // Reused without asking the registry for half the max age; older, only while the registry fails.
  const hitTtl = Math.min(options.hitTtlMs ?? maxAge / 2, maxAge);
  const missTtl = options.missTtlMs ?? 5_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<IngestRoute | undefined>>();
  const fromStatic = (appId: string): IngestRoute | undefined =>
    options.staticRoute?.appIds.has(appId) ? { topic: options.staticRoute.topic } : undefined;

  function remember(appId: string, route: IngestRoute | undefined, refusal?: string): void {
    cache.delete(appId);
    cache.set(appId, { route, ...(refusal !== undefined ? { refusal } : {}), fetchedAt: now() });
    while (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
  }

  async function lookup(
    registry: RouteRegistry,
    appId: string,
    cached: Entry | undefined,
  ): Promise<IngestRoute | undefined> {
    let refusal: string | undefined;
    try {
      const active = await registry.activeRoute(appId);
      const route: IngestRoute | undefined =
        active === undefined
          ? undefined
          : {
              topic: active.topic,
              ...(active.cluster !== undefined ? { cluster: active.cluster } : {}),
              ...(active.allowedOrigins !== undefined ? { allowedOrigins: active.allowedOrigins } : {}),
            };
      const configured = route ?? fromStatic(appId);
      const held = configured === undefined ? await registry.inactiveRoute?.(appId) : undefined;
      refusal = held && refusalOf(appId, held);
      remember(appId, route, refusal);
      if (refusal === undefined) return configured;
    } catch (err) {
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (cached?.route !== undefined && now() - cached.fetchedAt < maxAge) {
        options.log.warn('pipelines registry unavailable; using the last known route', { appId, error });
        return cached.route;
      }
      const configured = fromStatic(appId);
      if (configured !== undefined) {
        options.log.warn('pipelines registry unavailable; using the configured route', { appId, error });
        return configured;
      }
      options.log.error('pipelines registry unavailable', { appId, error });
      throw new ServiceUnavailableError(
        'the pipelines registry is unavailable; retry later',
        options.retryAfterSeconds,
        err,
      );
    }
    throw new ForbiddenError(refusal ?? `appId '${appId}' is not registered for ingestion`);
  }

  async function routeFor(appId: string): Promise<IngestRoute | undefined> {
    const registry = options.registry;
    if (!registry) return fromStatic(appId);
    const cached = cache.get(appId);
    if (cached && now() - cached.fetchedAt < (cached.route === undefined ? missTtl : hitTtl)) {
      if (cached.refusal !== undefined) throw new ForbiddenError(cached.refusal);
      return cached.route ?? fromStatic(appId);
    }
    let pending = inFlight.get(appId);
    if (!pending) {
      pending = lookup(registry, appId, cached).finally(() => inFlight.delete(appId));
      inFlight.set(appId, pending);
    }
    return pending;
  }

  return Object.assign(routeFor, { forget: (appId: string) => void cache.delete(appId) });
}
