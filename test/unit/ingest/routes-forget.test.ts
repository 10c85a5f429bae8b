import { createRouteResolver, type RouteResolverOptions } from '../../../functions/ingest/routes.ts';
import { MemoryLog } from '../../helpers/silent-log.ts';

/** The topic of the resolved route (these tests are about caching and fallbacks, not the route's other fields). */
function createTopicResolver(options: RouteResolverOptions) {
  const resolve = createRouteResolver(options);
  return Object.assign(async (appId: string) => (await resolve(appId))?.topic, { forget: resolve.forget });
}

describe('createTopicResolver forget', () => {
  it('reads the registry again for an app whose route was forgotten, before the TTL', async () => {
    let route: { pipelineId: string; topic: string } | undefined = { pipelineId: 'p1', topic: 'alpha' };
    let reads = 0;
    const topicFor = createTopicResolver({
      registry: {
        activeRoute: async () => {
          reads++;
          return route;
        },
      },
      log: new MemoryLog(),
      retryAfterSeconds: 1,
      now: () => 1_000,
    });
    expect(await topicFor('web')).toBe('alpha');
    route = undefined; // the pipeline was deleted
    expect(await topicFor('web')).toBe('alpha'); // still cached
    topicFor.forget('web');
    expect(await topicFor('web')).toBeUndefined();
    expect(reads).toBe(2);
  });
});
