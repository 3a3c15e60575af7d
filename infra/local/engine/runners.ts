import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../../domain/errors.js';
import { clip } from '../../../domain/text.js';
import { send, terminate } from '../process-ownership.js';
import { runCacheEnvironment } from './run-cache.js';
import { type StorageSampler, sampleStorage } from './run-storage.js';
import type { SimulationPlan } from './run-store.js';
import {
  planTasks,
  processTasks,
  type RunEnd,
  readTaskReport,
  TASKS_FILE,
  TASKS_FILE_VARIABLE,
} from './run-tasks.js';
import type {
  LocalRun,
  LocalRunContext,
  LocalRunStatus,
  LocalWorkflow,
  ProcessWorkflow,
  SimulatedWorkflow,
} from './types.js';

/** A run while the engine holds it: the run, and what drives it. */
export interface RunState extends LocalRun {
  workflow: LocalWorkflow | undefined;
  child?: ChildProcess;
  /** Ends the current phase of a simulated run early (cancel, stop). */
  wake?: () => void;
  cancelRequested: boolean;
  /** The engine is stopping: the run is left as it is for the next engine, with no more statuses. */
  abandoned: boolean;
  plan?: SimulationPlan;
  /** Status events of one run are saved and delivered in order: each waits for the one before it. */
  emitChain: Promise<void>;
  /** Resolves when the run reached a terminal status (and its event was handed to `emit`). */
  finished: Promise<void>;
  markFinished: () => void;
}

export interface FinishDetails {
  failureReason?: string;
  statusMessage?: string;
}

/** What a runner may do to its run: everything goes through the engine, which saves and emits. */
export interface RunnerHooks {
  emitStatus(run: RunState, status: LocalRunStatus): void;
  finish(run: RunState, status: LocalRunStatus, details: FinishDetails): void;
  /** Exports the outputs (when the engine is asked to), then COMPLETED. */
  complete(run: RunState): Promise<void>;
  /** Saves the run's pid and argv at once (synchronously), before the program can be left behind. */
  recordProcess(run: RunState): void;
  /** The engine's region: instance types are chosen among those offered there. */
  region: string;
  /** The engine's runs folder, which holds the run caches. */
  runsDir: string;
}

/** The real API caps failure reasons; a long stderr line would otherwise flood GetRun and events. */
export const MAX_REASON_LENGTH = 1000;

export function contextOf(run: RunState): LocalRunContext {
  return { parameters: run.parameters, outputDir: run.outputDir, runId: run.id };
}

