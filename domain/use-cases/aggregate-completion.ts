import type { Batch } from '../batch.js';
import {
  type BatchStep,
  countOutcome,
  nextBatchStep,
  qcLaunchFor,
  resumeNotification,
} from '../completion.js';
import { isTerminal, type Launch, qcLaunchIdFor } from '../launch.js';
import { renderTemplate } from '../manifest/template.js';
import type { BatchCompletedNotice, Notifier, SampleOutcome } from '../notifications.js';
import type { BatchRepository, LaunchRepository, OutcomeLedger } from '../ports.js';

export interface CompletionDeps {
  launches: LaunchRepository;
  batches: BatchRepository;
  ledger: OutcomeLedger;
  notifier: Notifier;
  now: () => Date;
  /** Named in notifications, so people know where to set RETRY. */
  tableName?: string;
}

export type CompletionOutcome = {
  counted: boolean;
  launchFailedNotice?: 'sent' | 'off' | Error;
  /** Why QC was skipped, when this call skipped it. */
  qcSkipped?: string;
  steps: BatchStep['kind'][];
  notified: boolean;
  batchStatus?: Batch['status'];
};

const ROUNDS = 8;
const FAILED_PAGE = 500;

/**
 * Handles one change of a launch: counts its outcome on the batch (each attempt once), then moves
 * the batch on as far as its state allows: reopen after a retry, start QC once, finish, notify
 * once per round. Every step is decided from stored state, so a redelivered record repeats
 * nothing that already happened.
 */
export async function aggregateCompletion(
  deps: CompletionDeps,
  ref: { batchId: string; launchId: string },
): Promise<CompletionOutcome> {
  const outcome: CompletionOutcome = { counted: false, steps: [], notified: false };
  const launch = await deps.launches.get(ref.batchId, ref.launchId);
  // A first attempt being claimed or running cannot change its batch: most records stop here.
  if (launch && launch.attempt === 1 && !isTerminal(launch.status)) return outcome;
  if (launch?.kind === 'SAMPLE') outcome.counted = await count(deps, launch);
  if (launch && outcome.counted && (launch.status === 'FAILED' || launch.status === 'LAUNCH_FAILED')) {
    outcome.launchFailedNotice = await notifyLaunchFailed(deps, launch);
  }
  await advanceBatch(deps, ref.batchId, outcome);
  return outcome;
}

/**
 * Optional per manifest. Sent once, right after the failure was counted; a failed send is
 * reported, not retried (the batch notification will name the sample anyway).
 */
async function notifyLaunchFailed(deps: CompletionDeps, launch: Launch): Promise<'sent' | 'off' | Error> {
  const batch = await deps.batches.get(launch.batchId);
  if (!batch?.notifications?.onLaunchFailed) return 'off';
  try {
    await deps.notifier.send({
      kind: 'launch-failed',
      batchId: batch.batchId,
      batchName: batch.name,
      sample: sampleOutcome(launch),
      tableName: deps.tableName,
    });
    return 'sent';
  } catch (error) {
    return error as Error;
  }
}

async function count(deps: CompletionDeps, launch: Launch): Promise<boolean> {
  for (let round = 0; round < ROUNDS; round++) {
    const mark = await deps.ledger.get(launch.batchId, launch.launchId);
    const decision = countOutcome(mark, launch);
    if (decision.kind === 'unchanged') return false;
    const result = await deps.ledger.record(mark, decision.mark, decision.delta, deps.now().toISOString());
    if (result === 'written') return true;
  }
  throw new Error(`could not count launch ${launch.launchId}: the count kept changing`);
}

