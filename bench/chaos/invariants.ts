import { type BatchCounts, NO_COUNTS } from '../../domain/batch.js';
import { batchOutcome, evaluateQcPolicy } from '../../domain/completion.js';
import { runNameFor, TERMINAL_STATUSES } from '../../domain/launch.js';
import type { QcPolicy } from '../../domain/manifest/types.js';
import { checkCostOnce } from './cost-invariant.js';
import type { RunEventLine } from './files.js';
import type {
  BatchItem,
  BatchNotice,
  DeadLetterLine,
  EngineRun,
  LaunchItem,
  TableSnapshot,
} from './observe.js';
import type { BatchPlan, ChaosPlan } from './plan.js';
import type { Leftover } from './supervisor.js';

/** The invariants judged after quiescence, each with how many things it checked and what broke it. */

export const INVARIANTS = {
  'one-run-per-attempt': 'every sample has exactly one engine run per attempt (none lost, none duplicated)',
  'launch-matches-engine': 'every launch ends in the state the engine says',
  'batch-counts': 'batch counts (and outcome) equal what the launches say',
  'qc-once-per-round': 'QC started at most once per round, and only when the policy allows',
  'one-notification-per-round': 'exactly one notification per round',
  'nothing-left-non-terminal':
    'no launch, batch or run left non-terminal once the engine is done and the reconciler has had its turn',
  'cost-once':
    "each priced run attempt is in its batch's cost once, and a launch's stored cost is the one its attempt was priced at",
  'dead-letters-repaired': 'no dead letter left unrepaired',
  'nothing-outlives-the-stack': 'no process of a killed or stopped stack left running',
} as const;
export type InvariantName = keyof typeof INVARIANTS;

export interface Violation {
  invariant: InvariantName;
  subject: string;
  detail: string;
}

export interface InvariantResult {
  name: InvariantName;
  description: string;
  checked: number;
  violations: Violation[];
}

/** What the harness did in the console, as the ground truth of what each launch should have become. */
export interface ConsoleEdit {
  at: string;
  launchId: string;
  kind: 'retry' | 'typo' | 'cancel';
  value: string;
  statusBefore: string;
  attemptBefore: number;
}

export interface Evidence {
  plan: ChaosPlan;
  table: TableSnapshot;
  engineRuns: EngineRun[];
  runEvents: RunEventLine[];
  notices: BatchNotice[];
  deadLetters: DeadLetterLine[];
  edits: ConsoleEdit[];
  leftovers: Leftover[];
  /** Restarts that failed because of what a killed stack left running. */
  restartFailures: string[];
  stackStops: number;
}

interface JournalRun {
  uuid: string;
  runId: string;
  name?: string;
  last: string;
}

