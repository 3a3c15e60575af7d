import { instanceTypeFor, type TaskRequest } from '../../../domain/cost/instance-types.js';
import { readTextIfExists } from '../read-if-exists.js';
import type { LocalTask, LocalTaskStatus, SimulatedOutcome } from './types.js';

/**
 * A run's tasks, as the local engine reports them through ListRunTasks and GetRunTask.
 *
 * A program reports the steps it runs as tasks: the engine names a file in the run's folder in the
 * environment variable GWM_TASKS_FILE, and the program appends one JSON line when a step starts
 * (`{"event":"start","task":"<name>","at":"<ISO time>","cpus":1,"memoryGiB":2}`, with `"cacheHit":true`
 * when the step was taken from the run's cache instead of being run: see run-cache.ts) and one when it
 * stops (`{"event":"stop","task":"<name>","at":"<ISO time>","status":"COMPLETED"|"FAILED","message":"..."}`),
 * so the times are the ones the steps really ran at. A program that reports nothing ran as one task,
 * from its start to its exit. A simulated run's tasks are placed on its timetable. Each task's
 * instance type is the one HealthOmics would choose for its request (instanceTypeFor).
 */

export const TASKS_FILE_VARIABLE = 'GWM_TASKS_FILE';
export const TASKS_FILE = 'tasks.jsonl';

/** A simulated task fixed when the run is planned: its request checked and its instance type chosen. */
export interface PlannedTask {
  name: string;
  startMs: number;
  runningMs: number;
  status: 'COMPLETED' | 'FAILED';
  failureReason?: string;
  cpus: number;
  memoryGiB: number;
  gpus: number;
  instanceType: string;
}

/** How a run ended, for the tasks still open at its end. */
export interface RunEnd {
  at: Date;
  status: 'COMPLETED' | 'FAILED' | 'CANCELLED';
  message?: string;
}

/** Task ids are digits (HealthOmics: `[0-9]+`, at most 18): the run id, then the task's place. */
export function taskIdOf(runId: string, index: number): string {
  return `${runId}${String(index + 1).padStart(6, '0')}`;
}

/**
 * The tasks of a simulated run's outcome, checked as HealthOmics checks a workflow's tasks before
 * it runs: a task outside the RUNNING phase, or whose request no instance type holds, fails the run.
 */
export function planTasks(
  outcome: SimulatedOutcome,
  workflow: { name: string; resources?: TaskRequest },
  region: string | undefined,
): PlannedTask[] {
  const declared = outcome.tasks ?? [
    {
      name: workflow.name,
      startMs: 0,
      runningMs: outcome.runningMs,
      status: outcome.status,
      ...(outcome.failureReason === undefined ? {} : { failureReason: outcome.failureReason }),
      ...workflow.resources,
    },
  ];
  return declared.map((task) => {
    const { name, startMs, runningMs } = task;
    if (!(startMs >= 0 && runningMs >= 0 && startMs + runningMs <= outcome.runningMs)) {
      throw new Error(
        `task ${name} (${startMs} ms + ${runningMs} ms) does not fit the run's ${outcome.runningMs} ms of RUNNING`,
      );
    }
    const choice = instanceTypeFor(task, region === undefined ? {} : { region });
    if (!choice.ok) throw new Error(`task ${name}: ${choice.message}`);
    return {
      name,
      startMs,
      runningMs,
      status: task.status ?? 'COMPLETED',
      ...(task.failureReason === undefined ? {} : { failureReason: task.failureReason }),
      ...rounded(task),
      instanceType: choice.instanceType.name,
    };
  });
}

/**
 * A simulated run's tasks at `now`: a task exists once its start has come (after the run became
 * RUNNING), runs for its time, and ends as planned; a task still running when the run ended ends
 * with it (CANCELLED when the run was cancelled).
 */
export function simulatedTasks(
  run: { id: string; startTime?: Date },
  planned: readonly PlannedTask[],
  end: RunEnd | undefined,
  now: Date,
): LocalTask[] {
  if (run.startTime === undefined) return [];
  const begin = run.startTime.getTime();
  const until = end?.at.getTime() ?? now.getTime();
  const tasks: LocalTask[] = [];
  planned.forEach((task, index) => {
    const start = begin + task.startMs;
    if (start > until) return;
    const plannedStop = start + task.runningMs;
    const base = {
      taskId: taskIdOf(run.id, index),
      name: task.name,
      cpus: task.cpus,
      memoryGiB: task.memoryGiB,
      gpus: task.gpus,
      instanceType: task.instanceType,
      creationTime: new Date(start),
      startTime: new Date(start),
    };
    if (plannedStop <= until) {
      tasks.push({ ...base, ...ended(task.status, new Date(plannedStop), task.failureReason) });
    } else if (end === undefined) {
      tasks.push({ ...base, status: 'RUNNING' });
    } else {
      const status = end.status === 'CANCELLED' ? 'CANCELLED' : task.status;
      tasks.push({ ...base, ...ended(status, end.at, status === 'FAILED' ? end.message : undefined) });
    }
  });
  return tasks;
}

/** One line of a tasks file, checked; anything else (a torn last line) is left out. */
type ReportLine =
  | ({ event: 'start'; task: string; at: Date; cacheHit?: boolean } & TaskRequest)
  | { event: 'stop'; task: string; at: Date; status: 'COMPLETED' | 'FAILED'; message?: string };

