import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** serverless.yml's HTTP routes (`'METHOD /path'` or `{ method, path }`). */
function declaredRoutes(): string[] {
  const doc = parse(readFileSync('serverless.yml', 'utf8')) as {
    functions: Record<string, { events?: Array<{ httpApi?: string | { method: string; path: string } }> }>;
  };
  return Object.values(doc.functions).flatMap((fn) =>
    (fn.events ?? []).flatMap((e) => {
      if (e.httpApi === undefined) return [];
      return [typeof e.httpApi === 'string' ? e.httpApi : `${e.httpApi.method.toUpperCase()} ${e.httpApi.path}`];
    }),
  );
}

describe('docs/openapi.yaml', () => {
  const doc = parse(readFileSync('docs/openapi.yaml', 'utf8')) as {
    openapi: string;
    paths: Record<string, Record<string, unknown>>;
  };

  it('is valid YAML describing an OpenAPI 3 document', () => {
    expect(doc.openapi).toMatch(/^3\./);
  });

  it('documents every HTTP route serverless.yml declares', () => {
    const routes = declaredRoutes();
    expect(routes.length).toBeGreaterThanOrEqual(5);
    for (const route of routes) {
      const [method, path] = route.split(' ') as [string, string];
      expect({ route, documented: doc.paths[path]?.[method.toLowerCase()] !== undefined }).toEqual({
        route,
        documented: true,
      });
    }
  });
});
