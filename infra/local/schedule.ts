import { randomUUID } from 'node:crypto';
import type { buildDependencies } from '../../functions/adapters/dependencies.js';
import { makeAggregatorSweep } from '../../functions/aggregator-sweep.js';
import { makeIntakeSweep } from '../../functions/intake-sweep.js';
import { makeReconcilerHandler } from '../../functions/reconciler.js';
import { makeRestoreTrackerSweep } from '../../functions/restore-tracker-sweep.js';
import { runScheduledRepairs, type ScheduledRepairs } from '../../functions/scheduled-repairs.js';
import type { LocalLog } from './local-log.js';
import type { JournaledHandler } from './metrics-journal.js';
import { scheduledEvent } from './stack-resources.js';

type Dependencies = ReturnType<typeof buildDependencies>;

/**
 * The schedule's tick on the embedded runtime: the reconciler, then the sweeps of the intake, the
 * restore tracker and the aggregator, each journaled as its function. What a tick
 * repaired is logged.
 */
export function makeLocalScheduledRepairs(
  deps: Dependencies,
  journaled: JournaledHandler,
  log: LocalLog,
): () => Promise<void> {
  const repairs = scheduledRepairsOf(deps, journaled);
  return async () => {
    const report = await runScheduledRepairs(repairs, scheduledEvent());
    if (report.repairs > 0) log('info', 'reconciler repaired launches', { repairs: report.repairs });
    const { resent } = report.notifications;
    if (resent.length > 0) log('info', 'batch notifications sent again', { batches: resent });
    const { resumed, unresumable } = report.registrations;
    if (resumed.length > 0) {
      log('info', 'registrations the intake left were finished', {
        batches: resumed.map((registration) => registration.batchId),
      });
    }
    for (const stuck of unresumable) {
      log('warn', `registration of ${stuck.sourceUri} cannot be resumed; upload it again`, { ...stuck });
    }
  };
}

/**
 * Runs the tick every `everyMs` (0: never), one at a time: a tick due while the last still runs is
 * skipped, as the reconciler's reserved concurrency of 1 does on AWS. Returns what stops it.
 */
export function startSchedule(
  tick: () => Promise<void>,
  everyMs: number,
  log: LocalLog,
): () => Promise<void> {
  if (everyMs <= 0) return async () => {};
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    tick()
      .catch((error: Error) => log('warn', 'reconciler run failed', { error: error.message }))
      .finally(() => {
        running = false;
      });
  }, everyMs);
  timer.unref();
  return async () => clearInterval(timer);
}

/**
 * The reconciler and the sweeps of the intake, the restore tracker and the aggregator, each with
 * the telemetry `journaled` gives its function: what a tick runs, on the embedded runtime and in
 * the tests.
 */
export function scheduledRepairsOf(
  deps: Pick<
    Dependencies,
    | 'reconciler'
    | 'waiting'
    | 'intake'
    | 'manifests'
    | 'registrationResume'
    | 'restoreSweep'
    | 'completion'
    | 'notificationResume'
    | 'batchRecount'
  >,
  journaled: JournaledHandler,
): ScheduledRepairs {
  return {
    reconciler: journaled('reconciler', (telemetry) =>
      makeReconcilerHandler({ reconciler: deps.reconciler, waiting: deps.waiting, telemetry }),
    ),
    intakeSweep: journaled('intake', (telemetry) =>
      makeIntakeSweep({
        registrations: {
          intake: deps.intake,
          manifests: deps.manifests,
          newOwner: randomUUID,
          options: deps.registrationResume,
        },
        telemetry,
      }),
    ),
    restoreTrackerSweep: journaled('restoreTracker', (telemetry) =>
      makeRestoreTrackerSweep({ restores: deps.restoreSweep, telemetry }),
    ),
    aggregatorSweep: journaled('aggregator', (telemetry) =>
      makeAggregatorSweep({
        completion: deps.completion,
        notificationResume: deps.notificationResume,
        batchRecount: deps.batchRecount,
        telemetry,
      }),
    ),
  };
}
