/**
 * esbuild plugins of the Lambda bundles (serverless.yml `custom.esbuild.plugins`; docs/decisions.md
 * D24 and D25). Build-time only: nothing here runs in Lambda, and the unbundled code (tests, the
 * local stack) is unchanged.
 *
 * What a cold start pays is the code the handler module loads before it answers (CPU profile in
 * docs/benchmarks.md, "Cold start"). These plugins keep that to what the function uses:
 * - `perFunctionChunks`: with `splitting`, what is imported lazily (truststores, SCRAM, IAM, the
 *   SDK's credential providers) becomes chunks loaded on first use; they are named after the
 *   handler (`handler.<chunk>.mjs`), which is how serverless-esbuild puts each function's own
 *   files, and only those, in its zip (it leaves out `<other handler>.*`).
 * - `leanPlatformaticKafka`: @platformatic/kafka, rewritten while bundling:
 *   - each `ajv.compile(schema)` compiles on its first call, marked pure, so unused validators drop
 *     out; its modules are declared side-effect free, so unused modules (admin, consumer, schema
 *     registries) drop out;
 *   - ajv itself (only strict-mode clients ever validate; this project never sets `strict`) moves to
 *     a file beside the bundle, `require`d on first use;
 *   - the protocol APIs: its base client looked them up by name in a namespace import of all of
 *     them (none could be tree-shaken); each client module now registers the APIs it names, so a
 *     producer bundle carries no admin or consumer API;
 *   - `mnemonist`'s LRU cache is imported alone, not through the barrel of every structure.
 * - `lazyWasmUtils`: the crc32c/lz4/snappy WebAssembly of @platformatic/wasm-utils is read from a
 *   file beside the bundle and instantiated on first use, not inlined as base64 and compiled at
 *   import.
 * Every rewrite matches the library's source text; where it does not match (an upgrade), the file
 * is left as it is: the bundle is larger again, not wrong (the cold-start bench shows it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { BuildOptions, Plugin, PluginBuild } from 'esbuild';

const PLATFORMATIC_KAFKA = /[\\/]node_modules[\\/]@platformatic[\\/]kafka[\\/]dist[\\/].+\.js$/;
const WASM_UTILS = /[\\/]node_modules[\\/]@platformatic[\\/]wasm-utils[\\/]dist[\\/](?:bundled|index)\.js$/;
const COMPILE = /=\s*ajv\.compile\(/g;

/** Where one function's bundle goes and the name its files start with (`handler` of handler.mjs). */
export function bundleBase(options: BuildOptions): { dir: string; base: string; entry: string } | undefined {
  const entries = options.entryPoints;
  const first = Array.isArray(entries) && entries.length === 1 ? entries[0]! : undefined;
  const entry = typeof first === 'string' ? first : (first?.in ?? '<stdin>');
  if (options.outfile)
    return { dir: dirname(options.outfile), base: basename(options.outfile, extname(options.outfile)), entry };
  if (!options.outdir || first === undefined) return undefined;
  return { dir: options.outdir, base: basename(entry, extname(entry)), entry };
}

/**
 * Files written beside the bundle after the build (named `<base>.<name>`), for code that loads
 * them on first use. Every output of a build is in one directory (chunks included), so
 * `./<base>.<name>` relative to `import.meta.url` of whichever output holds that code finds them.
 */
