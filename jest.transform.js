/**
 * Jest transformer: esbuild strips the TypeScript types (the same compiler that builds the
 * Lambda bundles). Native ES modules when jest runs in ESM mode, CommonJS otherwise.
 * Why not @swc/jest: its platform binaries are not all on the registry this project installs
 * from, which makes `npm ci` fail (docs/decisions.md D2).
 */
import { transformSync } from 'esbuild';

export default {
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
