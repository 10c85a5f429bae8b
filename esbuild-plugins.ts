/**
 * esbuild plugins of the Lambda bundles (serverless.yml `custom.esbuild.plugins`; docs/decisions.md,
 * "Cold start: lean @platformatic/kafka in the bundles"). Build-time only: nothing here runs in Lambda.
 *
 * @platformatic/kafka compiles ~45 ajv validators (every option schema of the producer, consumer
 * and admin clients) when its barrel module is imported, and its package.json does not declare
 * itself free of side effects, so esbuild keeps every module (schema registries with avsc and a
 * second ajv, the admin and consumer clients) in every bundle. That was most of the ingest's
 * module initialisation (CPU profile in docs/benchmarks.md, "Cold start"). Two source rewrites of
 * the package's own files fix it without forking it:
 * - each `ajv.compile(schema)` becomes a validator that compiles on its first call, marked pure,
 *   so a bundle keeps (and compiles, once) only the validators its code can reach;
 * - its modules are declared side-effect free to esbuild, so modules none of whose exports are
 *   used are left out (the package's real side effects, ajv keywords and diagnostics channels,
 *   live in modules that the clients use and so stay).
 */
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

const PLATFORMATIC_KAFKA = /[\\/]node_modules[\\/]@platformatic[\\/]kafka[\\/]dist[\\/].+\.js$/;
const COMPILE = /=\s*ajv\.compile\(/g;

/**
 * The validator that replaces `ajv.compile(schema)`: same call signature and `errors` property,
 * compiled on its first call (the module-level `ajv` of the rewritten file is in scope).
 */
const LAZY_VALIDATOR = `
function __lazyValidator(schema) {
  let compiled;
  const validate = function (data) {
    compiled ??= ajv.compile(schema);
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  };
  validate.errors = null;
  return validate;
}
`;

/** Rewrites one @platformatic/kafka module's source: lazy, tree-shakeable validators. */
export function lazyValidators(source: string): string {
  if (!COMPILE.test(source)) return source;
  return `${source.replace(COMPILE, '= /* @__PURE__ */ __lazyValidator(')}\n${LAZY_VALIDATOR}`;
}

export const leanPlatformaticKafka: Plugin = {
  name: 'lean-platformatic-kafka',
  setup(build) {
    build.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'lean-platformatic-kafka') return undefined;
      const inPackage = PLATFORMATIC_KAFKA.test(args.importer) && args.path.startsWith('.');
      if (!inPackage && args.path !== '@platformatic/kafka') return undefined;
      const result = await build.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'lean-platformatic-kafka',
      });
      if (result.errors.length > 0) return { errors: result.errors };
      return { path: result.path, sideEffects: false };
    });
    build.onLoad({ filter: PLATFORMATIC_KAFKA }, async (args) => ({
      contents: lazyValidators(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};

export default [leanPlatformaticKafka];
