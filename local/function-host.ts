/**
 * Runs the project's Lambda handlers in this process, the way the Lambda runtime would call
 * them: the real handler export of the module named in serverless.yml, a Lambda context whose
 * remaining time counts down from the function's timeout, and a timeout that fails the call.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import type { LocalFunction } from './serverless-config.ts';
import { createLambdaContext } from './lambda-context.ts';

type Handler = (event: unknown, context: Context) => Promise<unknown>;
type Module = Record<string, unknown>;

export class FunctionTimeoutError extends Error {
  constructor(functionName: string, seconds: number) {
    super(`Task timed out after ${seconds} seconds (${functionName})`);
    this.name = 'FunctionTimeoutError';
  }
}

export class FunctionHost {
  readonly #root: string;
  readonly #byName = new Map<string, LocalFunction>();
  readonly #loaded = new Map<string, Promise<{ handler: Handler; module: Module }>>();

  constructor(root: string, functions: readonly LocalFunction[]) {
    this.#root = root;
    for (const fn of functions) {
      this.#byName.set(fn.name, fn);
      this.#byName.set(fn.functionName, fn);
    }
  }

  /** Accepts the logical name, the deployed name or a function ARN. */
  find(nameOrArn: string): LocalFunction | undefined {
    const name = nameOrArn.startsWith('arn:') ? (nameOrArn.split(':')[6] ?? '') : nameOrArn;
    return this.#byName.get(name);
  }

  #load(fn: LocalFunction): Promise<{ handler: Handler; module: Module }> {
    let loaded = this.#loaded.get(fn.name);
    if (!loaded) {
      loaded = import(pathToFileURL(join(this.#root, fn.modulePath)).href).then((module: Module) => {
        const handler = module[fn.exportName];
        if (typeof handler !== 'function')
          throw new Error(`${fn.modulePath} has no exported function '${fn.exportName}'`);
        return { handler: handler as Handler, module };
      });
      this.#loaded.set(fn.name, loaded);
    }
    return loaded;
  }

  /**
   * Calls the handler. `context` is used as given when the caller built one (the event source
   * mapping pollers do); otherwise one is made whose remaining time counts down from the timeout.
   */
  async invoke(nameOrArn: string, event: unknown, given?: Context): Promise<unknown> {
    const fn = this.find(nameOrArn);
    if (!fn) throw new Error(`no local function '${nameOrArn}'`);
    const { handler } = await this.#load(fn);
    const context: Context =
      given ??
      createLambdaContext({
        functionName: fn.functionName,
        functionArn: `arn:aws:lambda:us-east-1:000000000000:function:${fn.functionName}`,
        timeoutMs: fn.timeoutSeconds * 1000,
        memoryMb: 512,
      });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new FunctionTimeoutError(fn.functionName, fn.timeoutSeconds)),
        fn.timeoutSeconds * 1000,
      );
    });
    try {
      return await Promise.race([handler(event, context), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Lets loaded handler modules release what they hold for the container's lifetime (Kafka
   * connections) through an optional `shutdown` export; Lambda itself never calls it.
   */
  async close(): Promise<void> {
    const loaded = await Promise.allSettled(this.#loaded.values());
    this.#loaded.clear();
    for (const result of loaded) {
      const shutdown = result.status === 'fulfilled' ? result.value.module.shutdown : undefined;
      if (typeof shutdown === 'function') await (shutdown as () => Promise<void>)();
    }
  }
}
