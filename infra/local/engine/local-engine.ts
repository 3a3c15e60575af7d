import { randomUUID } from 'node:crypto';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../../domain/errors.js';
import { clip } from '../../../domain/text.js';
import { isSameProcess, terminate } from '../process-ownership.js';
import { ApiError, optionalString, parseStartRun, startEngineApi } from './engine-api.js';
import { exportToRunCache } from './run-cache.js';
import { writeRunManifest } from './run-storage.js';
import { fromStored, openRunStore, type StoredRun, TERMINAL_STATUSES, toStored } from './run-store.js';
import { processTasks, type RunEnd, readTaskReport, simulatedTasks, TASKS_FILE } from './run-tasks.js';
import {
  type FinishDetails,
  MAX_REASON_LENGTH,
  planSimulation,
  type RunnerHooks,
  type RunState,
  runProcess,
  runSimulated,
  signalProcess,
  stopProcess,
} from './runners.js';
import {
  ENGINE_RESTARTED,
  type LocalEngine,
  type LocalEngineOptions,
  type LocalRun,
  type LocalRunStatus,
  type LocalTask,
  type RunStatusChangeEvent,
} from './types.js';

/**
 * A configuration for the real `OmicsClient` that talks to the local engine. The host prefix
 * (`workflows-`) must be off, or the SDK would send requests to `workflows-127.0.0.1`; one attempt
 * because gwm paces and retries StartRun itself.
 */
export function localOmicsClientConfig(endpoint: string) {
  return {
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
    disableHostPrefix: true,
    maxAttempts: 1,
  };
}

const FIRST_RUN_ID = 1_000_001;

/**
 * The local HealthOmics: runs are kept in a run store in the runs folder, so an engine started
 * again on the same folder knows every run and requestId, carries simulated runs on where their
 * timetable says, ends runs whose program it lost FAILED ("engine restarted") with their events,
 * and sends again the last status of runs whose event an engine killed mid-way may not have sent.
 */
