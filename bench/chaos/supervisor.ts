import { type ChildProcess, fork } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { LocalEndpoints } from '../../infra/local/endpoints.js';
import { chaosFiles, type StackMessage } from './files.js';

/** Starts, kills (-9) and stops the stack process, and finds what a killed stack left running. */

export interface StackProcess {
  child: ChildProcess;
  endpoints: LocalEndpoints;
  life: number;
}

const ENTRY = fileURLToPath(new URL('./stack-process.ts', import.meta.url));
const READY_TIMEOUT_MS = 120_000;

export function startStackProcess(stateDir: string, life: number): Promise<StackProcess> {
  const child = fork(ENTRY, [stateDir, String(life)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  child.stderr?.pipe(createWriteStream(chaosFiles(stateDir).stackStderr(life)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the stack (life ${life}) was not ready within ${READY_TIMEOUT_MS / 1000} s`));
    }, READY_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the stack (life ${life}) exited before it was ready (${code ?? signal})`));
    });
    child.on('message', (message: StackMessage) => {
      clearTimeout(timer);
      if (message.type === 'ready') resolve({ child, endpoints: message.endpoints, life });
      else reject(new Error(`the stack (life ${life}) did not start: ${message.error}`));
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** kill -9 of the stack's process: nothing of it runs its shutdown code. */
export async function killStack(stack: StackProcess): Promise<void> {
  stack.child.removeAllListeners('exit');
  stack.child.kill('SIGKILL');
  await exited(stack.child);
}

/**
 * Runs `read` with the stack's process stopped (SIGSTOP), after its requests in flight have had
 * `settleMs` to land, then lets it go on (SIGCONT). DynamoDB Local, a process of its own, keeps
 * answering. The stack does background work even when every batch has finished (runs are priced
 * at a paced rate): a scan of the table while it works can see a run's cost on its launch but read
 * its cost mark from before (the scan is not a snapshot), which no state of the table ever had.
 */
export async function whileFrozen<T>(
  stack: StackProcess,
  read: () => Promise<T>,
  settleMs = 1_000,
): Promise<T> {
  stack.child.kill('SIGSTOP');
  try {
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return await read();
  } finally {
    stack.child.kill('SIGCONT');
  }
}

/** The stack's own stop (as Ctrl-C on `gwm up`); kill -9 if it does not stop within the time. */
export async function stopStack(stack: StackProcess, timeoutMs = 30_000): Promise<'stopped' | 'killed'> {
  stack.child.removeAllListeners('exit');
  if (!stack.child.connected) {
    await killStack(stack);
    return 'killed';
  }
  stack.child.send({ type: 'stop' });
  const timer = new Promise<'killed'>((resolve) => setTimeout(() => resolve('killed'), timeoutMs).unref());
  const outcome = await Promise.race([exited(stack.child).then(() => 'stopped' as const), timer]);
  if (outcome === 'killed') await killStack(stack);
  return outcome;
}

export interface Leftover {
  pid: number;
  command: string;
}

/** Processes whose command line names the state folder (DynamoDB Local's JVM, workflow programs). */
export async function findLeftovers(stateDir: string): Promise<Leftover[]> {
  const found: Leftover[] = [];
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return found; // not Linux: nothing to look at
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const command = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).split('\0').join(' ').trim();
      if (command.includes(stateDir)) found.push({ pid: Number(entry), command: command.slice(0, 200) });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Ends leftovers by their process id (each one found above, nothing by name). */
export function killLeftovers(leftovers: Leftover[]): void {
  for (const { pid } of leftovers) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
