/**
 * Command-line mistakes of the local tools (`npm start`, `npm run kafka`), each answered with one
 * line on stderr saying what to do instead of a stack trace.
 */
import { parseArgs, type ParseArgsOptionsConfig } from 'node:util';

/** Prints one line and exits (2: a usage error; 1: the command could not run). */
export function usageError(line: string, exitCode = 2): never {
  process.stderr.write(`${line}\n`);
  process.exit(exitCode);
}

/**
 * The flags npm kept for itself. `npm start --fresh` (without `--`) does not pass `--fresh` to the
 * script: npm takes it as one of its own settings and exports it as `npm_config_fresh=true`
 * (`--no-demo` as `npm_config_demo=`, and the value of `--api-port 3001` becomes a positional
 * argument). Only looked at when npm ran the script (`npm_lifecycle_event` is set).
 */
export function flagsNpmKept(options: ParseArgsOptionsConfig, env: NodeJS.ProcessEnv = process.env): string[] {
  if (env.npm_lifecycle_event === undefined) return [];
  const configKey = (name: string) => `npm_config_${name.replaceAll('-', '_')}`;
  return Object.keys(options)
    .filter((name) => name !== 'help')
    .filter(
      (name) =>
        env[configKey(name)] !== undefined || (name.startsWith('no-') && env[configKey(name.slice(3))] !== undefined),
    )
    .map((name) => (options[name]?.type === 'string' ? `--${name} <value>` : `--${name}`));
}

/**
 * Parses the flags of `command` (as the user types it: `npm start`), or exits with one line: the
 * flags npm kept (put them after `--`), or the unknown/malformed flag and where the list is.
 */
export function parseFlags<const T extends ParseArgsOptionsConfig>(
  command: string,
  options: T,
  args = process.argv.slice(2),
) {
  const kept = flagsNpmKept(options);
  if (kept.length > 0) {
    usageError(
      `${command}: npm took ${kept.join(' ')} as its own setting${kept.length > 1 ? 's' : ''} and did not pass ${kept.length > 1 ? 'them' : 'it'} on; put the flags after '--': ${command} -- ${kept.join(' ')}`,
    );
  }
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values;
  } catch (err) {
    usageError(
      `${command}: ${(err as Error).message.replace(/\.?\s*$/, '')}; '${command} -- --help' lists the flags (they go after '--')`,
    );
  }
}

/** The port of a listen error when it is "address in use", else undefined. */
export function portInUse(err: unknown): { port: number | string; address: string } | undefined {
  const e = err as NodeJS.ErrnoException & { port?: number; address?: string };
  if (e?.code !== 'EADDRINUSE') return undefined;
  return { port: e.port ?? '?', address: e.address ?? '127.0.0.1' };
}