export function checkInvariants(evidence: Evidence): InvariantResult[] {
  const { plan, table } = evidence;
  const results = new Map<InvariantName, InvariantResult>(
    (Object.keys(INVARIANTS) as InvariantName[]).map((name) => [
      name,
      { name, description: INVARIANTS[name], checked: 0, violations: [] },
    ]),
  );
  const result = (name: InvariantName) => results.get(name) as InvariantResult;
  const fail = (invariant: InvariantName, subject: string, detail: string) =>
    result(invariant).violations.push({ invariant, subject, detail });

  // The engine's runs: every run the engine ever emitted an event for (all lives), by name.
  const journal = new Map<string, JournalRun>();
  for (const line of evidence.runEvents) {
    const run = journal.get(line.uuid) ?? {
      uuid: line.uuid,
      runId: line.runId,
      name: line.runName,
      last: line.status,
    };
    run.last = line.status;
    journal.set(line.uuid, run);
  }
  const byName = new Map<string, JournalRun[]>();
  for (const run of journal.values()) {
    if (!run.name) continue;
    byName.set(run.name, [...(byName.get(run.name) ?? []), run]);
  }
  const engineById = new Map(evidence.engineRuns.map((run) => [run.id, run]));
  /** What the engine says now about a run it made, or why it cannot say. */
  const engineSays = (run: JournalRun): { status?: string; problem?: string } => {
    const known = engineById.get(run.runId);
    if (!known || known.name !== run.name)
      return { problem: `run ${run.runId} (${run.name}, last ${run.last}) is no longer known to the engine` };
    return { status: known.status };
  };

  const launchesByBatch = new Map<string, LaunchItem[]>();
  for (const launch of table.launches) {
    launchesByBatch.set(launch.batchId, [...(launchesByBatch.get(launch.batchId) ?? []), launch]);
  }
  /**
   * RETRYs typed on a launch: `taken` for certain, and `uncertain` ones whose effect depends on
   * timing: a RETRY a later edit typed over while the item still showed RETRY (as a person may:
   * the last value typed is the one gwm reads), or a typo gwm reads as RETRY. Either attempt count
   * is right for those.
   */
  const retriesOf = (launchId: string) => {
    const edits = evidence.edits.filter((edit) => edit.launchId === launchId);
    let taken = 0;
    let uncertain = 0;
    edits.forEach((edit, index) => {
      // A typo gwm reads as RETRY (" RETRY") was typed on a launch the harness last saw running; if
      // the run failed in between, gwm rightly takes it as a retry, otherwise it refuses it.
      if (edit.kind === 'typo' && edit.value.trim().toUpperCase() === 'RETRY') {
        uncertain++;
        return;
      }
      if (edit.kind !== 'retry') return;
      const next = edits[index + 1];
      if (next && next.kind !== 'retry' && next.statusBefore.trim().toUpperCase() === 'RETRY') uncertain++;
      else taken++;
    });
    return { taken, uncertain };
  };
  const badSubjects = new Set<string>();

  for (const launch of table.launches) {
    const isQc = launch.kind === 'QC' || launch.sampleId === '_qc';
    const attempt = Number(launch.attempt);
    // 1. one run per attempt
    const one = result('one-run-per-attempt');
    if (!isQc) {
      one.checked += 1;
      const retries = retriesOf(launch.launchId);
      const expected = 1 + retries.taken;
      if (attempt < expected || attempt > expected + retries.uncertain)
        fail(
          'one-run-per-attempt',
          launch.launchId,
          `attempt ${attempt}, but the console asked for ${expected}${retries.uncertain > 0 ? ` to ${expected + retries.uncertain}` : ''} (1 + ${retries.taken} RETRY${retries.uncertain > 0 ? `, ${retries.uncertain} that gwm may or may not have read` : ''})${launch.note ? ` (note: ${launch.note})` : ''}`,
        );
    }
    for (let a = 1; a <= attempt; a += 1) {
      const runs = byName.get(runNameFor(launch.batchName, launch.sampleId, a)) ?? [];
      const attemptStatus =
        a === attempt ? launch.status : (launch.attempts ?? []).find((p) => Number(p.attempt) === a)?.status;
      if (runs.length > 1)
        fail(
          'one-run-per-attempt',
          launch.launchId,
          `attempt ${a}: ${runs.length} runs (${runs.map((r) => r.runId).join(', ')})`,
        );
      else if (runs.length === 0 && attemptStatus !== 'LAUNCH_FAILED' && attemptStatus !== 'CANCELLED')
        fail('one-run-per-attempt', launch.launchId, `attempt ${a} (${attemptStatus ?? 'unknown'}): no run`);
      for (const run of runs) {
        const says = engineSays(run);
        if (says.problem) fail('one-run-per-attempt', launch.launchId, `attempt ${a}: ${says.problem}`);
      }
    }
    // 2. the launch ends as the engine says
    result('launch-matches-engine').checked += 1;
    const current = byName.get(runNameFor(launch.batchName, launch.sampleId, attempt)) ?? [];
    if (current.length === 1 && current[0]) {
      const says = engineSays(current[0]);
      const engineStatus = says.status ?? `unknown to the engine (last event ${current[0].last})`;
      if (launch.status !== engineStatus)
        fail(
          'launch-matches-engine',
          launch.launchId,
          `launch ${launch.status} (attempt ${attempt}), engine run ${current[0].runId} ${engineStatus}`,
        );
    } else if (current.length === 0 && launch.status !== 'LAUNCH_FAILED' && launch.status !== 'CANCELLED') {
      fail(
        'launch-matches-engine',
        launch.launchId,
        `launch ${launch.status} (attempt ${attempt}) and the engine has no run for it`,
      );
    }
    // 6. terminal
    result('nothing-left-non-terminal').checked += 1;
    if (!TERMINAL_STATUSES.has(launch.status as never))
      fail(
        'nothing-left-non-terminal',
        launch.launchId,
        `launch left ${JSON.stringify(launch.status)}${launch.note ? ` (note: ${launch.note})` : ''}`,
      );
  }

  for (const batchPlan of plan.batches) {
    const batch = table.batches.find((b) => b.name === batchPlan.name);
    const subject = batch ? `batch ${batch.batchId} (${batchPlan.name})` : `batch ${batchPlan.name}`;
    for (const name of [
      'batch-counts',
      'qc-once-per-round',
      'one-notification-per-round',
      'nothing-left-non-terminal',
    ] as const)
      result(name).checked += 1;
    if (!batch) {
      fail('nothing-left-non-terminal', subject, 'never registered');
      continue;
    }
    const launches = launchesByBatch.get(batch.batchId) ?? [];
    const samples = launches.filter((l) => l.kind !== 'QC' && l.sampleId !== '_qc');
    checkCounts(batch, batchPlan, samples, (detail) => fail('batch-counts', subject, detail));
    checkQc(batch, batchPlan, launches, byName, evidence.edits, (detail) =>
      fail('qc-once-per-round', subject, detail),
    );
    const rounds = new Map<number, number>();
    for (const notice of evidence.notices.filter((n) => n.batchId === batch.batchId))
      rounds.set(notice.round, (rounds.get(notice.round) ?? 0) + 1);
    for (const [round, count] of rounds)
      if (count > 1) fail('one-notification-per-round', subject, `round ${round} notified ${count} times`);
    if (!rounds.has(Number(batch.round)))
      fail(
        'one-notification-per-round',
        subject,
        `round ${batch.round} (the last) never notified (batch ${batch.status}, notification ${batch.notificationState ?? 'none'} for round ${batch.notifiedRound ?? 0})`,
      );
    const final = ['COMPLETED', 'COMPLETED_WITH_FAILURES', 'FAILED'].includes(batch.status);
    if (!final || Number(batch.notifiedRound) < Number(batch.round) || batch.notificationState !== 'SENT')
      fail(
        'nothing-left-non-terminal',
        subject,
        `batch ${batch.status}, round ${batch.round}, notification ${batch.notificationState ?? 'none'} for round ${batch.notifiedRound ?? 0}`,
      );
  }
  for (const run of evidence.engineRuns) {
    if (!['COMPLETED', 'FAILED', 'CANCELLED', 'DELETED'].includes(run.status))
      fail(
        'nothing-left-non-terminal',
        `run ${run.id} (${run.name ?? 'no name'})`,
        `engine run still ${run.status}`,
      );
  }

  result('cost-once').checked = checkCostOnce(table, (subject, detail) => fail('cost-once', subject, detail));

  // 7. dead letters: repaired when what they were about ended well by every other invariant.
  for (const judged of results.values())
    for (const v of judged.violations) badSubjects.add(subjectKey(v.subject));
  const dead = result('dead-letters-repaired');
  for (const { file, line } of evidence.deadLetters) {
    dead.checked += 1;
    const about = deadLetterSubject(line, table, plan);
    if (!about) {
      fail(
        'dead-letters-repaired',
        file,
        `a dead letter about nothing the harness can find: ${JSON.stringify(line).slice(0, 200)}`,
      );
      continue;
    }
    const batchOf = table.batches.find((b) => b.batchId === about.batchId);
    const troubled = [about.launchId, batchOf ? `batch ${batchOf.batchId}` : undefined]
      .filter((s): s is string => Boolean(s))
      .some((s) => badSubjects.has(subjectKey(s)));
    if (troubled || !batchOf)
      fail(
        'dead-letters-repaired',
        `${file}: ${about.launchId ?? about.batchId}`,
        `not repaired: ${deadLetterReason(line)}`,
      );
  }

  // 8. leftovers
  const left = result('nothing-outlives-the-stack');
  left.checked = evidence.stackStops;
  for (const process of evidence.leftovers)
    fail('nothing-outlives-the-stack', `pid ${process.pid}`, process.command);
  for (const failure of evidence.restartFailures) fail('nothing-outlives-the-stack', 'restart', failure);

  return [...results.values()];
}

