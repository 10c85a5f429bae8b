/**
 * The import graph of an unzipped function package (`serverless package`): which of its files a
 * cold start loads. Shared by bench/cold-start.ts and the package tests (test/integration/bundle).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import * as esbuild from 'esbuild';

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

/**
 * The package's code split by when it loads: the handler module and the files it imports
 * statically (transitively: module evaluation loads them all before the handler runs), and the
 * rest (source maps aside). esbuild reads the import graph of the unzipped files.
 */
export async function initTimeFiles(dir: string, module: string): Promise<{ init: string[]; lazy: string[] }> {
  const result = await esbuild.build({
    entryPoints: [join(dir, module)],
    bundle: true,
    write: false,
    metafile: true,
    platform: 'node',
    format: 'esm',
    splitting: true,
    outdir: join(dir, '.graph'),
    logLevel: 'silent',
  });
  const inputs = result.metafile.inputs;
  const init = new Set<string>();
  const visit = (file: string) => {
    if (init.has(file)) return;
    init.add(file);
    for (const i of inputs[file]?.imports ?? []) if (i.kind === 'import-statement' && !i.external) visit(i.path);
  };
  visit(relative(process.cwd(), join(dir, module)));
  const initial = new Set([...init].map((f) => relative(dir, f)));
  const code = filesUnder(dir).filter((f) => !f.endsWith('.map'));
  return { init: code.filter((f) => initial.has(f)), lazy: code.filter((f) => !initial.has(f)) };
}

/**
 * Files the package's code names but does not hold: every `"./<file>.mjs|cjs|wasm"` literal in
 * its modules (static and dynamic imports, the side files of esbuild-plugins.ts) that is missing
 * beside the module naming it. Empty for a package that can load all it may need.
 */
export function missingFiles(dir: string): string[] {
  const missing: string[] = [];
  for (const file of filesUnder(dir).filter((f) => /\.(?:mjs|cjs)$/.test(f))) {
    const code = readFileSync(join(dir, file), 'utf8');
    for (const [, name] of code.matchAll(/["'](\.\/[\w.-]+\.(?:mjs|cjs|wasm))["']/g)) {
      if (!existsSync(join(dir, dirname(file), name!))) missing.push(`${file} -> ${name}`);
    }
  }
  return missing;
}
