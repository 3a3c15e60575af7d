import type { LaunchOrder } from '../../domain/scheduling/fair-share.js';
import type { Timings } from '../launcher-timings.js';
import { type Checks, checkLaunches } from './checks.js';
import type { TeamKey } from './scenario.js';

// What one launch order measured (raw records in, figures out): no I/O here.

/** A run as the engine reports it: its creation time is when HealthOmics accepted StartRun. */
export interface RunRecord {
  runId: string;
  launchId?: string;
  attempt?: number;
  /** Epoch ms (the engine's creationTime). */
  createdAt: number;
}

/** A launch item as the table holds it at the end. */
export interface LaunchRecord {
  launchId: string;
  attempt: number;
  status: string;
  runId?: string;
}

export interface BatchRecord {
  key: TeamKey;
  team: string;
  weight: number;
  priority: string;
  batchId: string;
  launchIds: string[];
  /** Epoch ms: PutObject sent. */
  uploadedAt: number;
  /** Epoch ms from the batch item (NaN when it never got there). */
  createdAt: number;
  registeredAt: number;
  status: string;
}

export interface TeamFigures {
  key: TeamKey;
  team: string;
  weight: number;
  priority: string;
  samples: number;
  status: string;
  /** From A's upload. */
  uploadOffsetMs: number;
  /** From this batch's upload. */
  toRegisteredMs: number;
  toFirstStartMs: number;
  toLastStartMs: number;
  started: number;
}

export interface ShareFigures {
  /** Window bounds, ms after A's upload (see shareWindow). */
  fromMs: number;
  toMs: number;
  /** Where the window starts: B done starting, or C ready when B finished only after the window. */
  from: 'after B' | 'C ready, B left out';
  startsA: number;
  startsC: number;
  /** C's starts / (A's + C's starts) in the window. */
  share: number;
  /** C's weight / (A's + C's weight): its fair share. */
  expected: number;
  /** (share - expected) / expected. */
  deviation: number;
}

export interface ModeFigures {
  mode: LaunchOrder;
  rate: number;
  teams: TeamFigures[];
  b: { firstWaitMs: number; lastWaitMs: number };
  share: ShareFigures | undefined;
  pacing: { starts: number; spanMs: number; achievedRate: number; ratio: number };
  startRunCalls: number;
  throttled: number;
  checks: Checks;
  /** Every batch finished before the timeout. */
  finished: boolean;
  /** The stream consumers caught up after the batches finished, and how long that took. */
  settled: boolean;
  settleMs: number;
  wallMs: number;
  /** StartRuns per team in each SLICE_MS after A's upload. */
  slices: Array<Record<TeamKey, number>>;
  /** Whose launch each StartRun started, from B's upload to B's last StartRun (at most 400). */
  sequenceWhileB: string;
  launcherTimings?: Timings;
}

export const SLICE_MS = 10_000;