function sideFiles(build: PluginBuild) {
  const at = bundleBase(build.initialOptions);
  const pending = new Map<string, () => Promise<Uint8Array | string>>();
  build.initialOptions.metafile = true;
  build.onStart(() => pending.clear());
  build.onEnd(async (result) => {
    if (!at || result.errors.length > 0 || !result.metafile) return;
    // Only the side files the output names: a rewritten module tree-shaking dropped needs none
    // (outputs per-function-chunks removed are gone already).
    const cwd = build.initialOptions.absWorkingDir ?? process.cwd();
    const code = Object.keys(result.metafile.outputs).filter((f) => /\.[cm]?js$/.test(f));
    const named = (await Promise.all(code.map((f) => readFile(resolve(cwd, f), 'utf8').catch(() => '')))).join('\n');
    await mkdir(at.dir, { recursive: true });
    for (const [name, make] of pending) {
      if (named.includes(`./${at.base}.${name}`)) await writeFile(join(at.dir, `${at.base}.${name}`), await make());
    }
  });
  if (!at) return undefined;
  return {
    /** The side file's path relative to the output files. */
    path: (name: string) => `./${at.base}.${name}`,
    /** Writes the side file after the build. */
    add: (name: string, make: () => Promise<Uint8Array | string>) => void pending.set(name, make),
  };
}
type SideFile = NonNullable<ReturnType<typeof sideFiles>>;

export const perFunctionChunks: Plugin = {
  name: 'per-function-chunks',
  setup(build) {
    const options = build.initialOptions;
    if (!options.splitting) return;
    const at = bundleBase(options);
    if (!at) throw new Error('per-function-chunks: splitting needs one entry point per build and an outdir');
    options.chunkNames = `${at.base}.[name]-[hash]`;
    // A dynamic import becomes a chunk even in code tree-shaking drops (e.g. the truststore loader
    // in a function that only parses cluster settings): such chunks are written, but nothing can
    // import them. Removed, so a zip holds what its handler may load and no more.
    options.metafile = true;
    build.onEnd(async (result) => {
      if (result.errors.length > 0 || !result.metafile) return;
      const outputs = result.metafile.outputs;
      const reachable = new Set<string>();
      const visit = (file: string) => {
        if (reachable.has(file) || !outputs[file]) return;
        reachable.add(file);
        for (const i of outputs[file]!.imports) if (!i.external) visit(i.path);
      };
      const cwd = options.absWorkingDir ?? process.cwd();
      for (const [file, output] of Object.entries(outputs))
        if (output.entryPoint && resolve(cwd, output.entryPoint) === resolve(cwd, at.entry)) visit(file);
      if (reachable.size === 0) throw new Error('per-function-chunks: the entry point has no output');
      for (const file of Object.keys(outputs)) {
        if (!reachable.has(file) && !reachable.has(file.replace(/\.map$/, '')))
          await rm(resolve(cwd, file), { force: true });
      }
    });
  },
};

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

const AJV_IMPORT = "import { Ajv2020 } from 'ajv/dist/2020.js';\n";
const AJV_CREATE = /^export const ajv = new Ajv2020\(.*\);$/m;
const AJV_KEYWORD = /^ajv\.addKeyword\(\{[\s\S]*?^\}\);$/gm;

/**
 * utils.js without ajv: `ajv` becomes a stand-in that `require`s the real instance (created and
 * given the library's keywords in `sideModule`, built into the side file `file`) on first use.
 */
export function lazyAjv(source: string, file: string): { source: string; sideModule: string } | undefined {
  const create = AJV_CREATE.exec(source);
  if (!source.includes(AJV_IMPORT) || !create) return undefined;
  const keywords = source.match(AJV_KEYWORD) ?? [];
  let rest = source.replace(AJV_IMPORT, '').replace(create[0], '');
  for (const keyword of keywords) rest = rest.replace(keyword, '');
  if (/\bAjv2020\b|^ajv\./m.test(rest)) return undefined;
  const standIn = [
    "import { createRequire as __ajvRequire } from 'node:module';",
    'let __ajv;',
    'const __realAjv = () => (__ajv ??= __ajvRequire(import.meta.url)(' + JSON.stringify(file) + ').ajv);',
    'export const ajv = new Proxy({}, { get(_, key) { const real = __realAjv(); const value = real[key];',
    "  return typeof value === 'function' ? value.bind(real) : value; } });",
  ].join('\n');
  return { source: `${standIn}\n${rest}`, sideModule: `${AJV_IMPORT}${create[0]}\n${keywords.join('\n')}\n` };
}

type ApiVersions = { exportName: string; version: number; file: string }[];

