import type { ScheduledEvent } from 'aws-lambda';
import type { CompletionSweepResult } from './completion-sweep.js';
import type { ReconcilerResult } from './reconciler.js';
import type { RegistrationSweepResult } from './registration-sweep.js';
import type { RestoreSweepResult } from './restore-sweep.js';

type Sweep<R> = (event: ScheduledEvent) => Promise<R>;

/** The scheduled repairs, each run by the function that owns what it repairs. */
export interface ScheduledRepairs {
  /** The reconciler function: launches that stopped moving, and launches waiting. */
  reconciler: Sweep<ReconcilerResult>;
  /** The intake function: stopped registrations, held batches a person settled. */
  registrationSweep: Sweep<RegistrationSweepResult>;
  /** The restore tracker function: restores whose events were lost or late. */
  restoreSweep: Sweep<RestoreSweepResult>;
  /** The completion aggregator function: interrupted notifications, quiet batches. */
  completionSweep: Sweep<CompletionSweepResult>;
}

export type ScheduledRepairsReport = ReconcilerResult &
  RegistrationSweepResult &
  RestoreSweepResult &
  CompletionSweepResult;

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
  const registrations = await repairs.registrationSweep(event);
  const restores = await repairs.restoreSweep(event);
  const completion = await repairs.completionSweep(event);
  return { ...launches, ...registrations, ...restores, ...completion };
}
