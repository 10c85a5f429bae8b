/**
 * The teardown fence between the ingest's route cache and the delete workflow, in one place.
 *
 * DELETE /pipelines/{id} deactivates the app routes at once, but each ingest container may keep
 * using a route it read earlier. The delete workflow therefore waits `INGEST_ROUTE_WAIT_SECONDS`
 * (statemachines/delete-pipeline.asl.yml, WaitForIngestRoutes) before it checks that the sink
 * drained the topic; after that check the topic is deleted. The fence holds only if no container
 * can still write to the topic then: a cached route is never used once it is older than
 * `ROUTE_MAX_AGE_SECONDS` — not even while the registry fails (stale-if-error) — and that age is
 * shorter than the wait. test/unit/ingest/route-fence.test.ts pins the relation, and the local
 * stack, which scales Wait states, scales the cache's age with them (ROUTE_MAX_AGE_MS).
 */

/** Seconds the delete workflow waits for ingest containers to drop a deleted pipeline's route. */
export const INGEST_ROUTE_WAIT_SECONDS = 35;

/** Oldest a cached route may be when used, stale-if-error included (< the wait, with margin). */
export const ROUTE_MAX_AGE_SECONDS = 30;