export async function startLocalEngine(options: LocalEngineOptions): Promise<LocalEngine> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '123456789012';
  await mkdir(options.runsDir, { recursive: true });
  const store = await openRunStore(options.runsDir);
  // Runs of an earlier engine keep their folders (and gwm keeps their ids): numbering continues
  // after them so a new run never reuses an id or overwrites old outputs.
  let nextRunId = await firstFreeRunId(options.runsDir, store.loaded);
  const runs = new Map<string, RunState>();
  const byRequestId = new Map<string, { run: RunState; saved: Promise<void> }>();
  const recentStarts: number[] = [];
  let stopping = false;

  for (const stored of store.loaded) {
    const run = restore(stored);
    runs.set(run.id, run);
    byRequestId.set(run.requestId, { run, saved: Promise.resolve() });
  }

  function restore(stored: StoredRun): RunState {
    let markFinished = () => {};
    const finished = new Promise<void>((resolve) => {
      markFinished = resolve;
    });
    return {
      ...fromStored(stored),
      workflow: options.workflows[stored.workflowId],
      cancelRequested: stored.cancelRequested,
      abandoned: false,
      plan: stored.plan,
      emitChain: Promise.resolve(),
      finished,
      markFinished,
    };
  }

  function emitStatus(run: RunState, status: LocalRunStatus) {
    // A stopping engine leaves runs as they are in the store: the next one picks them up.
    if (stopping) return;
    run.status = status;
    const stored = toStored(snapshot(run), { cancelRequested: run.cancelRequested, plan: run.plan });
    const event: RunStatusChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Run Status Change',
      source: 'aws.omics',
      account: accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region,
      resources: [run.arn],
      detail: {
        omicsVersion: '1.0.0',
        arn: run.arn,
        status,
        uuid: run.uuid,
        runId: run.id,
        ...(run.name === undefined ? {} : { runName: run.name }),
        runOutputUri: run.runOutputUri,
        workflowId: run.workflowId,
        workflowName: run.workflowName,
      },
    };
    // Saved before it is told: a restarted engine never knows less than gwm was told.
    const saved = store.save(stored);
    run.emitChain = run.emitChain.then(async () => {
      await saved.catch(() => {});
      try {
        await options.emit(event);
      } catch {
        // Like EventBridge, the engine does not undo a run because its event was not delivered:
        // gwm's reconciler finds the state with GetRun.
      }
    });
  }

  function finish(run: RunState, status: LocalRunStatus, details: FinishDetails) {
    if (stopping) return;
    run.stopTime = new Date();
    // A program's tasks were read when it exited; a simulated run's are fixed here, on its timetable.
    if (run.tasks === undefined) {
      const end: RunEnd = {
        at: run.stopTime,
        status: status === 'COMPLETED' || status === 'CANCELLED' ? status : 'FAILED',
        ...(details.failureReason === undefined ? {} : { message: details.failureReason }),
      };
      run.tasks = run.plan?.tasks === undefined ? [] : simulatedTasks(run, run.plan.tasks, end, run.stopTime);
    }
    if (details.failureReason !== undefined) run.failureReason = details.failureReason;
    if (details.statusMessage !== undefined) run.statusMessage = details.statusMessage;
    const peak = run.plan?.storageGiB;
    if (run.storageUse === undefined && peak !== undefined && run.startTime !== undefined) {
      run.storageUse = { averageGiB: peak / 2, maximumGiB: peak };
    }
    run.status = status;
    try {
      writeRunManifest(snapshot(run));
    } catch {
      // A run ends whether or not its manifest could be written: its DYNAMIC storage then goes unpriced.
    }
    try {
      exportToRunCache(snapshot(run), options.runsDir, status);
    } catch {
      // As with HealthOmics, a failed export leaves the run's tasks out of the cache, nothing more.
    }
    emitStatus(run, status);
    void run.emitChain.then(run.markFinished);
  }

  /** Copies the outputs out (when asked to), then COMPLETED; an export that fails fails the run. */
  async function complete(run: RunState) {
    try {
      if (options.exportOutputs && !stopping) await options.exportOutputs(snapshot(run));
    } catch (error) {
      const reason = clip(`Could not export the run's outputs: ${errorMessage(error)}`, MAX_REASON_LENGTH);
      return finish(run, 'FAILED', { failureReason: reason, statusMessage: reason });
    }
    finish(run, 'COMPLETED', {});
  }

  /** The run's process as soon as it exists, so a later engine can stop it if this one is killed. */
  function recordProcess(run: RunState) {
    if (stopping) return;
    store.saveNow(toStored(snapshot(run), { cancelRequested: run.cancelRequested, plan: run.plan }));
  }

  const hooks: RunnerHooks = {
    emitStatus,
    finish,
    complete,
    recordProcess,
    region,
    runsDir: options.runsDir,
  };

  /** The run's tasks as they are now: fixed once it ended, else from its timetable or its program's report. */
  async function tasksOf(run: RunState): Promise<LocalTask[]> {
    if (run.tasks !== undefined) return run.tasks;
    if (run.plan?.tasks !== undefined) return simulatedTasks(run, run.plan.tasks, undefined, new Date());
    const workflow = run.workflow;
    if (workflow === undefined || 'simulate' in workflow) return [];
    const report = await readTaskReport(join(run.runDir, TASKS_FILE));
    return processTasks(run, workflow, report, undefined, region);
  }

  async function launch(run: RunState) {
    emitStatus(run, 'PENDING');
    // A later tick, so the StartRun answer leaves before the run moves on, as with the real service.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (run.abandoned) return;
    if (run.cancelRequested)
      return finish(run, 'CANCELLED', { statusMessage: 'Run cancelled before it started' });
    const workflow = run.workflow;
    if (workflow !== undefined && 'simulate' in workflow) {
      try {
        run.plan = planSimulation(run, workflow, Date.now(), region);
      } catch (error) {
        const reason = clip(`Could not prepare the run: ${errorMessage(error)}`, MAX_REASON_LENGTH);
        return finish(run, 'FAILED', { failureReason: reason, statusMessage: reason });
      }
      emitStatus(run, 'STARTING');
      return runSimulated(run, run.plan, hooks);
    }
    emitStatus(run, 'STARTING');
    if (workflow !== undefined) return runProcess(run, workflow, hooks);
  }

  /**
   * What an earlier engine left in progress: carried on where it can be (not awaited: a simulated
   * run takes its time), ended where it cannot.
   */
  async function recover(run: RunState) {
    if (run.cancelRequested) return finish(run, 'CANCELLED', { statusMessage: 'Run cancelled' });
    const workflow = run.workflow;
    if (workflow !== undefined && 'simulate' in workflow) {
      if (run.status === 'PENDING' || run.plan === undefined) void launch(run);
      else void runSimulated(run, run.plan, hooks);
      return;
    }
    // A program cannot be carried on by another engine: whatever is left of it is stopped. Its
    // pid and argv were saved as it started, so a pid reused by another program is left alone.
    if (run.pid !== undefined && run.argv !== undefined && isSameProcess(run.pid, run.argv)) {
      await terminate(run.pid, { group: true });
    }
    const message = 'The local engine restarted while the run was in progress; the run was stopped';
    if (run.tasks === undefined) {
      // What the program reported before it was lost. When it died is not known: its open tasks
      // end when this engine ends the run.
      const report = await readTaskReport(join(run.runDir, TASKS_FILE)).catch(() => []);
      const end: RunEnd = { at: new Date(), status: 'FAILED', message: ENGINE_RESTARTED };
      run.tasks = processTasks(run, workflow ?? { name: run.workflowName }, report, end, region);
    }
    finish(run, 'FAILED', { failureReason: ENGINE_RESTARTED, statusMessage: message });
  }

  function checkRate() {
    const limit = options.startRunRatePerSecond;
    if (limit === undefined) return;
    const now = Date.now();
    while (recentStarts.length > 0 && (recentStarts[0] ?? now) <= now - 1000) recentStarts.shift();
    if (recentStarts.length >= limit) {
      throw new ApiError('ThrottlingException', 429, 'Rate exceeded for StartRun');
    }
    recentStarts.push(now);
  }

  async function startRun(body: Record<string, unknown>): Promise<LocalRun> {
    checkRate();
    const requestId = optionalString(body, 'requestId') ?? randomUUID();
    const existing = byRequestId.get(requestId);
    if (existing) {
      await existing.saved;
      return snapshot(existing.run);
    }
    const request = parseStartRun(body);
    const workflow = options.workflows[request.workflowId];
    if (!workflow)
      throw new ApiError('ResourceNotFoundException', 404, `Workflow ${request.workflowId} not found`);

    const id = String(nextRunId++);
    const runDir = join(options.runsDir, id);
    let markFinished = () => {};
    const finished = new Promise<void>((resolve) => {
      markFinished = resolve;
    });
    const { outputUri } = request;
    const run: RunState = {
      ...request,
      id,
      arn: `arn:aws:omics:${region}:${accountId}:run/${id}`,
      uuid: randomUUID(),
      requestId,
      status: 'PENDING',
      workflowName: workflow.name,
      runOutputUri: `${outputUri.endsWith('/') ? outputUri : `${outputUri}/`}${id}/`,
      creationTime: new Date(),
      runDir,
      logPath: join(runDir, 'run.log'),
      outputDir: join(runDir, 'out'),
      workflow,
      cancelRequested: false,
      abandoned: false,
      emitChain: Promise.resolve(),
      finished,
      markFinished,
    };
    runs.set(id, run);
    // The run is on disk before anyone hears of it: a StartRun sent again after a restart finds it.
    const saved = (async () => {
      await mkdir(runDir, { recursive: true });
      await store.save(toStored(snapshot(run), { cancelRequested: false }));
    })();
    byRequestId.set(requestId, { run, saved });
    try {
      await saved;
    } catch (error) {
      runs.delete(id);
      byRequestId.delete(requestId);
      throw error;
    }
    void launch(run);
    return snapshot(run);
  }

  function cancelRun(id: string) {
    const run = runs.get(id);
    if (!run) throw new ApiError('ResourceNotFoundException', 404, `Run ${id} not found`);
    if (TERMINAL_STATUSES.has(run.status) || run.cancelRequested) {
      throw new ApiError('ConflictException', 409, `Run ${id} is ${run.status} and cannot be cancelled`);
    }
    run.cancelRequested = true;
    if (run.child) {
      emitStatus(run, 'STOPPING');
      signalProcess(run);
    }
    run.wake?.();
  }

  const api = await startEngineApi({
    port: options.port,
    accountId,
    region,
    onRequest: options.onRequest,
    operations: {
      startRun,
      getRun: (id) => {
        const run = runs.get(id);
        return run && snapshot(run);
      },
      listRuns: () => [...runs.values()].map(snapshot),
      cancelRun,
      listRunTasks: async (id) => {
        const run = runs.get(id);
        return run && structuredClone(await tasksOf(run));
      },
    },
  });

  // On a later tick, so whoever started the engine has wired its events before they flow.
  const recovering = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
    const unconfirmed = [...runs.values()].filter(
      (run) => TERMINAL_STATUSES.has(run.status) && store.unconfirmed.has(run.id),
    );
    for (const run of unconfirmed) {
      emitStatus(run, run.status);
      void run.emitChain.then(run.markFinished);
    }
    await Promise.all(
      [...runs.values()].filter((run) => !TERMINAL_STATUSES.has(run.status)).map((run) => recover(run)),
    );
  });

  let stopped: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${api.port}`,
    port: api.port,
    stop() {
      stopped ??= (async () => {
        await recovering.catch(() => {});
        stopping = true;
        const closed = api.close();
        const inFlight = [...runs.values()].filter((run) => !TERMINAL_STATUSES.has(run.status));
        for (const run of inFlight) {
          run.abandoned = true;
          run.wake?.();
        }
        await Promise.all([closed, ...inFlight.map((run) => stopProcess(run))]);
        // Every status saved so far has been handed to `emit`: the next engine need not send them again.
        await Promise.all([...runs.values()].map((run) => run.emitChain));
        await store.close();
      })();
      return stopped;
    },
    runs() {
      return [...runs.values()].map(snapshot);
    },
  };
}

function snapshot(run: RunState): LocalRun {
  const {
    workflow: _workflow,
    child: _child,
    wake: _wake,
    cancelRequested: _cancel,
    abandoned: _abandoned,
    plan: _plan,
    emitChain: _chain,
    finished: _finished,
    markFinished: _mark,
    ...rest
  } = run;
  return structuredClone(rest);
}

async function firstFreeRunId(runsDir: string, stored: readonly StoredRun[]): Promise<number> {
  const names = await readdir(runsDir);
  const used = [
    ...names.filter((name) => /^\d{7}$/.test(name)).map(Number),
    ...stored.map((run) => Number(run.id)),
  ];
  return Math.max(FIRST_RUN_ID, ...used.map((id) => id + 1));
}