/** Seconds with two decimals: the B targets are judged to the millisecond. */
export const preciseSeconds = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(2)} s` : 'n/a');

export interface ModeRecord {
  mode: LaunchOrder;
  rate: number;
  batches: BatchRecord[];
  runs: RunRecord[];
  launches: LaunchRecord[];
  startRunCalls: number;
  finished: boolean;
  settled: boolean;
  settleMs: number;
  wallMs: number;
  launcherTimings?: Timings;
}

export function computeFigures(record: ModeRecord): ModeFigures {
  const { batches, runs } = record;
  const batchOf = new Map<string, BatchRecord>();
  for (const batch of batches) for (const id of batch.launchIds) batchOf.set(id, batch);
  const startsOf = (batch: BatchRecord | undefined) =>
    runs
      .filter((run) => run.launchId !== undefined && batchOf.get(run.launchId) === batch)
      .map((run) => run.createdAt)
      .sort((x, y) => x - y);
  const byKey = (key: TeamKey) => batches.find((batch) => batch.key === key);
  const origin = byKey('a')?.uploadedAt ?? Number.NaN;
  const teams = batches.map((batch): TeamFigures => {
    const starts = startsOf(batch);
    return {
      key: batch.key,
      team: batch.team,
      weight: batch.weight,
      priority: batch.priority,
      samples: batch.launchIds.length,
      status: batch.status,
      uploadOffsetMs: batch.uploadedAt - origin,
      toRegisteredMs: batch.registeredAt - batch.uploadedAt,
      toFirstStartMs: (starts[0] ?? Number.NaN) - batch.uploadedAt,
      toLastStartMs: (starts.at(-1) ?? Number.NaN) - batch.uploadedAt,
      started: starts.length,
    };
  });
  const b = teams.find((team) => team.key === 'b');
  const ours = runs
    .filter((run) => run.launchId !== undefined && batchOf.has(run.launchId))
    .map((run) => run.createdAt)
    .sort((x, y) => x - y);
  const first = ours[0] ?? Number.NaN;
  const last = ours.at(-1) ?? Number.NaN;
  const achievedRate = ours.length > 1 ? (ours.length - 1) / ((last - first) / 1000) : Number.NaN;
  const [a, bb, c] = [byKey('a'), byKey('b'), byKey('c')];
  return {
    mode: record.mode,
    rate: record.rate,
    teams,
    b: { firstWaitMs: b?.toFirstStartMs ?? Number.NaN, lastWaitMs: b?.toLastStartMs ?? Number.NaN },
    share: a && bb && c ? shareOf(startsOf(a), startsOf(bb), startsOf(c), a, c, origin) : undefined,
    pacing: { starts: ours.length, spanMs: last - first, achievedRate, ratio: achievedRate / record.rate },
    startRunCalls: record.startRunCalls,
    throttled: record.startRunCalls - runs.length,
    checks: checkLaunches(record, batchOf),
    finished: record.finished,
    settled: record.settled,
    settleMs: record.settleMs,
    wallMs: record.wallMs,
    slices: slicesOf(batches, startsOf, origin),
    sequenceWhileB: sequenceWhileB(runs, batchOf, bb),
    launcherTimings: record.launcherTimings,
  };
}

function sequenceWhileB(
  runs: readonly RunRecord[],
  batchOf: ReadonlyMap<string, BatchRecord>,
  b: BatchRecord | undefined,
): string {
  if (!b) return '';
  const ours = runs
    .map((run) => ({ at: run.createdAt, batch: run.launchId ? batchOf.get(run.launchId) : undefined }))
    .filter((run) => run.batch !== undefined && run.at >= b.uploadedAt)
    .sort((x, y) => x.at - y.at);
  const lastB = Math.max(...ours.filter((run) => run.batch === b).map((run) => run.at));
  return ours
    .filter((run) => run.at <= lastB)
    .slice(0, 400)
    .map((run) => run.batch?.key.toUpperCase())
    .join('');
}

function slicesOf(
  batches: readonly BatchRecord[],
  startsOf: (batch: BatchRecord) => number[],
  origin: number,
): Array<Record<TeamKey, number>> {
  const slices: Array<Record<TeamKey, number>> = [];
  for (const batch of batches) {
    for (const at of startsOf(batch)) {
      const index = Math.max(0, Math.floor((at - origin) / SLICE_MS));
      for (let n = slices.length; n <= index; n++) slices.push({ a: 0, b: 0, c: 0 });
      const slice = slices[index];
      if (slice) slice[batch.key] += 1;
    }
  }
  return slices;
}

/**
 * C's share while A and C both have launches waiting: the window ends at the earlier of A's and
 * C's last StartRun (after it, one of them has nothing left to wait for) and starts once C's
 * launches are waiting (the earlier of C's batch registeredAt and its first StartRun) and B has
 * finished starting. When B finishes only after the window would end (stream order: B waits
 * behind all of A), the window starts when C is ready and B's StartRuns are left out.
 * share = n_C / (n_A + n_C), StartRuns counted by the engine's creationTime in [from, to].
 */
export function shareOf(
  startsA: readonly number[],
  startsB: readonly number[],
  startsC: readonly number[],
  a: Pick<BatchRecord, 'weight'>,
  c: Pick<BatchRecord, 'weight' | 'registeredAt'>,
  origin: number,
): ShareFigures | undefined {
  const lastA = startsA.at(-1);
  const lastC = startsC.at(-1);
  const firstC = startsC[0];
  if (lastA === undefined || lastC === undefined || firstC === undefined) return undefined;
  const to = Math.min(lastA, lastC);
  const ready = Number.isFinite(c.registeredAt) ? Math.min(c.registeredAt, firstC) : firstC;
  const lastB = startsB.at(-1) ?? Number.NEGATIVE_INFINITY;
  const afterB = lastB < to;
  const from = afterB ? Math.max(ready, lastB) : ready;
  const inWindow = (at: number) => at >= from && at <= to;
  const countA = startsA.filter(inWindow).length;
  const countC = startsC.filter(inWindow).length;
  const share = countC / (countA + countC);
  const expected = c.weight / (a.weight + c.weight);
  return {
    fromMs: from - origin,
    toMs: to - origin,
    from: afterB ? 'after B' : 'C ready, B left out',
    startsA: countA,
    startsC: countC,
    share,
    expected,
    deviation: (share - expected) / expected,
  };
}
