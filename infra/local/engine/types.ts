import type { TaskRequest } from '../../../domain/cost/instance-types.js';
import type { RunStatus } from '../../../domain/launch.js';
import type { CacheBehavior } from '../../../domain/workflow.js';

/** Statuses the local engine moves a run through (the HealthOmics run lifecycle; it never deletes runs). */
export type LocalRunStatus = Exclude<RunStatus, 'DELETED'>;

/** What a workflow is given about the run it serves. */
export interface LocalRunContext {
  parameters: Record<string, unknown>;
  outputDir: string;
  runId: string;
}

/** A workflow the engine can run: one local program, started with an argv array and never through a shell. */
export interface ProcessWorkflow {
  name: string;
  command: string;
  args: (run: LocalRunContext) => string[];
  /** Added to the engine's own environment for the program (endpoints, credentials). */
  env?: Record<string, string>;
  /**
   * What the program's one task asks for when the program reports no tasks of its own (a program
   * reports its steps as tasks in the file named by GWM_TASKS_FILE: see run-tasks.ts). Absent:
   * 1 vCPU and 1 GiB, HealthOmics' default.
   */
  resources?: TaskRequest;
}

/** One task of a simulated run, placed on the run's RUNNING phase. */
export interface SimulatedTask extends TaskRequest {
  name: string;
  /** When the task starts, after the run became RUNNING. */
  startMs: number;
  runningMs: number;
  /** COMPLETED when absent. */
  status?: 'COMPLETED' | 'FAILED';
  failureReason?: string;
}

/** How a simulated run goes: how long it stays in each phase (real milliseconds) and how it ends. */
export interface SimulatedOutcome {
  startingMs?: number;
  runningMs: number;
  status: 'COMPLETED' | 'FAILED';
  failureReason?: string;
  /** The most storage the run holds (GiB), reached steadily from nothing: its average is half. Absent: not reported. */
  storageGiB?: number;
  /**
   * The tasks the run goes through; each must end within `runningMs`. Absent: one task spanning
   * the RUNNING phase, named after the workflow, asking for the workflow's `resources`, ending as the run does.
   */
  tasks?: SimulatedTask[];
}

/**
 * A workflow that runs no program: the run moves through the same statuses, with the same events,
 * on a timetable (benchmarks compress hours of run time into seconds this way).
 */
export interface SimulatedWorkflow {
  name: string;
  simulate: (run: LocalRunContext) => SimulatedOutcome;
  /** What the default task (when the outcome declares no tasks) asks for; absent: 1 vCPU and 1 GiB. */
  resources?: TaskRequest;
}

export type LocalWorkflow = ProcessWorkflow | SimulatedWorkflow;

export interface RunStatusChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'Run Status Change';
  source: 'aws.omics';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    omicsVersion: '1.0.0';
    arn: string;
    status: LocalRunStatus;
    uuid: string;
    runId: string;
    runName?: string;
    runOutputUri: string;
    workflowId: string;
    workflowName: string;
  };
}

/** Task statuses, as HealthOmics reports them (TaskStatus). */
export type LocalTaskStatus =
  | 'PENDING'
  | 'STARTING'
  | 'RUNNING'
  | 'STOPPING'
  | 'COMPLETED'
  | 'CANCELLED'
  | 'FAILED';

/** One task of a run, as ListRunTasks and GetRunTask report it. */
export interface LocalTask {
  /** Digits, as HealthOmics task ids are: the run id and the task's place in the run. */
  taskId: string;
  name: string;
  status: LocalTaskStatus;
  /** The request, rounded up to whole units as HealthOmics does. */
  cpus: number;
  memoryGiB: number;
  gpus: number;
  /** Chosen with instanceTypeFor; absent when no instance type holds the request (statusMessage says why). */
  instanceType?: string;
  creationTime: Date;
  startTime?: Date;
  stopTime?: Date;
  statusMessage?: string;
  failureReason?: string;
  /** The task was not run: its outputs came from the run's cache (run-cache.ts). */
  cacheHit?: boolean;
}

/** What the engine knows about one run (a snapshot: changing it does not change the run). */
export interface LocalRun {
  id: string;
  arn: string;
  uuid: string;
  requestId: string;
  name?: string;
  status: LocalRunStatus;
  workflowId: string;
  workflowName: string;
  workflowType?: string;
  workflowVersionName?: string;
  roleArn: string;
  parameters: Record<string, unknown>;
  outputUri: string;
  runOutputUri: string;
  storageType?: string;
  storageCapacity?: number;
  runGroupId?: string;
  /** The run cache StartRun named, and the behavior it asked for (absent: the cache's default). */
  cacheId?: string;
  cacheBehavior?: CacheBehavior;
  priority?: number;
  tags: Record<string, string>;
  creationTime: Date;
  startTime?: Date;
  stopTime?: Date;
  failureReason?: string;
  statusMessage?: string;
  /** The run's tasks once it ended (while it runs they are read from its timetable or its tasks file). */
  tasks?: LocalTask[];
  /** The storage the run used while RUNNING (measured, or from its timetable), once it ended. */
  storageUse?: { averageGiB?: number; maximumGiB?: number };
  /** The child process id while (and after) it ran; absent when the run never started a process. */
  pid?: number;
  /** The process' argv as started, so a later engine can tell the process is still this run's. */
  argv?: string[];
  /** `<runsDir>/<id>`: holds run.log and out/. */
  runDir: string;
  logPath: string;
  outputDir: string;
}

export const ENGINE_OPERATIONS = [
  'StartRun',
  'GetRun',
  'ListRuns',
  'CancelRun',
  'ListRunTasks',
  'GetRunTask',
] as const;
export type EngineOperation = (typeof ENGINE_OPERATIONS)[number];

/** A count per engine operation, all at 0. */
export function engineCallCounts(): Record<EngineOperation, number> {
  return Object.fromEntries(ENGINE_OPERATIONS.map((operation) => [operation, 0])) as Record<
    EngineOperation,
    number
  >;
}

export interface LocalEngineOptions {
  /** 0 or absent: a free port. */
  port?: number;
  /** Keyed by workflow id, as StartRun's `workflowId` names them. */
  workflows: Record<string, LocalWorkflow>;
  /** StartRun calls accepted per rolling second; above it the engine answers ThrottlingException. */
  startRunRatePerSecond?: number;
  emit: (event: RunStatusChangeEvent) => void | Promise<void>;
  /** Runs, their logs and outputs, and the run store (`engine-runs.jsonl`) that outlives the engine. */
  runsDir: string;
  region?: string;
  accountId?: string;
  /**
   * Called after a workflow's program ended successfully, before the run is COMPLETED: the place
   * to copy `outputDir` to `runOutputUri`, as HealthOmics exports a run's outputs. A throw fails the run.
   */
  exportOutputs?: (run: LocalRun) => Promise<void>;
  /** Every API request, by operation (StartRun, GetRun, ListRuns, CancelRun, ListRunTasks, GetRunTask), for call counting. */
  onRequest?: (operation: EngineOperation) => void;
}

export interface LocalEngine {
  endpoint: string;
  port: number;
  /**
   * Stops the server and every workflow process (their whole process group), and waits for them to
   * exit. Runs in progress stay as they are in the run store: the next engine on the same runsDir
   * resumes or ends them.
   */
  stop(): Promise<void>;
  runs(): LocalRun[];
}

/** The failure reason of a run a restarted engine could not carry on. */
export const ENGINE_RESTARTED = 'engine restarted';
