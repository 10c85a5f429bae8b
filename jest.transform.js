/**
 * Jest transformer: esbuild strips the TypeScript types (the same compiler that builds the
 * Lambda bundles). Native ES modules when jest runs in ESM mode, CommonJS otherwise.
 * Why not @swc/jest: its platform binaries are not all on the registry this project installs
 * from, which makes `npm ci` fail (docs/decisions.md D2).
 */
import { createHash } from 'node:crypto';
import { transformSync, version } from 'esbuild';

export default {
  /**
   * The output differs between ESM and CommonJS runs, so the cache key must too: without this, a
   * run without --experimental-vm-modules (plain `npx jest`) leaves CommonJS in jest's cache and
   * the next `npm test` fails with "require is not defined".
   */
  getCacheKey(source, filename, options) {
    return createHash('sha256')
      .update(`${version}\0${options.supportsStaticESM ? 'esm' : 'cjs'}\0${filename}\0${options.configString}\0`)
      .update(source)
      .digest('hex');
  },
  process(source, filename, options) {
    const result = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: options.supportsStaticESM ? 'esm' : 'cjs',
      target: 'es2024',
      platform: 'node',
      sourcemap: 'inline',
      sourcefile: filename,
    });
    return { code: result.code };
  },
};
