import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Processes the local stack started and may have left behind (a `gwm up` killed with kill -9 takes
 * none of its children with it). A process is only signalled when its command line is still the
 * one recorded for it, so a pid the system has since given to something else is never touched.
 */

const KILL_GRACE_MS = 3_000;

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process' argv from /proc (Linux); undefined when it is gone or cannot be read. */
export function commandLineOf(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return text.split('\0').slice(0, -1);
  } catch {
    return undefined;
  }
}

/** The process is alive and still runs the argv recorded when it was started. */
export function isSameProcess(pid: number, argv: readonly string[]): boolean {
  const current = commandLineOf(pid);
  return (
    current !== undefined && current.length === argv.length && current.every((part, i) => part === argv[i])
  );
}

/**
 * SIGTERM, then SIGKILL after a grace period; to the whole process group when `group` (workflow
 * processes lead their own group, so programs they start go with them). Resolves once it is gone.
 */
export async function terminate(
  pid: number,
  options: { group?: boolean; graceMs?: number } = {},
): Promise<void> {
  const target = options.group ? -pid : pid;
  if (!send(target, 'SIGTERM')) return;
  const deadline = Date.now() + (options.graceMs ?? KILL_GRACE_MS);
  while (isAlive(pid)) {
    if (Date.now() >= deadline) {
      send(target, 'SIGKILL');
      while (isAlive(pid) && !isZombie(pid)) await sleep(25);
      return;
    }
    if (isZombie(pid)) return;
    await sleep(25);
  }
}

/** Sends a signal (0: none, only asks whether it exists); false when there is no such process (group). */
export function send(target: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(target, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw error;
  }
}

/** An exited child not yet reaped by its parent: gone for our purposes. */
/** Exited and not yet reaped by its parent (pid 1 for an orphan, which may take its time). */
export function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}