function subjectKey(subject: string): string {
  return subject.replace(/ \(.*$/, '');
}

function checkCounts(
  batch: BatchItem,
  plan: BatchPlan,
  samples: LaunchItem[],
  fail: (detail: string) => void,
) {
  const tally: BatchCounts = { ...NO_COUNTS };
  const field: Record<string, keyof BatchCounts> = {
    COMPLETED: 'succeeded',
    FAILED: 'failed',
    CANCELLED: 'cancelled',
    LAUNCH_FAILED: 'launchFailed',
    DELETED: 'deleted',
  };
  for (const launch of samples) {
    const key = field[launch.status];
    if (key) tally[key] += 1;
  }
  if (samples.length !== plan.sampleIds.length || Number(batch.sampleCount) !== plan.sampleIds.length)
    fail(
      `${plan.sampleIds.length} samples in the manifest, sampleCount ${batch.sampleCount}, ${samples.length} launch items`,
    );
  const counts = { ...NO_COUNTS, ...batch.counts };
  const differs = (Object.keys(NO_COUNTS) as (keyof BatchCounts)[]).filter(
    (k) => Number(counts[k]) !== tally[k],
  );
  if (differs.length > 0) fail(`counts ${JSON.stringify(counts)}, launches say ${JSON.stringify(tally)}`);
  const final = ['COMPLETED', 'COMPLETED_WITH_FAILURES', 'FAILED'].includes(batch.status);
  if (final) {
    const expected = batchOutcome(tally, plan.sampleIds.length, (batch.qcState ?? 'NONE') as never);
    if (batch.status !== expected)
      fail(`status ${batch.status}, but its launches and QC (${batch.qcState}) make it ${expected}`);
  }
}

function qcPolicy(plan: BatchPlan): QcPolicy {
  return plan.qc.policy === 'min-succeeded-fraction'
    ? { kind: 'min-succeeded-fraction', fraction: plan.qc.minSucceededFraction }
    : { kind: plan.qc.policy };
}

function checkQc(
  batch: BatchItem,
  plan: BatchPlan,
  launches: LaunchItem[],
  byName: Map<string, JournalRun[]>,
  edits: ConsoleEdit[],
  fail: (detail: string) => void,
) {
  const qcLaunch = launches.find((l) => l.kind === 'QC' || l.sampleId === '_qc');
  const qcRetries = qcLaunch
    ? edits.filter((e) => e.launchId === qcLaunch.launchId && e.kind === 'retry').length
    : 0;
  let qcRuns = 0;
  for (let a = 1; a <= Number(qcLaunch?.attempt ?? 0) + 2; a += 1)
    qcRuns += (byName.get(runNameFor(batch.name, '_qc', a)) ?? []).length;
  const allowed = Number(batch.round) + qcRetries;
  if (qcRuns > allowed)
    fail(`${qcRuns} QC runs in ${batch.round} round(s) with ${qcRetries} QC retries from the console`);
  if (qcLaunch && Number(qcLaunch.attempt) > allowed)
    fail(`QC launch at attempt ${qcLaunch.attempt} in ${batch.round} round(s) with ${qcRetries} QC retries`);
  const samples = launches.filter((l) => l !== qcLaunch);
  const succeeded = samples.filter((l) => l.status === 'COMPLETED').length;
  const verdict = evaluateQcPolicy(qcPolicy(plan), { ...NO_COUNTS, succeeded }, plan.sampleIds.length);
  const ran = ['COMPLETED', 'FAILED', 'CANCELLED', 'RUNNING'].includes(batch.qcState ?? '');
  if (ran && !verdict.met) fail(`QC ${batch.qcState} although ${verdict.reason}`);
  if (batch.qcState === 'SKIPPED' && verdict.met)
    fail(
      `QC SKIPPED although the policy ${plan.qc.policy} is met (${succeeded} of ${plan.sampleIds.length} succeeded)`,
    );
}

/** The launch or batch a dead letter was about: a stream record's image, a run event's run name, an S3 key. */
function deadLetterSubject(
  line: Record<string, unknown>,
  table: TableSnapshot,
  plan: ChaosPlan,
): { batchId: string; launchId?: string } | undefined {
  const text = JSON.stringify(line);
  // A stream record's image, or a cost request (the cost collector's dead letters).
  const launchId = (/"launchId":\{"S":"([^"]+)"\}/.exec(text) ?? /"launchId":"([^"]+)"/.exec(text))?.[1];
  if (launchId) {
    const launch = table.launches.find((l) => l.launchId === launchId);
    return { batchId: launch?.batchId ?? launchId.split('/')[0] ?? '', launchId };
  }
  const runName = /"runName":"([^"]+)"/.exec(text)?.[1];
  if (runName) {
    const launch = table.launches.find((l) => runName.startsWith(`${l.batchName}-${l.sampleId}-`));
    if (launch) return { batchId: launch.batchId, launchId: launch.launchId };
  }
  for (const batch of plan.batches) {
    if (text.includes(batch.key)) {
      const found = table.batches.find((b) => b.name === batch.name);
      return { batchId: found?.batchId ?? batch.name };
    }
  }
  return undefined;
}

function deadLetterReason(line: Record<string, unknown>): string {
  const error = line.error as { message?: string } | undefined;
  return String(line.reason ?? error?.message ?? '').slice(0, 200);
}
