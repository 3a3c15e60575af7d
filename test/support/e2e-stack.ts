import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../infra/local/stack.js';

/** An end-to-end stack and the temporary state folder it runs on. */
export interface TempStack {
  stack: LocalStack;
  stateDir: string;
}

/**
 * A local stack on a fresh temporary state folder named `prefix…`, with no reconcile schedule and
 * no endpoints file unless `options` say otherwise. A stack that fails to start leaves no folder.
 */
export async function startTempStack(
  prefix: string,
  options: Omit<LocalStackOptions, 'stateDir'> = {},
): Promise<TempStack> {
  const stateDir = await mkdtemp(join(tmpdir(), prefix));
  try {
    const stack = await startLocalStack({
      stateDir,
      reconcileEveryMs: 0,
      writeEndpointsFile: false,
      ...options,
    });
    return { stack, stateDir };
  } catch (error) {
    await rm(stateDir, { recursive: true, force: true });
    throw error;
  }
}

/** Stops the stack and removes its state folder (either may be missing when the start failed). */
export async function stopTempStack(
  stack: LocalStack | undefined,
  stateDir: string | undefined,
): Promise<void> {
  await stack?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
}
