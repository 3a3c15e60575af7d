import type { Launch, RunStatus } from '../../domain/launch.js';
import { decideLaunch, type RunObservation, recordSubmission } from '../../domain/launch-transitions.js';
import { aLaunch } from './launch-factory.js';

/**
 * The steps the launch transition tests take a launch through: claimed by the launcher holding
 * token-1 at noon on 2026-11-20, submitted as run 2101313, then told of the run's statuses.
 */
export const now = new Date('2026-11-20T12:00:00.000Z');
export const claim = { now, claimToken: 'token-1', leaseMs: 60_000 };

/** A fresh launch (`aLaunch()`) as the launcher claims it: SUBMITTING. */
export function claimed(): Launch {
  const decision = decideLaunch(aLaunch(), claim);
  if (decision.kind !== 'claim') throw new Error('expected a claim');
  return decision.next;
}

/** A claimed launch whose StartRun made run 2101313 (uuid-1), with `run`'s other fields (its ARN). */
export function submittedAs(run: { runArn?: string } = {}): Launch {
  const result = recordSubmission(claimed(), { runId: '2101313', runUuid: 'uuid-1', ...run }, now);
  if (result.kind !== 'changed') throw new Error('expected a submission');
  return result.next;
}

/** An event telling of run 2101313 in `status` at `minute` past noon. */
export function observe(
  status: RunStatus,
  minute: number,
  extra: Partial<RunObservation> = {},
): RunObservation {
  return {
    runId: '2101313',
    runUuid: 'uuid-1',
    status,
    at: `2026-11-20T12:${String(minute).padStart(2, '0')}:00.000Z`,
    source: 'event',
    ...extra,
  };
}
