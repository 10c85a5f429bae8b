/**
 * Reads the functions of serverless.yml for the local stack, so local routes, handlers, timeouts
 * and environment come from the same file the deployment uses and cannot drift from it.
 * Resolves the variable forms the project uses in function settings: ${param:x}, ${self:service},
 * ${sls:stage} and ${opt:x, 'default'}; anything else is left for the caller to override.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface HttpRoute {
  method: string;
  path: string;
}

export interface LocalFunction {
  /** Logical name in serverless.yml (`ingest`, `sink`, ...). */
  name: string;
  /** Deployed function name, `<service>-<stage>-<name>`. */
  functionName: string;
  /** Source module (TypeScript) and exported handler. */
  modulePath: string;
  exportName: string;
  timeoutSeconds: number;
  environment: Record<string, string>;
  httpRoutes: HttpRoute[];
}

export interface StateMachineConfig {
  name?: string;
  /** `${file(statemachines/x.asl.yml)}` or an inline definition. */
  definition: unknown;
}

export interface ServiceConfig {
  service: string;
  stage: string;
  params: Record<string, string>;
  functions: LocalFunction[];
  /** serverless-step-functions' `stepFunctions.stateMachines`, unresolved. */
  stateMachines: Record<string, StateMachineConfig>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML is untyped by nature
type Yaml = Record<string, any>;

export function resolveString(
  text: string,
  ctx: { params: Record<string, string>; service: string; stage: string },
): string {
  return text.replace(/\$\{([^}]+)\}/g, (whole, expr: string) => {
    const [ref, fallback] = expr.split(/,\s*/);
    const [source, name] = (ref ?? '').split(':');
    const unquoted = fallback?.replace(/^['"]|['"]$/g, '');
    if (source === 'param' && name && ctx.params[name] !== undefined) return ctx.params[name];
    if (source === 'self' && name === 'service') return ctx.service;
    if (source === 'sls' && name === 'stage') return ctx.stage;
    if (source === 'opt' && name === 'stage') return ctx.stage;
    if (unquoted !== undefined) return unquoted;
    return whole;
  });
}

/** Loads serverless.yml from `root` with the given param overrides (they win over params.default). */
export async function loadServiceConfig(
  root: string,
  overrides: Record<string, string> = {},
  stage = 'local',
): Promise<ServiceConfig> {
  const doc = parse(await readFile(join(root, 'serverless.yml'), 'utf8')) as Yaml;
  const service = String(doc.service);
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries((doc.params?.default ?? {}) as Yaml)) params[k] = String(v ?? '');
  Object.assign(params, overrides);
  const ctx = { params, service, stage };
  const providerEnv = (doc.provider?.environment ?? {}) as Yaml;
  const functions: LocalFunction[] = Object.entries((doc.functions ?? {}) as Yaml).map(([name, fn]) => {
    const handler = String(fn.handler);
    const dot = handler.lastIndexOf('.');
    const environment: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...providerEnv, ...(fn.environment ?? {}) })) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')
        environment[k] = resolveString(String(v), ctx);
    }
    const httpRoutes: HttpRoute[] = ((fn.events ?? []) as Yaml[])
      .map((e) =>
        typeof e.httpApi === 'string' ? e.httpApi : e.httpApi ? `${e.httpApi.method} ${e.httpApi.path}` : undefined,
      )
      .filter((r): r is string => typeof r === 'string')
      .map((r) => {
        const [method, path] = r.trim().split(/\s+/);
        return { method: (method ?? '*').toUpperCase(), path: path ?? '/' };
      });
    return {
      name,
      functionName: `${service}-${stage}-${name}`,
      modulePath: `${handler.slice(0, dot)}.ts`,
      exportName: handler.slice(dot + 1),
      timeoutSeconds: Number(fn.timeout ?? doc.provider?.timeout ?? 6),
      environment,
      httpRoutes,
    };
  });
  return {
    service,
    stage,
    params,
    functions,
    stateMachines: (doc.stepFunctions?.stateMachines ?? {}) as Record<string, StateMachineConfig>,
  };
}