/** Starts the workflow's program and follows it to the end of the run. */
export async function runProcess(
  run: RunState,
  workflow: ProcessWorkflow,
  hooks: RunnerHooks,
): Promise<void> {
  let args: string[];
  try {
    await mkdir(run.outputDir, { recursive: true });
    args = workflow.args(contextOf(run));
  } catch (error) {
    const reason = clip(`Could not prepare the run: ${errorMessage(error)}`, MAX_REASON_LENGTH);
    return hooks.finish(run, 'FAILED', { failureReason: reason, statusMessage: reason });
  }
  if (run.abandoned) return;
  if (run.cancelRequested)
    return hooks.finish(run, 'CANCELLED', { statusMessage: 'Run cancelled before it started' });
  const log = createWriteStream(run.logPath, { flags: 'a' });
  const tasksFile = join(run.runDir, TASKS_FILE);
  // Its own process group, so stopping the run stops whatever the program started too.
  const child = spawn(workflow.command, args, {
    cwd: run.runDir,
    shell: false,
    detached: true,
    env: {
      ...process.env,
      ...workflow.env,
      [TASKS_FILE_VARIABLE]: tasksFile,
      ...runCacheEnvironment(run, hooks.runsDir),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  run.child = child;
  if (child.pid !== undefined) {
    run.pid = child.pid;
    run.argv = [workflow.command, ...args];
    hooks.recordProcess(run);
  }
  let stderrTail = '';
  child.stdout.pipe(log, { end: false });
  child.stderr.on('data', (chunk: Buffer) => {
    log.write(chunk);
    // Only the tail matters (the last line becomes the failure reason); keep it bounded.
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-64 * 1024);
  });
  let spawnError: Error | undefined;
  let storage: StorageSampler | undefined;
  child.once('spawn', () => {
    run.startTime = new Date();
    storage = sampleStorage(run.runDir);
    hooks.emitStatus(run, 'RUNNING');
  });
  child.once('error', (error) => {
    spawnError = error;
  });
  child.once('close', (code, signal) => {
    run.child = undefined;
    const closedAt = new Date();
    log.end(() => void settle(code, signal, closedAt));
  });

  /** The program ended: its tasks (from its report, ended at its exit), then the run's end. */
  async function settle(code: number | null, signal: NodeJS.Signals | null, closedAt: Date) {
    const exit = code === null ? `signal ${String(signal)}` : `exit code ${code}`;
    const lastLine = lastNonEmptyLine(stderrTail);
    const failureReason = clip(lastLine ?? `Workflow process ended with ${exit}`, MAX_REASON_LENGTH);
    const end: RunEnd = run.cancelRequested
      ? { at: closedAt, status: 'CANCELLED' }
      : spawnError || code !== 0
        ? { at: closedAt, status: 'FAILED', message: failureReason }
        : { at: closedAt, status: 'COMPLETED' };
    // A report that cannot be read is treated as none: the program is then one task.
    const report = await readTaskReport(tasksFile).catch(() => []);
    const used = await storage?.stop();
    if (run.abandoned) return;
    if (used) run.storageUse = used;
    run.tasks = processTasks(run, workflow, report, end, hooks.region);
    if (run.status === 'RUNNING') hooks.emitStatus(run, 'STOPPING');
    if (run.cancelRequested) {
      hooks.finish(run, 'CANCELLED', { statusMessage: 'Run cancelled' });
    } else if (spawnError) {
      const reason = clip(`Could not start ${workflow.command}: ${spawnError.message}`, MAX_REASON_LENGTH);
      hooks.finish(run, 'FAILED', { failureReason: reason, statusMessage: reason });
    } else if (code === 0) {
      void hooks.complete(run);
    } else {
      hooks.finish(run, 'FAILED', { failureReason, statusMessage: `Workflow process ended with ${exit}` });
    }
  }
}

/** Asks a run's program (its whole group) to stop, as CancelRun does. */
export function signalProcess(run: RunState): void {
  if (run.child?.pid !== undefined) send(-run.child.pid, 'SIGTERM');
}

/** Stops a run's program for good and waits for it: the engine is stopping. */
export async function stopProcess(run: RunState): Promise<void> {
  const child = run.child;
  if (child?.pid === undefined) return;
  const closed = new Promise<void>((resolve) => {
    if (run.child === undefined) resolve();
    else child.once('close', () => resolve());
  });
  await terminate(child.pid, { group: true });
  await closed;
}

/**
 * The timetable of a simulated run, fixed in wall-clock time when it starts, so an engine that
 * restarts carries the run on where it would be (the run went on while the engine was away).
 */
export function planSimulation(
  run: RunState,
  workflow: SimulatedWorkflow,
  now: number,
  region: string,
): SimulationPlan {
  const outcome = workflow.simulate(contextOf(run));
  const runningAt = now + (outcome.startingMs ?? 0);
  return {
    runningAt,
    endsAt: runningAt + outcome.runningMs,
    status: outcome.status,
    ...(outcome.failureReason === undefined ? {} : { failureReason: outcome.failureReason }),
    ...(outcome.storageGiB === undefined ? {} : { storageGiB: outcome.storageGiB }),
    tasks: planTasks(outcome, workflow, region),
  };
}

/** Moves a simulated run from where it is (STARTING, RUNNING or STOPPING) to its end, on its plan. */
export async function runSimulated(run: RunState, plan: SimulationPlan, hooks: RunnerHooks): Promise<void> {
  const until = (at: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.max(at - Date.now(), 0));
      run.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  if (run.status === 'PENDING' || run.status === 'STARTING') {
    await until(plan.runningAt);
    if (run.abandoned) return;
    if (run.cancelRequested) return hooks.finish(run, 'CANCELLED', { statusMessage: 'Run cancelled' });
    run.startTime = new Date();
    hooks.emitStatus(run, 'RUNNING');
  }
  if (run.status === 'RUNNING') {
    await until(plan.endsAt);
    if (run.abandoned) return;
    hooks.emitStatus(run, 'STOPPING');
  }
  if (run.cancelRequested) return hooks.finish(run, 'CANCELLED', { statusMessage: 'Run cancelled' });
  if (plan.status === 'FAILED') {
    const reason = clip(plan.failureReason ?? 'Simulated failure', MAX_REASON_LENGTH);
    return hooks.finish(run, 'FAILED', { failureReason: reason, statusMessage: reason });
  }
  hooks.finish(run, 'COMPLETED', {});
}

function lastNonEmptyLine(text: string): string | undefined {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .at(-1);
}
