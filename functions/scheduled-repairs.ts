import type { ScheduledEvent } from 'aws-lambda';
import type { AggregatorSweepResult } from './aggregator-sweep.js';
import type { IntakeSweepResult } from './intake-sweep.js';
import type { ReconcilerResult } from './reconciler.js';
import type { RestoreTrackerSweepResult } from './restore-tracker-sweep.js';

type Sweep<R> = (event: ScheduledEvent) => Promise<R>;

/** The scheduled repairs, each run by the function that owns what it repairs. */
export interface ScheduledRepairs {
  /** The reconciler function: launches that stopped moving, and launches waiting. */
  reconciler: Sweep<ReconcilerResult>;
  /** The intake function: stopped registrations, held batches a person settled. */
  intakeSweep: Sweep<IntakeSweepResult>;
  /** The restore tracker function: restores whose events were lost or late. */
  restoreTrackerSweep: Sweep<RestoreTrackerSweepResult>;
  /** The aggregator function: interrupted notifications, quiet batches. */
  aggregatorSweep: Sweep<AggregatorSweepResult>;
}

export type ScheduledRepairsReport = ReconcilerResult &
  IntakeSweepResult &
  RestoreTrackerSweepResult &
  AggregatorSweepResult;

/**
 * One tick of the schedule, as the embedded runtime runs it: every sweep, one after another. On
 * AWS the schedule's rule sends the tick to the four functions at once; the order here only lets a
 * repair be finished within the tick: launches first (a repaired launch may be the outcome a quiet
 * batch misses), the completion sweep last.
 */
export async function runScheduledRepairs(
  repairs: ScheduledRepairs,
  event: ScheduledEvent,
): Promise<ScheduledRepairsReport> {
  const launches = await repairs.reconciler(event);
  const registrations = await repairs.intakeSweep(event);
  const restores = await repairs.restoreTrackerSweep(event);
  const completion = await repairs.aggregatorSweep(event);
  return { ...launches, ...registrations, ...restores, ...completion };
}