/** API name (`produce`) → its versions (`produceV0` from `.../produce-v0.js`, ...), from the family indexes. */
function apiFamilies(dist: string): Map<string, ApiVersions> {
  const table = new Map<string, ApiVersions>();
  for (const family of readdirSync(join(dist, 'apis'), { withFileTypes: true })) {
    if (!family.isDirectory()) continue;
    const dir = join(dist, 'apis', family.name);
    const index = readFileSync(join(dir, 'index.js'), 'utf8');
    for (const [, exportName, base, version, file] of index.matchAll(
      /export \* as ((\w+?)V(\d+)) from "(\.\/[\w.-]+)"/g,
    )) {
      const entry = { exportName: exportName!, version: Number(version), file: join(dir, file!) };
      table.set(base!, [...(table.get(base!) ?? []), entry]);
    }
  }
  return table;
}

const familiesCache = new Map<string, Map<string, ApiVersions>>();
function apiFamiliesOf(dist: string) {
  let table = familiesCache.get(dist);
  if (!table) familiesCache.set(dist, (table = apiFamilies(dist)));
  return table;
}

/**
 * The APIs of an idempotent producer's send, with the lowest version bundled with the producer:
 * the versions brokers since Kafka 2.8 (every MSK version offered) answer with. Older versions of
 * these, and the producer's other APIs (the transactions'), are a chunk per API, imported the first
 * time a lookup finds no bundled version the broker supports: an older broker costs one chunk load
 * on the first send, nothing fails. Only the producer's: a dynamic import becomes a chunk even in a
 * module tree-shaking drops, so lazy APIs in the admin or consumer would add unused chunks to every
 * producer package; their APIs stay bundled with them (and out of bundles without them).
 */
const EAGER_PRODUCER_APIS: Readonly<Record<string, number>> = { Metadata: 11, InitProducerId: 4, Produce: 9 };
const PRODUCER = join('clients', 'producer', 'producer.js');

const GET_API = /\[kGetApi\]\(([^,)]*)/g;
const APIS_NAMESPACE = 'import * as apis from "../../apis/index.js";';
const NO_USABLE_API =
  '        callback(new UnsupportedApiError(`No usable implementation found for API ${name}.`, { minVersion, maxVersion }));\n';
/** Inserted where the base's API lookup found no version: loads the API's chunk, then looks again. */
const LOAD_LAZY_API = `        const lazy = lazyApis[name];
        if (lazy !== undefined) {
            lazy.loading ??= lazy.load().then(table => { Object.assign(apis, table); delete lazyApis[name]; });
            lazy.loading.then(() => this[kGetApi](name, callback), callback);
            return;
        }
`;
/** Virtual module of one API's versions (`plt-kafka-api:<name>`): one chunk per lazily loaded API. */
const API_MODULE = /^plt-kafka-api:(\w+)$/;

/**
 * The API registry: base.js's namespace import of every API becomes a table that each client
 * module fills with the APIs it names in `this[kGetApi]('Name', ...)` (every version of each; the
 * base picks the highest one the broker supports, as before): the eager ones imported, the others
 * as loaders of their chunks.
 */