async function advanceBatch(
  deps: CompletionDeps,
  batchId: string,
  outcome: CompletionOutcome,
): Promise<void> {
  for (let round = 0; round < ROUNDS; round++) {
    const batch = await deps.batches.get(batchId);
    if (!batch) return;
    outcome.batchStatus = batch.status;
    const qcLaunch = batch.qc ? await deps.launches.get(batchId, qcLaunchIdFor(batchId)) : undefined;
    // The batch may have flipped to QC_RUNNING in a run that stopped before it wrote the QC launch.
    if (batch.status === 'QC_RUNNING') await ensureQcLaunch(deps, batch, qcLaunch);

    const step = nextBatchStep(batch, qcLaunch, deps.now());
    if (step.kind === 'wait') return;
    if ((await deps.batches.replace(batch, step.next)) === 'conflict') continue;
    outcome.steps.push(step.kind);
    outcome.batchStatus = step.next.status;
    if (step.kind === 'finish' && step.next.qcState === 'SKIPPED') outcome.qcSkipped = step.next.qcReason;
    if (step.kind === 'start-qc') await ensureQcLaunch(deps, step.next, qcLaunch);
    if (step.kind === 'notify') {
      if (step.next.notificationState !== 'SENDING') return;
      await notifyCompletion(deps, step.next, qcLaunch, 'release');
      outcome.notified = true;
      return;
    }
  }
}

async function ensureQcLaunch(
  deps: CompletionDeps,
  batch: Batch,
  existing: Launch | undefined,
): Promise<void> {
  if (!batch.qc || (existing && existing.attempt >= batch.qcAttempt)) return;
  const outputs = await sampleOutputs(deps, batch.batchId);
  const rendered = renderTemplate(batch.qc.parameterTemplate, {
    batch: { id: batch.batchId, name: batch.name, sampleOutputUris: outputs },
  });
  const parameters = rendered.ok ? rendered.value : batch.qc.parameterTemplate;
  const built = qcLaunchFor(batch, existing, parameters, deps.now());
  if (!built.ok) return;
  // Either write lands once: a put for the first attempt, a conditional replace after that.
  if (existing) await deps.launches.replace(existing, built.launch);
  else await deps.launches.putMany([built.launch]);
}

async function sampleOutputs(deps: CompletionDeps, batchId: string): Promise<string[]> {
  const outputs: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.launches.listByBatch(batchId, {
      status: 'COMPLETED',
      cursor,
      limit: FAILED_PAGE,
    });
    for (const launch of page.items)
      if (launch.kind === 'SAMPLE' && launch.runOutputUri) outputs.push(launch.runOutputUri);
    cursor = page.cursor;
  } while (cursor);
  return outputs.sort();
}

async function unsuccessful(deps: CompletionDeps, batchId: string): Promise<SampleOutcome[]> {
  const failures: SampleOutcome[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.launches.listByBatch(batchId, { cursor, limit: FAILED_PAGE });
    for (const launch of page.items) {
      if (launch.kind !== 'SAMPLE' || launch.status === 'COMPLETED') continue;
      failures.push(sampleOutcome(launch));
    }
    cursor = page.cursor;
  } while (cursor);
  return failures;
}

export function sampleOutcome(launch: Launch): SampleOutcome {
  return {
    sampleId: launch.sampleId,
    launchId: launch.launchId,
    status: launch.status,
    attempt: launch.attempt,
    runId: launch.runId,
    failureReason: launch.failureReason,
    logLocation: launch.logLocation,
    logExcerpt: launch.logExcerpt,
    runOutputUri: launch.runOutputUri,
  };
}

export interface ResumeOptions {
  /** How long a SENDING mark is left to its sender: longer than the aggregator's timeout. */
  staleAfterMs: number;
  /** Batches looked at per call. */
  max: number;
}

export interface ResumeReport {
  checked: number;
  /** Batches whose notification was sent again. */
  resent: string[];
  /** Sends that failed again: the mark stays, and the next call tries again. */
  errors: Array<{ batchId: string; message: string }>;
}

/**
 * Sends the batch notifications whose sender stopped after marking them SENDING (a crash or a
 * timeout between the mark and the send, or between the send and SENT). Each one is marked again
 * with a conditional write before it is sent, so concurrent callers send it once between them.
 * A notification caught between the send and SENT reaches people twice; its batch id and round
 * say that it is the same one.
 */
