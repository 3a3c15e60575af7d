import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LAUNCH_STATUSES, RETRYABLE_STATUSES, TERMINAL_STATUSES } from '../../domain/launch.js';
import { seededUnit } from '../../infra/local/faults.js';
import { isZombie } from '../../infra/local/process-ownership.js';
import { type Clients, consoleEdit, makeClients, upload, uploadInputs } from './clients.js';
import { chaosFiles, type StackProcessInput } from './files.js';
import { type ConsoleEdit, checkInvariants, type InvariantResult } from './invariants.js';
import { readBatchNotices, readDeadLetters, readFaultLines, readRunEvents } from './observe.js';
import { type ChaosPlan, retryDecision } from './plan.js';
import {
  findLeftovers,
  killLeftovers,
  killStack,
  type Leftover,
  type StackProcess,
  startStackProcess,
  stopStack,
  whileFrozen,
} from './supervisor.js';

/** One chaos run: the stack in a child process, the workload and console edits, kill -9, the verdict. */

export interface RunOptions {
  plan: ChaosPlan;
  /** gwm settings for the stack, over the harness's (e.g. a time-scale setting). */
  settings: Record<string, string>;
  timeoutMs: number;
  reconcileEveryMs: number;
  /** Keep the state folder (for a look afterwards) instead of deleting it. */
  keepState: boolean;
  progress: (line: string) => void;
}

export interface HarnessEvent {
  at: string;
  kind: string;
  target: string;
  detail?: string;
}

export interface ChaosReport {
  seed: string;
  plan: { samples: number; batches: number; kills: number[]; timedEdits: number };
  faults: Array<{ kind: string; target: string; occurrence?: number; detail?: string; life?: number }>;
  faultCounts: Record<string, number>;
  invariants: InvariantResult[];
  violations: number;
  timedOut: boolean;
  cancelSupported: boolean;
  wallMs: number;
  stateDir?: string;
}

/** Whether the code under test accepts CANCEL in the console (a launch status it knows). */
export const CANCEL_SUPPORTED = (LAUNCH_STATUSES as readonly string[]).includes('CANCEL');

const POLL_MS = 1500;
const TERMINAL_BATCH = new Set(['COMPLETED', 'COMPLETED_WITH_FAILURES', 'FAILED', 'REJECTED']);

