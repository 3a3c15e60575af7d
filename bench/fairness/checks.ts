import type { BatchRecord, ModeRecord, RunRecord } from './figures.js';

// Lost and duplicated launches, from the engine's runs and the table's launch items.

export interface Checks {
  expected: number;
  /** Expected launches without a launch item. */
  missingItems: number;
  /** Attempts (1 .. the item's attempt) without a run. */
  lost: number;
  /** Attempts with more than one run. */
  duplicated: number;
  /** Runs that name no launch of the three batches. */
  strayRuns: number;
  /** Items whose runId is not the run of their current attempt. */
  runIdMismatch: number;
  /** Items still waiting, being submitted or refused (LAUNCH_FAILED) at the end. */
  notStarted: number;
}

/** Every launch of the three batches: exactly one run per attempt, and the item names it. */
export function checkLaunches(
  record: Pick<ModeRecord, 'runs' | 'launches'>,
  batchOf: ReadonlyMap<string, BatchRecord>,
): Checks {
  const items = new Map(record.launches.map((launch) => [launch.launchId, launch]));
  const runsOf = new Map<string, RunRecord[]>();
  let strayRuns = 0;
  for (const run of record.runs) {
    if (run.launchId === undefined || !batchOf.has(run.launchId)) {
      strayRuns += 1;
      continue;
    }
    const key = `${run.launchId}#${run.attempt}`;
    runsOf.set(key, [...(runsOf.get(key) ?? []), run]);
  }
  const checks: Checks = {
    expected: batchOf.size,
    missingItems: 0,
    lost: 0,
    duplicated: 0,
    strayRuns,
    runIdMismatch: 0,
    notStarted: 0,
  };
  for (const launchId of batchOf.keys()) {
    const item = items.get(launchId);
    if (!item) checks.missingItems += 1;
    const attempts = Math.max(1, item?.attempt ?? 1);
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const found = runsOf.get(`${launchId}#${attempt}`) ?? [];
      if (found.length === 0) checks.lost += 1;
      if (found.length > 1) checks.duplicated += found.length - 1;
      if (attempt === attempts && item && found.length > 0 && !found.some((run) => run.runId === item.runId))
        checks.runIdMismatch += 1;
    }
    if (
      item &&
      ['REGISTERED', 'WAITING_FOR_INPUTS', 'QUEUED', 'THROTTLED', 'SUBMITTING', 'LAUNCH_FAILED'].includes(
        item.status,
      )
    )
      checks.notStarted += 1;
  }
  return checks;
}
