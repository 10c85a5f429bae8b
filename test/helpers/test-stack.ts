/**
 * The whole local stack for one test file: on ephemeral ports, in a fresh temporary directory,
 * with the demo window, the Firehose buffer and the workflow's waits cut short so tests finish
 * in seconds. Options override these defaults.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStack, type Stack, type StackOptions } from '../../local/stack.ts';

export interface TestStack {
  stack: Stack;
  dataDir: string;
  /** Stops the stack and removes its directory. */
  close(): Promise<void>;
}

export async function startTestStack(prefix: string, over: Partial<StackOptions> = {}): Promise<TestStack> {
  const dataDir = await mkdtemp(join(tmpdir(), prefix));
  const remove = () => rm(dataDir, { recursive: true, force: true });
  let stack: Stack;
  try {
    stack = await startStack({
      dataDir,
      ports: { kafka: 0, aws: 0, api: 0 },
      demoWindowSeconds: 1,
      firehoseBufferSeconds: 1,
      waitScale: 0.01,
      ...over,
    });
  } catch (error) {
    await remove();
    throw error;
  }
  return {
    stack,
    dataDir,
    close: async () => {
      await stack.close();
      await remove();
    },
  };
}

/** One stack for a describe block: started before its tests, stopped and removed after them. */
export function useTestStack(prefix: string, over: Partial<StackOptions> = {}, timeoutMs = 120_000): () => Stack {
  let started: TestStack | undefined;
  beforeAll(async () => {
    started = await startTestStack(prefix, over);
  }, timeoutMs);
  afterAll(async () => {
    await started?.close();
  });
  return () => {
    if (!started) throw new Error('the test stack did not start');
    return started.stack;
  };
}