export function registerApis(path: string, source: string, families: Map<string, ApiVersions>) {
  const isBase = path.endsWith(join('clients', 'base', 'base.js'));
  const names = new Set<string>();
  for (const [, arg] of source.matchAll(GET_API)) {
    const literal = /^'(\w+)'$/.exec(arg!.trim());
    if (literal) names.add(literal[1]!);
    else if (!(isBase && arg!.trim() === 'name'))
      throw new Error(`lean-platformatic-kafka: ${path}: API looked up by a computed name`);
  }
  if (isBase && !(source.includes(APIS_NAMESPACE) && source.includes(NO_USABLE_API)))
    throw new Error(`lean-platformatic-kafka: ${path}: the API lookup is not the one this plugin rewrites`);
  const imports: string[] = [];
  const eager: string[] = [];
  const lazy: string[] = [];
  for (const name of names) {
    const versions = families.get(name.charAt(0).toLowerCase() + name.slice(1));
    if (!versions) throw new Error(`lean-platformatic-kafka: ${path}: unknown API ${name}`);
    const lowestEager = path.endsWith(PRODUCER) || isBase ? (EAGER_PRODUCER_APIS[name] ?? Infinity) : 0;
    if (versions.some((v) => v.version < lowestEager))
      lazy.push(`${name}: { load: () => import("plt-kafka-api:${name}") }`);
    for (const { exportName, file } of versions.filter((v) => v.version >= lowestEager)) {
      imports.push(`import * as __api_${exportName} from ${JSON.stringify(file)};`);
      eager.push(`${exportName}: __api_${exportName}`);
    }
  }
  const register = `__registerKafkaApis({ ${eager.join(', ')} }, { ${lazy.join(', ')} });`;
  if (isBase) {
    const registry = [
      'const apis = Object.create(null);',
      'const lazyApis = Object.create(null);',
      'export function __registerKafkaApis(table, loaders) { Object.assign(apis, table); Object.assign(lazyApis, loaders); }',
    ].join('\n');
    const rewritten = source
      .replace(APIS_NAMESPACE, registry)
      .replace(NO_USABLE_API, `${LOAD_LAZY_API}${NO_USABLE_API}`);
    return `${rewritten}\n${imports.join('\n')}\n${register}\n`;
  }
  if (names.size === 0) return source;
  const base = join(path.slice(0, path.lastIndexOf('clients')), 'clients', 'base', 'base.js');
  return `${source}\nimport { __registerKafkaApis } from ${JSON.stringify(base)};\n${imports.join('\n')}\n${register}\n`;
}

/** The module of `plt-kafka-api:<name>`: every version of that API. */
export function apiModule(name: string, families: Map<string, ApiVersions>): string {
  const versions = families.get(name.charAt(0).toLowerCase() + name.slice(1)) ?? [];
  return versions.map(({ exportName, file }) => `export * as ${exportName} from ${JSON.stringify(file)};`).join('\n');
}

const FAMILY_REEXPORT = /^export \* from "\.\/(\w+)\/index\.js";\n/gm;
const FROM_APIS_INDEX = /^import \{([^}]+)\} from "((?:\.\.\/)+apis\/index\.js)";$/gm;

/**
 * Cuts the barrel of every protocol API out of the import graph. esbuild splits code per module:
 * a module the handler can reach through `export *` (the package root re-exports apis/index.js,
 * which re-exports every family) lands in a chunk the handler imports at init, even if only a
 * lazily loaded chunk uses it. So apis/index.js keeps its generic modules (callbacks, definitions,
 * enumerations, types) and loses the families, and the modules that took API versions from it
 * import each version's own module. A build that still imports a version through the barrel fails
 * ("No matching export"), it does not silently grow.
 */
export function directApiImports(path: string, source: string, families: Map<string, ApiVersions>): string {
  if (path.endsWith(join('dist', 'apis', 'index.js'))) return source.replace(FAMILY_REEXPORT, '');
  const files = new Map([...families.values()].flat().map((v) => [v.exportName, v.file]));
  return source.replace(FROM_APIS_INDEX, (line, names: string, from: string) => {
    const wanted = names.split(',').map((n) => n.trim());
    const versions = wanted.filter((n) => files.has(n));
    if (versions.length === 0) return line;
    const rest = wanted.filter((n) => !files.has(n));
    return [
      ...(rest.length > 0 ? [`import { ${rest.join(', ')} } from "${from}";`] : []),
      ...versions.map((n) => `import * as ${n} from ${JSON.stringify(files.get(n))};`),
    ].join('\n');
  });
}

const MNEMONIST_BARREL = "import { LRUCache } from 'mnemonist';";

/** The package's `dist` directory, from the path of one of its files. */
const distOf = (file: string) => file.slice(0, file.lastIndexOf(join('kafka', 'dist')) + join('kafka', 'dist').length);