/** The lines a program wrote to its tasks file; none when it wrote no file. */
export async function readTaskReport(file: string): Promise<ReportLine[]> {
  const text = await readTextIfExists(file);
  if (text === undefined) return [];
  return text.split('\n').flatMap((line) => {
    const parsed = parseLine(line);
    return parsed === undefined ? [] : [parsed];
  });
}

/**
 * A program's tasks from what it reported: each start line opens a task (in order), the next stop
 * line of that name closes it. Tasks still open take the run's end (the process' exit). A program
 * that reported nothing by its end ran as one task from its start (`run.startTime`) to its exit.
 */
export function processTasks(
  run: { id: string; startTime?: Date },
  workflow: { name: string; resources?: TaskRequest },
  report: readonly ReportLine[],
  end: RunEnd | undefined,
  region: string | undefined,
): LocalTask[] {
  if (run.startTime === undefined) return [];
  const starts = report.filter((line) => line.event === 'start');
  // A program that has reported nothing yet may still report its steps: until it ends, no task is
  // listed, so a task once listed never turns into another.
  if (starts.length === 0 && end === undefined) return [];
  const opened: Array<{
    request: TaskRequest;
    name: string;
    start: Date;
    cacheHit?: boolean;
    stop?: ReportLine & { event: 'stop' };
  }> =
    starts.length > 0
      ? starts.map((line) => ({ request: line, name: line.task, start: line.at, cacheHit: line.cacheHit }))
      : [{ request: workflow.resources ?? {}, name: workflow.name, start: run.startTime }];
  for (const line of report) {
    if (line.event !== 'stop') continue;
    const task = opened.find((candidate) => candidate.name === line.task && candidate.stop === undefined);
    if (task !== undefined) task.stop = line;
  }
  return opened.map((task, index) => {
    const choice = instanceTypeFor(task.request, region === undefined ? {} : { region });
    const base = {
      taskId: taskIdOf(run.id, index),
      name: task.name,
      ...rounded(task.request),
      ...(choice.ok ? { instanceType: choice.instanceType.name } : { statusMessage: choice.message }),
      creationTime: task.start,
      startTime: task.start,
      ...(task.cacheHit === true && { cacheHit: true }),
    };
    if (task.stop !== undefined)
      return { ...base, ...ended(task.stop.status, task.stop.at, task.stop.message) };
    if (end === undefined) return { ...base, status: 'RUNNING' as const };
    return { ...base, ...ended(end.status, end.at, end.status === 'FAILED' ? end.message : undefined) };
  });
}

function ended(
  status: LocalTaskStatus,
  stopTime: Date,
  failureReason: string | undefined,
): { status: LocalTaskStatus; stopTime: Date; failureReason?: string; statusMessage?: string } {
  return {
    status,
    stopTime,
    ...(status === 'FAILED' && failureReason !== undefined
      ? { failureReason, statusMessage: failureReason }
      : {}),
  };
}

/** Fractional units are rounded up, and absent ones are HealthOmics' defaults (1 vCPU, 1 GiB, no GPU). */
function rounded(request: TaskRequest): { cpus: number; memoryGiB: number; gpus: number } {
  return {
    cpus: Math.ceil(request.cpus ?? 1),
    memoryGiB: Math.ceil(request.memoryGiB ?? 1),
    gpus: Math.ceil(request.gpus ?? 0),
  };
}

function parseLine(line: string): ReportLine | undefined {
  if (line.trim() === '') return undefined;
  let value: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== 'object' || parsed === null) return undefined;
    value = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const at = typeof value.at === 'string' ? new Date(value.at) : undefined;
  if (typeof value.task !== 'string' || value.task === '' || at === undefined || Number.isNaN(at.getTime()))
    return undefined;
  const task = value.task.slice(0, 128);
  if (value.event === 'start') {
    const number = (key: string) => (typeof value[key] === 'number' ? (value[key] as number) : undefined);
    const accelerator = typeof value.accelerator === 'string' ? value.accelerator : undefined;
    return {
      event: 'start',
      task,
      at,
      ...defined({ cpus: number('cpus'), memoryGiB: number('memoryGiB'), gpus: number('gpus') }),
      ...(accelerator === undefined ? {} : { accelerator: accelerator as TaskRequest['accelerator'] }),
      ...(value.cacheHit === true && { cacheHit: true }),
    };
  }
  if (value.event === 'stop' && (value.status === 'COMPLETED' || value.status === 'FAILED')) {
    return {
      event: 'stop',
      task,
      at,
      status: value.status,
      ...(typeof value.message === 'string' ? { message: value.message.slice(0, 1000) } : {}),
    };
  }
  return undefined;
}

function defined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)) as Partial<T>;
}

/** A task as the run store keeps it (times as text). */
export interface StoredTask extends Omit<LocalTask, 'creationTime' | 'startTime' | 'stopTime'> {
  creationTime: string;
  startTime?: string;
  stopTime?: string;
}

export function toStoredTask(task: LocalTask): StoredTask {
  return {
    ...task,
    creationTime: task.creationTime.toISOString(),
    startTime: task.startTime?.toISOString(),
    stopTime: task.stopTime?.toISOString(),
  };
}

export function fromStoredTask(task: StoredTask): LocalTask {
  return {
    ...task,
    creationTime: new Date(task.creationTime),
    startTime: task.startTime === undefined ? undefined : new Date(task.startTime),
    stopTime: task.stopTime === undefined ? undefined : new Date(task.stopTime),
  };
}
