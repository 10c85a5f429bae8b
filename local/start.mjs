/**
 * The entry of `node local/start.ts` (a link to this file): plain JavaScript, so that a Node that
 * cannot run TypeScript still runs it and says what to do in one line instead of a stack trace.
 * Node resolves the link before choosing a loader, so Node 20 loads this as an ES module; Node
 * 22.18+/23.6+ strips types, and the stack itself is local/start-stack.ts.
 */
if (!process.features.typescript) {
  process.stderr.write(
    `local/start.ts needs a Node that runs TypeScript (22.18 or later; this is ${process.version}): use 'npm start', which runs the project's own Node 24\n`,
  );
  process.exit(1);
}
await import('./start-stack.ts');
