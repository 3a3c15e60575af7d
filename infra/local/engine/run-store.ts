import { appendFileSync } from 'node:fs';
import { appendFile, mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readJsonLines } from '../json-lines.js';
import { fromStoredTask, type PlannedTask, type StoredTask, toStoredTask } from './run-tasks.js';
import type { LocalRun, LocalRunStatus } from './types.js';

/**
 * The engine's memory across restarts: every run, its requestId and its status, as an append-only
 * file of JSON lines in the runs folder (`engine-runs.jsonl`). A line is written before the API
 * answers and before a status event leaves, so a restarted engine knows every run it made and
 * every status it told anyone about. The file is compacted to one line per run when it is opened.
 */

export const RUN_STORE_FILE = 'engine-runs.jsonl';

/** A simulated run's timetable as wall-clock times, so a restarted engine carries on where it was. */
export interface SimulationPlan {
  runningAt: number;
  endsAt: number;
  status: 'COMPLETED' | 'FAILED';
  failureReason?: string;
  /** The most storage the run holds (SimulatedOutcome.storageGiB). */
  storageGiB?: number;
  /** The run's tasks on its RUNNING phase (absent in stores written before tasks were kept). */
  tasks?: PlannedTask[];
}

/** One run as stored: the run with its dates as text, and what a restart needs to carry on. */
export interface StoredRun extends Omit<LocalRun, 'creationTime' | 'startTime' | 'stopTime' | 'tasks'> {
  creationTime: string;
  startTime?: string;
  stopTime?: string;
  /** The tasks of a run that ended, as ListRunTasks reports them. */
  tasks?: StoredTask[];
  cancelRequested: boolean;
  plan?: SimulationPlan;
}

type Line =
  | { kind: 'run'; life: number; run: StoredRun }
  | { kind: 'start'; life: number; at: string }
  | { kind: 'stop'; life: number; at: string };

export interface RunStore {
  /** Every run known when the store was opened, in id order. */
  loaded: StoredRun[];
  /**
   * Runs whose last change was made by an engine that was stopped without a clean stop (kill -9):
   * their last status event may never have been delivered.
   */
  unconfirmed: ReadonlySet<string>;
  /** Appends the run as it is now; resolves once it is on disk. */
  save(run: StoredRun): Promise<void>;
  /** Appends the run synchronously (a process id, which must be on disk before anything else happens). */
  saveNow(run: StoredRun): void;
  /** Records that this engine stopped cleanly: every status it saved was handed over. */
  close(): Promise<void>;
}

export async function openRunStore(runsDir: string): Promise<RunStore> {
  await mkdir(runsDir, { recursive: true });
  const file = join(runsDir, RUN_STORE_FILE);
  const { runs, lastLife, stoppedCleanly, changedInLastLife } = await readStore(file);
  const loaded = [...runs.values()].sort((a, b) => Number(a.id) - Number(b.id));
  const life = lastLife + 1;
  // Compacted once per start: one line per run, then this engine's start; a crash mid-rewrite
  // leaves the old file, as the rename is atomic.
  const temporary = `${file}.${process.pid}.tmp`;
  const unconfirmed: ReadonlySet<string> = stoppedCleanly ? new Set() : changedInLastLife;
  // Unconfirmed runs are carried into this life: if it ends without a clean stop as well, they
  // stay unconfirmed for the next one.
  const carried = loaded.map((run) =>
    line({ kind: 'run', life: unconfirmed.has(run.id) ? life : lastLife, run }),
  );
  const at = new Date().toISOString();
  await writeFile(
    temporary,
    [...carried, line({ kind: 'stop', life: lastLife, at }), line({ kind: 'start', life, at })].join(''),
  );
  await rename(temporary, file);

  // Lines are buffered and written together: one append for every run that changed in the same tick.
  let buffer: string[] = [];
  let flushing: Promise<void> | undefined;
  let queued: Promise<void> | undefined;
  function flush(): Promise<void> {
    queued ??= (async () => {
      await flushing;
      queued = undefined;
      const text = buffer.join('');
      buffer = [];
      flushing = appendFile(file, text);
      await flushing;
    })();
    return queued;
  }

  return {
    loaded,
    unconfirmed,
    save(run) {
      buffer.push(line({ kind: 'run', life, run }));
      return flush();
    },
    saveNow(run) {
      // One write of one line with O_APPEND: it lands whole, before or after a buffered flush.
      appendFileSync(file, line({ kind: 'run', life, run }));
    },
    async close() {
      buffer.push(line({ kind: 'stop', life, at: new Date().toISOString() }));
      await flush();
    },
  };
}

/** The runs a store holds, without opening it for writing (tests, tools). */
export async function readRunStore(runsDir: string): Promise<StoredRun[]> {
  const { runs } = await readStore(join(runsDir, RUN_STORE_FILE));
  return [...runs.values()].sort((a, b) => Number(a.id) - Number(b.id));
}

async function readStore(file: string) {
  const runs = new Map<string, StoredRun>();
  const lastChange = new Map<string, number>();
  let lastLife = 0;
  const stopped = new Set<number>();
  for (const value of await readJsonLines<unknown>(file)) {
    const parsed = asLine(value);
    if (parsed === undefined) continue;
    lastLife = Math.max(lastLife, parsed.life);
    if (parsed.kind === 'stop') stopped.add(parsed.life);
    if (parsed.kind === 'run') {
      // A process id saved at spawn may be followed by an older snapshot of the run flushed later.
      const before = runs.get(parsed.run.id);
      if (before?.pid !== undefined && parsed.run.pid === undefined) {
        parsed.run.pid = before.pid;
        parsed.run.argv = before.argv;
      }
      runs.set(parsed.run.id, parsed.run);
      lastChange.set(parsed.run.id, parsed.life);
    }
  }
  const changedInLastLife = new Set(
    [...lastChange].filter(([, life]) => life === lastLife).map(([id]) => id),
  );
  return { runs, lastLife, stoppedCleanly: lastLife === 0 || stopped.has(lastLife), changedInLastLife };
}

/** A line of the store, or undefined for anything else (a line from a future format, a torn write). */
function asLine(candidate: unknown): Line | undefined {
  const value = candidate as Line | null;
  if (typeof value !== 'object' || value === null || typeof value.life !== 'number') return undefined;
  if (value.kind === 'run' && typeof value.run?.id === 'string') return value;
  if (value.kind === 'start' || value.kind === 'stop') return value;
  return undefined;
}

function line(value: Line): string {
  return `${JSON.stringify(value)}\n`;
}

export function toStored(
  run: LocalRun,
  extra: { cancelRequested: boolean; plan?: SimulationPlan },
): StoredRun {
  return {
    ...run,
    creationTime: run.creationTime.toISOString(),
    startTime: run.startTime?.toISOString(),
    stopTime: run.stopTime?.toISOString(),
    tasks: run.tasks?.map(toStoredTask),
    cancelRequested: extra.cancelRequested,
    ...(extra.plan === undefined ? {} : { plan: extra.plan }),
  };
}

export function fromStored(stored: StoredRun): LocalRun {
  const { cancelRequested: _cancel, plan: _plan, ...run } = stored;
  return {
    ...run,
    creationTime: new Date(stored.creationTime),
    startTime: stored.startTime === undefined ? undefined : new Date(stored.startTime),
    stopTime: stored.stopTime === undefined ? undefined : new Date(stored.stopTime),
    tasks: stored.tasks?.map(fromStoredTask),
  };
}

export const TERMINAL_STATUSES: ReadonlySet<LocalRunStatus> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