export async function runChaos(options: RunOptions): Promise<ChaosReport> {
  const { plan, progress } = options;
  const startedAt = Date.now();
  const stateDir = await mkdtemp(join(tmpdir(), 'gwm-chaos-'));
  const files = chaosFiles(stateDir);
  await mkdir(files.dir, { recursive: true });
  const input: StackProcessInput = {
    plan,
    settings: options.settings,
    reconcileEveryMs: options.reconcileEveryMs,
  };
  await writeFile(files.plan, JSON.stringify(input));

  const harness: HarnessEvent[] = [];
  const record = (kind: string, target: string, detail?: string) => {
    harness.push({ at: new Date().toISOString(), kind, target, ...(detail ? { detail } : {}) });
    progress(`  fault ${kind} ${target}${detail ? `: ${detail}` : ''}`);
  };
  const edits: ConsoleEdit[] = [];
  const leftovers: Leftover[] = [];
  let stackStops = 0;
  let stack: StackProcess | undefined;
  let clients: Clients | undefined;
  let timedOut = false;
  let invariants: InvariantResult[] = [];

  /**
   * A restart on the same state folder. If what the killed stack left running keeps it from
   * starting, that is reported, the leftovers are ended (by pid) and the restart is tried again,
   * so the rest of the run can still be judged.
   */
  const restart = async (life: number): Promise<StackProcess> => {
    try {
      return await startStackProcess(stateDir, life);
    } catch (error) {
      const blocking = await findLeftovers(stateDir);
      if (blocking.length === 0) throw error;
      const reason = (error as Error).message.split('\n')[0] ?? '';
      restartFailures.push(
        `life ${life} did not start while ${blocking.length} process(es) of a killed stack ran: ${reason}`,
      );
      progress(`  restart failed (${reason}); ending the leftovers and trying again`);
      for (const left of blocking) if (!leftovers.some((l) => l.pid === left.pid)) leftovers.push(left);
      killLeftovers(blocking);
      await sleep(1000);
      return startStackProcess(stateDir, life);
    }
  };
  const restartFailures: string[] = [];

  try {
    stack = await startStackProcess(stateDir, 0);
    clients = makeClients(stack.endpoints);
    const inputs = await uploadInputs(clients, plan.batches);
    progress(
      `stack up (life 0), ${inputs} input objects uploaded: ${plan.batches.length} batches, ${plan.batches.reduce((n, b) => n + b.sampleIds.length, 0)} samples, seed ${plan.seed}`,
    );
    const workStart = Date.now();
    const deadline = workStart + options.timeoutMs;
    const uploaded = new Set<number>();
    const reuploaded = new Set<string>();
    const retryPlans = new Map<string, { dueAt: number; attempt: number }>();
    const retryDecided = new Set<string>();
    const cancelled = new Set<string>();
    let nextKill = 0;
    let nextEdit = 0;
    let lastReuploadAt = 0;
    let registeredAt: number | undefined;
    let stableSince: string | undefined;

    for (;;) {
      const t = Date.now() - workStart;
      for (const batch of plan.batches) {
        if (uploaded.has(batch.index) || t < batch.uploadAtMs) continue;
        await upload(clients, batch);
        uploaded.add(batch.index);
      }
      const killAt = plan.kills[nextKill];
      if (killAt !== undefined && registeredAt !== undefined && Date.now() - registeredAt >= killAt) {
        nextKill += 1;
        record('kill-9', `stack life ${stack.life}`, `at ${Math.round(t / 1000)} s`);
        clients.destroy();
        const killed = stack;
        stack = undefined;
        await killStack(killed);
        stackStops += 1;
        // Processes a killed stack leaves may live on until the next stack on the state folder
        // starts: that stack must find and stop them. Whatever is still alive after it started is a
        // violation.
        const orphans = await findLeftovers(stateDir);
        stack = await restart(killed.life + 1);
        for (const left of orphans.filter((orphan) => isRunning(orphan.pid))) {
          if (leftovers.some((l) => l.pid === left.pid)) continue;
          leftovers.push(left);
          progress(`  left running after the restart: pid ${left.pid} ${left.command.slice(0, 120)}`);
        }
        clients = makeClients(stack.endpoints);
        progress(`stack restarted (life ${stack.life})`);
        continue;
      }

      let snapshot: Awaited<ReturnType<Clients['observer']['table']>>;
      try {
        snapshot = await clients.observer.table();
      } catch (error) {
        progress(`  could not read the table: ${(error as Error).message}`);
        await sleep(POLL_MS);
        continue;
      }
      const launchById = new Map(snapshot.launches.map((l) => [l.launchId, l]));
      // A registration that never finishes must not spare the run its kill: 30 s after the uploads, it counts as started.
      const lastUploadMs = Math.max(...plan.batches.map((b) => b.uploadAtMs));
      if (
        registeredAt === undefined &&
        ((snapshot.batches.length >= plan.batches.length &&
          snapshot.batches.every((b) => b.status !== 'REGISTERING')) ||
          t > lastUploadMs + 30_000)
      )
        registeredAt = Date.now();

      // Console RETRY of launches that ended badly, as a person would do once they notice.
      for (const launch of snapshot.launches) {
        if (!RETRYABLE_STATUSES.has(launch.status as never) || cancelled.has(launch.launchId)) continue;
        const key = `${launch.launchId}#${launch.attempt}`;
        if (retryDecided.has(key) || Number(launch.attempt) >= 3) continue;
        retryDecided.add(key);
        const decision = retryDecision(plan, launch.launchId, Number(launch.attempt));
        if (decision.retry)
          retryPlans.set(launch.launchId, {
            dueAt: Date.now() + decision.delayMs,
            attempt: Number(launch.attempt),
          });
      }
      for (const [launchId, due] of [...retryPlans]) {
        if (Date.now() < due.dueAt) continue;
        retryPlans.delete(launchId);
        const launch = launchById.get(launchId);
        if (
          !launch ||
          Number(launch.attempt) !== due.attempt ||
          !RETRYABLE_STATUSES.has(launch.status as never)
        )
          continue;
        await consoleEdit(clients, launch, 'RETRY');
        edits.push({
          at: new Date().toISOString(),
          launchId,
          kind: 'retry',
          value: 'RETRY',
          statusBefore: launch.status,
          attemptBefore: due.attempt,
        });
        record('console-retry', launchId, `${launch.status} at attempt ${due.attempt}`);
      }

      // Typos and CANCEL at their planned moments.
      while (nextEdit < plan.timedEdits.length && (plan.timedEdits[nextEdit]?.atMs ?? Infinity) <= t) {
        const edit = plan.timedEdits[nextEdit++];
        if (!edit) continue;
        const batch = snapshot.batches.find((b) => b.name === plan.batches[edit.batchIndex]?.name);
        const launch = batch && launchById.get(`${batch.batchId}/${edit.sampleId}`);
        if (!launch) {
          record(
            `console-${edit.kind}-skipped`,
            `${plan.batches[edit.batchIndex]?.name}/${edit.sampleId}`,
            'not registered yet',
          );
          continue;
        }
        // A typo on a failed launch could be read as a retry; typos go to launches that cannot be retried.
        if (edit.kind === 'typo' && RETRYABLE_STATUSES.has(launch.status as never)) {
          record('console-typo-skipped', launch.launchId, `launch is ${launch.status}`);
          continue;
        }
        if (edit.kind === 'cancel' && TERMINAL_STATUSES.has(launch.status as never)) {
          record('console-cancel-skipped', launch.launchId, `launch is ${launch.status}`);
          continue;
        }
        await consoleEdit(clients, launch, edit.value);
        if (edit.kind === 'cancel') cancelled.add(launch.launchId);
        edits.push({
          at: new Date().toISOString(),
          launchId: launch.launchId,
          kind: edit.kind,
          value: edit.value,
          statusBefore: launch.status,
          attemptBefore: Number(launch.attempt),
        });
        record(
          `console-${edit.kind}`,
          launch.launchId,
          `${JSON.stringify(edit.value)} on a ${launch.status} launch`,
        );
      }

      // The identical manifest again once its batch finished: a late S3 event for a finished batch.
      for (const batchPlan of plan.batches) {
        const batch = snapshot.batches.find((b) => b.name === batchPlan.name);
        if (!batch || reuploaded.has(batchPlan.name) || !finished(batch)) continue;
        reuploaded.add(batchPlan.name);
        if (seededUnit(plan.seed, 'reupload', batchPlan.name) >= plan.faults.reuploadAfterFinish) continue;
        await upload(clients, batchPlan);
        lastReuploadAt = Date.now();
        record(
          's3-late-after-finish',
          batchPlan.key,
          `identical bytes uploaded again once batch ${batch.batchId} was ${batch.status}`,
        );
      }

      const allUploaded = uploaded.size === plan.batches.length;
      const quiet =
        allUploaded &&
        nextKill >= plan.kills.length &&
        nextEdit >= plan.timedEdits.length &&
        retryPlans.size === 0 &&
        Date.now() - lastReuploadAt > 5_000 &&
        snapshot.batches.length >= plan.batches.length &&
        snapshot.batches.every(finished) &&
        snapshot.launches.every((l) => TERMINAL_STATUSES.has(l.status as never) && !needsRetryDecision(l));
      if (quiet) {
        const mark =
          JSON.stringify(snapshot.launches.map((l) => [l.launchId, l.status, l.attempt]).sort()) +
          JSON.stringify(
            snapshot.batches.map((b) => [b.batchId, b.status, b.round, b.notificationState]).sort(),
          );
        if (stableSince === mark) break;
        stableSince = mark;
        await sleep(3_000);
        continue;
      }
      stableSince = undefined;
      if (Date.now() > deadline) {
        timedOut = true;
        progress(`timed out after ${Math.round(options.timeoutMs / 1000)} s: judging the state as it is`);
        break;
      }
      if ((Date.now() - workStart) % 10_000 < POLL_MS) {
        const done = snapshot.launches.filter((l) => TERMINAL_STATUSES.has(l.status as never)).length;
        progress(
          `${Math.round((Date.now() - workStart) / 1000)} s: ${done}/${snapshot.launches.length} launches terminal, batches ${snapshot.batches.map((b) => b.status).join(' ')}`,
        );
      }
      await sleep(POLL_MS);
    }

    function needsRetryDecision(launch: { launchId: string; status: string; attempt: number }) {
      return (
        RETRYABLE_STATUSES.has(launch.status as never) &&
        !cancelled.has(launch.launchId) &&
        Number(launch.attempt) < 3 &&
        !retryDecided.has(`${launch.launchId}#${launch.attempt}`)
      );
    }

    // The engine answers from the stack's process: asked before the table is read with it frozen.
    const engineRuns = await clients.observer.engineRuns();
    const observer = clients.observer;
    const table = stack ? await whileFrozen(stack, () => observer.table()) : await observer.table();
    invariants = checkInvariants({
      plan,
      table,
      engineRuns,
      runEvents: await readRunEvents(stateDir),
      notices: await readBatchNotices(stateDir),
      deadLetters: await readDeadLetters(stateDir),
      edits,
      leftovers,
      restartFailures,
      stackStops: stackStops + 1,
    });
  } finally {
    clients?.destroy();
    if (stack) {
      const how = await stopStack(stack);
      if (how === 'killed') progress('the stack did not stop within 30 s: killed');
    }
    const known = new Set(leftovers.map((left) => left.pid));
    const after = (await findLeftovers(stateDir)).filter((left) => !known.has(left.pid));
    for (const left of after)
      progress(`  left running by the stopped stack: pid ${left.pid} ${left.command.slice(0, 120)}`);
    killLeftovers([...leftovers, ...after]);
    if (after.length > 0) {
      const judged = invariants.find((r) => r.name === 'nothing-outlives-the-stack');
      for (const left of after)
        judged?.violations.push({
          invariant: 'nothing-outlives-the-stack',
          subject: `pid ${left.pid}`,
          detail: `after the stack's own stop: ${left.command}`,
        });
    }
  }

  const stackFaults = await readFaultLines(stateDir);
  const faults = [
    ...stackFaults.map(({ at: _at, ...fault }) => fault),
    ...harness.map(({ at: _at, ...event }) => event),
  ];
  const faultCounts: Record<string, number> = {};
  for (const fault of faults) faultCounts[fault.kind] = (faultCounts[fault.kind] ?? 0) + 1;
  if (!options.keepState) await rm(stateDir, { recursive: true, force: true });
  return {
    seed: plan.seed,
    plan: {
      samples: plan.batches.reduce((n, b) => n + b.sampleIds.length, 0),
      batches: plan.batches.length,
      kills: plan.kills,
      timedEdits: plan.timedEdits.length,
    },
    faults,
    faultCounts,
    invariants,
    violations: invariants.reduce((n, r) => n + r.violations.length, 0),
    timedOut,
    cancelSupported: CANCEL_SUPPORTED,
    wallMs: Date.now() - startedAt,
    ...(options.keepState ? { stateDir } : {}),
  };
}

function finished(batch: {
  status: string;
  round: number;
  notifiedRound?: number;
  notificationState?: string;
}) {
  return (
    TERMINAL_BATCH.has(batch.status) &&
    (batch.status === 'REJECTED' ||
      (Number(batch.notifiedRound ?? 0) >= Number(batch.round) && batch.notificationState === 'SENT'))
  );
}

/** Still running: a process that has exited and waits to be reaped (a zombie) is not. */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !isZombie(pid);
}