async function rewritePlatformaticKafka(build: PluginBuild, path: string, side: SideFile | undefined) {
  let source = lazyValidators(await readFile(path, 'utf8'));
  const families = apiFamiliesOf(distOf(path));
  source = directApiImports(path, source, families);
  if (/\[kGetApi\]\(/.test(source)) source = registerApis(path, source, families);
  if (side && path.endsWith(`${join('dist', 'utils.js')}`)) {
    const lazy = lazyAjv(source, side.path('ajv.cjs'));
    if (lazy) {
      source = lazy.source;
      side.add('ajv.cjs', async () => {
        const built = await build.esbuild.build({
          stdin: { contents: lazy.sideModule, resolveDir: dirname(path), loader: 'js' },
          bundle: true,
          platform: 'node',
          format: 'cjs',
          target: build.initialOptions.target ?? 'node24',
          minify: build.initialOptions.minify ?? false,
          legalComments: 'none',
          write: false,
          logLevel: 'silent',
        });
        return built.outputFiles[0]!.contents;
      });
    }
  }
  if (source.includes(MNEMONIST_BARREL)) {
    // The package's `exports` offer its single-structure files to `require` only.
    const lru = await build.resolve('mnemonist/lru-cache.js', { kind: 'require-call', resolveDir: dirname(path) });
    if (lru.errors.length === 0)
      source = source.replace(MNEMONIST_BARREL, `import LRUCache from ${JSON.stringify(lru.path)};`);
  }
  return source;
}

export const leanPlatformaticKafka: Plugin = {
  name: 'lean-platformatic-kafka',
  setup(build) {
    const side = sideFiles(build);
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
    build.onResolve({ filter: API_MODULE }, (args) => ({
      path: API_MODULE.exec(args.path)![1]!,
      namespace: 'plt-kafka-api',
      pluginData: distOf(args.importer),
    }));
    build.onLoad({ filter: /.*/, namespace: 'plt-kafka-api' }, (args) => ({
      contents: apiModule(args.path, apiFamiliesOf(args.pluginData as string)),
      resolveDir: args.pluginData as string,
      loader: 'js',
    }));
    build.onLoad({ filter: PLATFORMATIC_KAFKA }, async (args) => ({
      contents: await rewritePlatformaticKafka(build, args.path, side),
      loader: 'js',
    }));
  },
};

/**
 * wasm-utils with its WebAssembly read from `wasmFile` (a path relative to the output) and
 * instantiated on the first call of any export, instead of at import.
 */
export function lazyWasm(source: string, wasmFile: string): string {
  const wasmLine = /^const wasm = .*;$/m;
  const names = [...source.matchAll(/^export function (\w+)\(/gm)].map((m) => m[1]!);
  const imports = source.match(/^import .*;$/gm) ?? [];
  if (!wasmLine.test(source) || names.length === 0 || /^export (?!function )/m.test(source)) return source;
  let body = source.replace(/^import .*;$/gm, '').replace(/^export function /gm, 'function ');
  body = body.replace(wasmLine, `const wasm = __readWasm(new URL(${JSON.stringify(wasmFile)}, import.meta.url));`);
  return [
    ...imports,
    "import { readFileSync as __readWasm } from 'node:fs';",
    `function __instantiate() {\n${body}\nreturn { ${names.join(', ')} };\n}`,
    'let __wasm;',
    ...names.map((n) => `export function ${n}(...args) { return (__wasm ??= __instantiate()).${n}(...args); }`),
  ].join('\n');
}

export const lazyWasmUtils: Plugin = {
  name: 'lazy-wasm-utils',
  setup(build) {
    const side = sideFiles(build);
    if (!side) return;
    build.onLoad({ filter: WASM_UTILS }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const contents = lazyWasm(source, side.path('native.wasm'));
      if (contents !== source) side.add('native.wasm', () => readFile(join(dirname(args.path), 'native.wasm')));
      return { contents, loader: 'js' };
    });
  },
};

export default [perFunctionChunks, leanPlatformaticKafka, lazyWasmUtils];
