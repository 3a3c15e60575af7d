import { batchRecountOf, completionOf, notificationResumeOf } from '../dependencies/aggregator.js';
import { type Base, makeBase, type Overrides } from '../dependencies/base.js';
import { costCollectorOf } from '../dependencies/cost-collector.js';
import { intakeOf, registrationResumeOf } from '../dependencies/intake.js';
import { launcherOf, schedulerOf } from '../dependencies/launcher.js';
import { manifestsOf, restoresOf } from '../dependencies/objects.js';
import { reconcilerOf, waitingOf } from '../dependencies/reconciler.js';
import { restoreSweepOf, restoreTrackerOf } from '../dependencies/restore-tracker.js';
import { trackerOf } from '../dependencies/tracker.js';
import type { Config } from './config.js';

export type { Overrides } from '../dependencies/base.js';

/**
 * Every function's dependencies on one base, sharing the table layer, the clients and the pacers:
 * the embedded runtime and the tests run all the handlers in one process. A Lambda entry point
 * wires only its own function's (functions/dependencies/<function>.ts), so its bundle holds only
 * the clients its handler uses.
 */
export function buildDependencies(config: Config, overrides: Overrides = {}) {
  const base: Base = makeBase(config, overrides);
  return {
    entities: base.entities,
    launches: base.launches,
    batches: base.batches,
    profiles: base.profiles,
    teams: base.teams,
    intake: intakeOf(base),
    launcher: launcherOf(base),
    scheduler: schedulerOf(base),
    tracker: trackerOf(base),
    reconciler: reconcilerOf(base),
    completion: completionOf(base),
    notificationResume: notificationResumeOf(base),
    batchRecount: batchRecountOf(base),
    registrationResume: registrationResumeOf(base),
    manifests: manifestsOf(base),
    /** Built on first call: only the cost collector reads the price list. */
    costCollector: () => costCollectorOf(base),
    restores: restoresOf(base),
    restoreTracker: restoreTrackerOf(base),
    restoreSweep: restoreSweepOf(base),
    waiting: waitingOf(base),
  };
}