export async function resumeInterruptedNotifications(
  deps: CompletionDeps,
  options: ResumeOptions,
): Promise<ResumeReport> {
  const report: ResumeReport = { checked: 0, resent: [], errors: [] };
  const to = new Date(deps.now().getTime() - options.staleAfterMs).toISOString();
  let cursor: string | undefined;
  do {
    const limit = Math.min(FAILED_PAGE, options.max - report.checked);
    if (limit <= 0) break;
    const page = await deps.batches.listSending({ to }, { cursor, limit });
    for (const batch of page.items) {
      report.checked++;
      try {
        const step = resumeNotification(batch, deps.now(), options.staleAfterMs);
        if (step.kind !== 'notify') continue;
        if ((await deps.batches.replace(batch, step.next)) === 'conflict') continue;
        const qcLaunch = batch.qc
          ? await deps.launches.get(batch.batchId, qcLaunchIdFor(batch.batchId))
          : undefined;
        await notifyCompletion(deps, step.next, qcLaunch, 'keep');
        report.resent.push(batch.batchId);
      } catch (error) {
        const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        report.errors.push({ batchId: batch.batchId, message });
      }
    }
    cursor = page.cursor;
  } while (cursor);
  return report;
}

/**
 * The batch was marked SENDING for this round before this call (the conditional marker), so a
 * redelivered record never sends twice. If sending fails, `release` takes the mark back and the
 * error is rethrown: the record's retry sends it. `keep` leaves the mark for the next resume. A
 * crash between the mark and the send leaves the batch SENDING: `resumeInterruptedNotifications`
 * sends it once the mark is older than the sender could still be running.
 */
async function notifyCompletion(
  deps: CompletionDeps,
  batch: Batch,
  qcLaunch: Launch | undefined,
  onFailure: 'release' | 'keep',
): Promise<void> {
  const notice: BatchCompletedNotice = {
    kind: 'batch-completed',
    batchId: batch.batchId,
    batchName: batch.name,
    sourceUri: batch.sourceUri,
    round: batch.round,
    outcome:
      batch.status === 'COMPLETED' || batch.status === 'FAILED' ? batch.status : 'COMPLETED_WITH_FAILURES',
    counts: { total: batch.sampleCount, ...batch.counts },
    startedAt: batch.createdAt,
    finishedAt: batch.finishedAt ?? batch.updatedAt,
    failures: await unsuccessful(deps, batch.batchId),
    qc: {
      state: batch.qcState === 'WAITING' || batch.qcState === 'RUNNING' ? 'NONE' : batch.qcState,
      reason: batch.qcReason,
      launchId: qcLaunch?.launchId,
      runId: qcLaunch?.runId,
      outputUri: qcLaunch?.runOutputUri,
      failureReason: qcLaunch?.failureReason,
      logLocation: qcLaunch?.logLocation,
    },
    tableName: deps.tableName,
  };
  try {
    await deps.notifier.send(notice);
  } catch (error) {
    if (onFailure === 'keep') throw error;
    await settleMark(deps, batch, (current) => ({
      ...current,
      notifiedRound: current.round - 1,
      notificationState: undefined,
    }));
    throw error;
  }
  await settleMark(deps, batch, (current) => ({ ...current, notificationState: 'SENT' }));
}

async function settleMark(
  deps: CompletionDeps,
  batch: Batch,
  change: (current: Batch) => Batch,
): Promise<void> {
  let current: Batch | undefined = batch;
  for (let round = 0; current && round < ROUNDS; round++) {
    if (current.notifiedRound !== batch.notifiedRound || current.notificationState !== 'SENDING') return;
    const next = { ...change(current), updatedAt: deps.now().toISOString(), revision: current.revision + 1 };
    if ((await deps.batches.replace(current, next)) === 'written') return;
    current = await deps.batches.get(batch.batchId);
  }
}
