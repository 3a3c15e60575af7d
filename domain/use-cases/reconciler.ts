import { describeError } from '../errors.js';
import { effectiveStatus, type Launch, type LaunchStatus } from '../launch.js';
import { confirmStatus, type RunObservation, recordSubmission, requeue } from '../launch-transitions.js';
import type { InvalidItem, RunDetails } from '../ports.js';
import { attemptFromTags, RUN_TAGS } from '../run-request.js';
import { applyObservation, type ObservationDeps } from './apply-observation.js';
import { type LauncherDeps, startLaunch } from './launcher.js';
import type { Pacer } from './pace.js';
import { type Persisted, persistTransition } from './persist.js';

/**
 * The statuses the reconciler sweeps, in the order it sweeps them: what keeps a launch from ever
 * starting first, long runs last, so a backlog of long RUNNING launches cannot crowd out a crash
 * left in SUBMITTING.
 */
export const RECONCILED_STATUSES = [
  'SUBMITTING',
  'QUEUED',
  'THROTTLED',
  'SUBMITTED',
  'PENDING',
  'STARTING',
  'STOPPING',
  'RUNNING',
] as const satisfies readonly LaunchStatus[];
export type ReconciledStatus = (typeof RECONCILED_STATUSES)[number];

/** How long a launch may stay in a status without an update before the reconciler looks at it. */
export type StaleThresholds = Record<ReconciledStatus, number>;

const MINUTE = 60_000;

export interface ReconcilerDeps extends ObservationDeps {
  /** Every engine read (GetRun, ListRuns) takes a token: the reconciler stays under the 10 TPS quota. */
  engineReads: Pacer;
  /** Sends StartRun again for a launch a crash left in SUBMITTING (same requestId: no second run). */
  launcher: LauncherDeps;
  staleAfterMs: StaleThresholds;
  /** Launches handled per invocation, so a huge backlog cannot time the function out. */
  maxLaunches: number;
}

export type ReconcileAction = 'status' | 'unknown-run' | 'requeued' | 'recovered' | 'resubmitted';

export interface ReconcileChange {
  batchId: string;
  launchId: string;
  runId?: string;
  action: ReconcileAction;
  from: LaunchStatus;
  to: LaunchStatus;
}

export interface ReconcileReport {
  /** Stale launches looked at. */
  checked: number;
  /** Launches the reconciler repaired: each one is an event, a stream record or a write that was lost. */
  repairs: number;
  /**
   * Waiting launches rewritten so the launcher is told again. Counted apart from repairs: behind a
   * large batch paced at the StartRun rate, a launch waits for hours without anything being lost.
   */
  requeued: number;
  /** Runs the engine no longer knows (retention removed them): their launches end DELETED. */
  unknownRuns: number;
  /** Launches left in SUBMITTING by a crash for which StartRun was sent again. */
  resubmitted: number;
  /** Stale launches beyond this invocation's bound (counted up to LEFT_COUNT_LIMIT). */
  leftForNextRun: number;
  byStatus: Partial<Record<ReconciledStatus, number>>;
  changes: ReconcileChange[];
  /** Launches that could not be reconciled this time (an engine or table fault); the next run tries again. */
  errors: Array<{ batchId: string; launchId: string; message: string }>;
  /** Items a console edit made unreadable: skipped (the repository noted what is wrong on each). */
  unreadable: InvalidItem[];
}

const PAGE = 100;
// Counting what is left is reads only, but a backlog of millions must not time the function out either.
const LEFT_COUNT_LIMIT = 10_000;

/**
 * Finds launches that stopped moving (no update for longer than their status' threshold) through
 * the status index, asks the engine about each and applies the answer through the same code as
 * the tracker. Safe to run concurrently with itself, the launcher and the tracker: every
 * write is conditional and StartRun is idempotent per attempt.
 */
