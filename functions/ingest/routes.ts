import { ServiceUnavailableError } from '../lib/errors.ts';
import type { Log } from '../lib/logger.ts';
import { ROUTE_HIT_TTL_SECONDS, ROUTE_MAX_AGE_SECONDS } from '../lib/route-fence.ts';
import type { PipelineStore } from '../pipelines/model.ts';

/** The part of the pipelines registry the ingest reads (one GetItem per lookup). */
export type RouteRegistry = Pick<PipelineStore, 'activeRoute'>;

export interface TopicResolverOptions {
  /** The pipelines registry; without it only the static route applies. */
  registry?: RouteRegistry;
  /** The configured allowlist (ALLOWED_APP_IDS → INGEST_TOPIC), consulted after the registry. */
  staticRoute?: { topic: string; appIds: ReadonlySet<string> };
  log: Log;
  /** Retry-After of the 503 answered while the registry cannot be read. */
  retryAfterSeconds: number;
  /** How long an active route is reused without asking the registry. Default 15 s (half the max age). */
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
  topic: string | undefined;
  fetchedAt: number;
}

/**
 * `topicFor(appId)` of the ingest core: the pipelines registry first (an ACTIVE pipeline's app
 * routes to its topic), then the static allowlist; undefined → the core answers 403.
 *
 * Lookups are cached per container (15 s for routes, 5 s for misses, bounded LRU) and concurrent
 * lookups of one app share one registry call, so a burst of requests costs one GetItem. When the
 * registry cannot be read, the app's last known route is used until it is `maxAgeMs` old (30 s,
 * the teardown fence), then the static allowlist; only if neither knows the app does the request fail, with a 503 and
 * Retry-After — never a 500, and never a 403 that would tell an SDK to drop its events.
 */
export type TopicResolver = ((appId: string) => Promise<string | undefined>) & {
  /** Drops the cached route of an app, so the next request reads the registry again. */
  forget(appId: string): void;
};

export function createTopicResolver(options: TopicResolverOptions): TopicResolver {
  const maxAge = options.maxAgeMs ?? ROUTE_MAX_AGE_SECONDS * 1000;
  const hitTtl = Math.min(options.hitTtlMs ?? (options.maxAgeMs !== undefined ? maxAge / 2 : ROUTE_HIT_TTL_SECONDS * 1000), maxAge);
  const missTtl = options.missTtlMs ?? 5_000;
  const maxEntries = options.maxEntries ?? 10_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, Entry>();
  const inFlight = new Map<string, Promise<string | undefined>>();
  const fromStatic = (appId: string) => (options.staticRoute?.appIds.has(appId) ? options.staticRoute.topic : undefined);

  function remember(appId: string, topic: string | undefined): void {
    cache.delete(appId);
    cache.set(appId, { topic, fetchedAt: now() });
    while (cache.size > maxEntries) cache.delete(cache.keys().next().value as string);
  }

  async function lookup(registry: RouteRegistry, appId: string, cached: Entry | undefined): Promise<string | undefined> {
    try {
      const route = await registry.activeRoute(appId);
      remember(appId, route?.topic);
      return route?.topic ?? fromStatic(appId);
    } catch (err) {
      const error = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      if (cached?.topic !== undefined && now() - cached.fetchedAt < maxAge) {
        options.log.warn('pipelines registry unavailable; using the last known route', { appId, error });
        return cached.topic;
      }
      const configured = fromStatic(appId);
      if (configured !== undefined) {
        options.log.warn('pipelines registry unavailable; using the configured route', { appId, error });
        return configured;
      }
      options.log.error('pipelines registry unavailable', { appId, error });
      throw new ServiceUnavailableError('the pipelines registry is unavailable; retry later', options.retryAfterSeconds, err);
    }
  }

  async function topicFor(appId: string): Promise<string | undefined> {
    const registry = options.registry;
    if (!registry) return fromStatic(appId);
    const cached = cache.get(appId);
    if (cached && now() - cached.fetchedAt < (cached.topic === undefined ? missTtl : hitTtl)) {
      return cached.topic ?? fromStatic(appId);
    }
    let pending = inFlight.get(appId);
    if (!pending) {
      pending = lookup(registry, appId, cached).finally(() => inFlight.delete(appId));
      inFlight.set(appId, pending);
    }
    return pending;
  }

  return Object.assign(topicFor, { forget: (appId: string) => void cache.delete(appId) });
}
