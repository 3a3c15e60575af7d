import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GwmError } from '../../domain/errors.js';
import { isSameProcess, terminate } from './process-ownership.js';

/**
 * `<stateDir>/processes.json`: which process runs the local stack on a state folder, and the
 * long-lived processes it started (DynamoDB Local's JVM). A stack killed with kill -9 cannot stop
 * them; the next stack on the folder reads this file and does.
 */

export const PROCESS_FILE = 'processes.json';

export interface OwnedProcess {
  what: string;
  pid: number;
  argv: string[];
}

interface ProcessFile {
  owner: { pid: number; argv: string[] };
  processes: OwnedProcess[];
}

export class StateDirInUseError extends GwmError {
  constructor(message: string) {
    super('STATE_DIR_IN_USE', message);
    this.name = 'StateDirInUseError';
  }
}

export interface StateDirClaim {
  /** Processes stopped because an earlier stack left them running. */
  reaped: OwnedProcess[];
  /** Records a process the stack started, before it can be left behind. */
  record(process: OwnedProcess): Promise<void>;
  /** The stack stopped everything it started: the file goes. */
  release(): Promise<void>;
}

/**
 * Takes the state folder for this process: refuses when another live stack has it, and stops what
 * a dead one left running (only processes whose command line is still the one recorded).
 */
export async function claimStateDir(stateDir: string, ownerArgv: string[]): Promise<StateDirClaim> {
  const file = join(stateDir, PROCESS_FILE);
  const previous = await readProcessFile(file);
  if (
    previous &&
    previous.owner.pid !== process.pid &&
    isSameProcess(previous.owner.pid, previous.owner.argv)
  ) {
    throw new StateDirInUseError(
      `The state folder ${stateDir} is in use by process ${previous.owner.pid}; stop it first or use another folder.`,
    );
  }
  const reaped: OwnedProcess[] = [];
  for (const left of previous?.processes ?? []) {
    if (!isSameProcess(left.pid, left.argv)) continue;
    await terminate(left.pid);
    reaped.push(left);
  }
  const current: ProcessFile = { owner: { pid: process.pid, argv: ownerArgv }, processes: [] };
  let writes: Promise<void> = write(file, current);
  await writes;
  return {
    reaped,
    record(owned) {
      current.processes.push(owned);
      writes = writes.then(() => write(file, current));
      return writes;
    },
    async release() {
      await writes.catch(() => {});
      await rm(file, { force: true });
    },
  };
}

async function readProcessFile(file: string): Promise<ProcessFile | undefined> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as ProcessFile;
    if (typeof parsed.owner?.pid !== 'number' || !Array.isArray(parsed.processes)) return undefined;
    return parsed;
  } catch {
    // No file, or half of one: nothing is known to be left running.
    return undefined;
  }
}

/** Written whole or not at all: a reader after kill -9 never sees half a file. */
async function write(file: string, value: ProcessFile): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(value, null, 2)}\n`);
  await rename(temporary, file);
}