export async function reconcile(deps: ReconcilerDeps): Promise<ReconcileReport> {
  const report: ReconcileReport = {
    checked: 0,
    repairs: 0,
    requeued: 0,
    unknownRuns: 0,
    resubmitted: 0,
    leftForNextRun: 0,
    byStatus: {},
    changes: [],
    errors: [],
    unreadable: [],
  };
  const started = deps.now();
  for (const status of RECONCILED_STATUSES) {
    const to = new Date(started.getTime() - deps.staleAfterMs[status]).toISOString();
    let cursor: string | undefined;
    do {
      const budget = deps.maxLaunches - report.checked;
      if (budget <= 0) {
        report.leftForNextRun += await countLeft(deps, status, to, cursor, report.leftForNextRun);
        break;
      }
      const page = await deps.launches.listByStatus(
        status,
        { to },
        { limit: Math.min(PAGE, budget), cursor },
      );
      report.unreadable.push(...(page.skipped ?? []));
      for (const launch of page.items) {
        report.checked++;
        report.byStatus[status] = (report.byStatus[status] ?? 0) + 1;
        try {
          const change = await reconcileLaunch(deps, launch);
          if (change) record(report, change);
        } catch (error) {
          const message = describeError(error);
          report.errors.push({ batchId: launch.batchId, launchId: launch.launchId, message });
        }
      }
      cursor = page.cursor;
    } while (cursor);
  }
  return report;
}

function record(report: ReconcileReport, change: ReconcileChange): void {
  report.changes.push(change);
  if (change.action === 'requeued') report.requeued++;
  else report.repairs++;
  if (change.action === 'unknown-run') report.unknownRuns++;
  if (change.action === 'resubmitted') report.resubmitted++;
}

async function countLeft(
  deps: ReconcilerDeps,
  status: LaunchStatus,
  to: string,
  from: string | undefined,
  countedSoFar: number,
): Promise<number> {
  let left = 0;
  let cursor = from;
  let first = true;
  while ((first || cursor) && countedSoFar + left < LEFT_COUNT_LIMIT) {
    first = false;
    const page = await deps.launches.listByStatus(status, { to }, { limit: 1_000, cursor });
    left += page.items.length;
    cursor = page.cursor;
  }
  return Math.min(left, LEFT_COUNT_LIMIT - countedSoFar);
}

async function reconcileLaunch(deps: ReconcilerDeps, launch: Launch): Promise<ReconcileChange | undefined> {
  const now = deps.now();
  // What gwm recorded: a status typed over it is put back by the write this makes.
  switch (effectiveStatus(launch)) {
    case 'QUEUED':
    case 'THROTTLED': {
      // Launches of a batch still being registered wait for it, not for a launcher: the
      // registration's resume finishes it, and the launcher's gate lets them go after the flip.
      if (!(await deps.launcher.registration.isRegistered(launch.batchId))) return undefined;
      const minutes = Math.round((now.getTime() - Date.parse(launch.updatedAt)) / MINUTE);
      const reason =
        `no launcher picked it up for ${minutes} minutes (its stream record may have been lost); ` +
        'rewritten so the launcher is told again.';
      const saved = await persistTransition(deps.launches, launch, (current) =>
        requeue(current, reason, deps.now()),
      );
      return changeOf(saved, 'requeued');
    }
    case 'SUBMITTING':
      // A live claim means a launcher is still at work on it.
      if (launch.claimExpiresAt && launch.claimExpiresAt > now.toISOString()) return undefined;
      if (launch.runId) return checkRun(deps, launch);
      return recoverSubmission(deps, launch);
    default:
      if (launch.runId) return checkRun(deps, launch);
      return undefined;
  }
}

/** Asks the engine for the launch's run and applies its answer like an event. */
async function checkRun(deps: ReconcilerDeps, launch: Launch): Promise<ReconcileChange | undefined> {
  const runId = launch.runId ?? '';
  await deps.engineReads.acquire();
  const details = await deps.engine.getRun(runId);
  if (!details || !isRunOf(launch, details)) {
    // Run ids are reused after a deletion: a different run under our id means ours is gone too.
    const observation: RunObservation = {
      runId,
      status: 'DELETED',
      at: deps.now().toISOString(),
      source: 'reconciler',
      failureReason:
        `Run ${runId} is no longer known to HealthOmics (removed by run retention, or deleted); ` +
        `its last known status was ${launch.status}.`,
    };
    return changeOf(await applyObservation(deps, launch, observation), 'unknown-run');
  }
  const applied = await applyObservation(deps, launch, observationOf(deps, details), details);
  if (applied.kind === 'ignored' && applied.reason === 'duplicate') {
    await persistTransition(deps.launches, applied.launch, (current) =>
      confirmStatus(current, details.status, deps.now()),
    );
    return undefined;
  }
  return changeOf(applied, 'status');
}

/**
 * A crash between StartRun and the write of its answer leaves a launch SUBMITTING without a run id.
 * The run may exist: find it by name and tags. If not, StartRun is sent again with the attempt's
 * requestId, which the engine answers with the run it already made, if it made one.
 */
async function recoverSubmission(deps: ReconcilerDeps, launch: Launch): Promise<ReconcileChange | undefined> {
  const run = launch.runName ? await findRunByName(deps, launch, launch.runName) : undefined;
  if (run) {
    const submitted = await persistTransition(deps.launches, launch, (current) =>
      recordSubmission(current, run, deps.now()),
    );
    if (submitted.kind !== 'changed') return changeOf(submitted, 'recovered');
    const applied = await applyObservation(deps, submitted.next, observationOf(deps, run), run);
    const last = applied.kind === 'changed' ? applied.next : submitted.next;
    return { ...ids(last), action: 'recovered', from: launch.status, to: last.status };
  }
  // The reconciler's clock decides whether the claim expired, as it did when it chose this launch.
  const outcome = await startLaunch(
    { ...deps.launcher, now: deps.now },
    { batchId: launch.batchId, launchId: launch.launchId },
  );
  if (outcome.kind === 'skipped' || outcome.kind === 'retry-refused') return undefined;
  // A person's edit met on the way (a cancel, a typo put back) is a repair too, not a resubmission.
  const resubmitted =
    outcome.kind === 'started' || outcome.kind === 'deferred' || outcome.kind === 'launch-failed';
  return {
    ...ids(outcome.launch),
    action: resubmitted ? 'resubmitted' : 'status',
    from: launch.status,
    to: outcome.launch.status,
  };
}

async function findRunByName(
  deps: ReconcilerDeps,
  launch: Launch,
  name: string,
): Promise<RunDetails | undefined> {
  await deps.engineReads.acquire();
  const candidates = await deps.engine.listRunsByName(name);
  for (const candidate of candidates) {
    await deps.engineReads.acquire();
    const details = await deps.engine.getRun(candidate.runId);
    // Another batch with the same name has runs with the same names: only the tags are ours alone.
    if (
      details &&
      details.tags[RUN_TAGS.launchId] === launch.launchId &&
      attemptFromTags(details.tags) === launch.attempt
    ) {
      return details;
    }
  }
  return undefined;
}

function isRunOf(launch: Launch, run: RunDetails): boolean {
  if (launch.runUuid && run.runUuid && launch.runUuid !== run.runUuid) return false;
  const taggedLaunch = run.tags[RUN_TAGS.launchId];
  return taggedLaunch === undefined || taggedLaunch === launch.launchId;
}

function observationOf(deps: ReconcilerDeps, run: RunDetails): RunObservation {
  return {
    runId: run.runId,
    runUuid: run.runUuid,
    runArn: run.runArn,
    status: run.status,
    // GetRun tells the status, not when it was reached: the time of asking is the best known.
    at: deps.now().toISOString(),
    source: 'reconciler',
    attempt: attemptFromTags(run.tags),
    runOutputUri: run.runOutputUri,
    failureReason: run.failureReason,
    statusMessage: run.statusMessage,
  };
}

function changeOf(saved: Persisted, action: ReconcileAction): ReconcileChange | undefined {
  if (saved.kind !== 'changed') return undefined;
  return { ...ids(saved.next), action, from: saved.previous.status, to: saved.next.status };
}

function ids(launch: Launch) {
  return { batchId: launch.batchId, launchId: launch.launchId, runId: launch.runId };
}
