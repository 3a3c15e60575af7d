import type { Batch } from '../batch.js';
import { resumeNotification } from '../completion.js';
import { describeError } from '../errors.js';
import { waitedMs } from '../inputs/restore.js';
import { type Launch, qcLaunchIdFor } from '../launch.js';
import { BatchCostTally } from '../launch-cost.js';
import {
  type BatchCompletedNotice,
  noticeBatch,
  noticeCost,
  type SampleOutcome,
  WAITED_LISTED,
  type WaitedForInputs,
} from '../notifications.js';
import type { CompletionDeps } from './aggregator.js';

const PAGE = 500;
const ROUNDS = 8;
const ERROR_MAX = 1_000;

/** The samples that did not succeed; every launch's cost goes into `costs` on the way. */
async function unsuccessful(
  deps: CompletionDeps,
  batchId: string,
  costs: BatchCostTally,
  waited: WaitedForInputs,
): Promise<SampleOutcome[]> {
  const failures: SampleOutcome[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.launches.listByBatch(batchId, { cursor, limit: PAGE });
    for (const launch of page.items) {
      costs.add(launch);
      const wait = launch.kind === 'SAMPLE' ? waitedMs(launch) : undefined;
      if (wait !== undefined) {
        waited.count++;
        waited.samples.push({ sampleId: launch.sampleId, launchId: launch.launchId, waitedMs: wait });
        waited.samples.sort((a, b) => b.waitedMs - a.waitedMs).splice(WAITED_LISTED);
      }
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
 * Sends the batch notifications left marked SENDING: a sender that stopped (a crash or a timeout
 * between the mark and the send, or between the send and SENT), or sends that failed (SNS or the
 * bus down for longer than the stream retries the record). Each one is marked again with a
 * conditional write before it is sent, so concurrent callers send it once between them; a send
 * that fails again keeps the mark, so the notification is tried on every run until it is sent.
 * A notification caught between the send and SENT reaches people twice; its batch id and round
 * say that it is the same one.
 */
export async function resumeInterruptedNotifications(
  deps: CompletionDeps,
  options: ResumeOptions,
): Promise<ResumeReport> {
  const report: ResumeReport = { checked: 0, resent: [], errors: [] };
  let cursor: string | undefined;
  do {
    const limit = Math.min(PAGE, options.max - report.checked);
    if (limit <= 0) break;
    // Every SENDING mark, fresh ones included: a failed send is resumable at once (the domain decides).
    const page = await deps.batches.listSending({ cursor, limit });
    for (const batch of page.items) {
      const step = resumeNotification(batch, deps.now(), options.staleAfterMs);
      if (step.kind !== 'notify') continue;
      report.checked++;
      try {
        if ((await deps.batches.replace(batch, step.next)) === 'conflict') continue;
        const qcLaunch = batch.qc
          ? await deps.launches.get(batch.batchId, qcLaunchIdFor(batch.batchId))
          : undefined;
        await notifyCompletion(deps, step.next, qcLaunch);
        report.resent.push(batch.batchId);
      } catch (error) {
        report.errors.push({ batchId: batch.batchId, message: describeError(error) });
      }
    }
    cursor = page.cursor;
  } while (cursor);
  return report;
}

/**
 * The batch was marked SENDING for this round before this call (the conditional marker), so a
 * redelivered record never sends twice. A failed send keeps the mark and records the error on the
 * batch, then rethrows: the record's retry, or any later reconciler run, sends it again (the
 * recorded error tells them nobody is sending). Nothing takes the mark back, so a notification
 * is never lost when its stream record is given up on. A crash between the mark and the send
 * leaves the batch SENDING without an error: `resumeInterruptedNotifications` sends it once the
 * mark is older than the sender could still be running.
 */
export async function notifyCompletion(
  deps: CompletionDeps,
  batch: Batch,
  qcLaunch: Launch | undefined,
): Promise<void> {
  const costs = new BatchCostTally();
  const waited: WaitedForInputs = { count: 0, samples: [] };
  const failures = await unsuccessful(deps, batch.batchId, costs, waited);
  const notice: BatchCompletedNotice = {
    kind: 'batch-completed',
    ...noticeBatch(batch),
    sourceUri: batch.sourceUri,
    round: batch.round,
    outcome:
      batch.status === 'COMPLETED' || batch.status === 'FAILED' ? batch.status : 'COMPLETED_WITH_FAILURES',
    counts: { total: batch.sampleCount, ...batch.counts },
    startedAt: batch.createdAt,
    finishedAt: batch.finishedAt ?? batch.updatedAt,
    failures,
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
    cost: noticeCost(costs.view(batch), batch.estimate),
    ...(waited.count > 0 && { waitedForInputs: waited }),
  };
  try {
    await deps.notifier.send(notice);
  } catch (error) {
    await settleMark(deps, batch, (current) => ({
      ...current,
      notificationError: describeError(error).slice(0, ERROR_MAX),
      notificationFailures: (current.notificationFailures ?? 0) + 1,
    }));
    throw error;
  }
  await settleMark(deps, batch, (current) => ({
    ...current,
    notificationState: 'SENT',
    notificationError: undefined,
  }));
}

async function settleMark(
  deps: CompletionDeps,
  batch: Batch,
  change: (current: Batch) => Batch,
): Promise<void> {
  let current: Batch | undefined = batch;
  for (let round = 0; current && round < ROUNDS; round++) {
    // Another sender took the mark over (a newer notificationAt): its outcome is its own to record.
    if (
      current.notifiedRound !== batch.notifiedRound ||
      current.notificationState !== 'SENDING' ||
      current.notificationAt !== batch.notificationAt
    )
      return;
    const next = { ...change(current), updatedAt: deps.now().toISOString(), revision: current.revision + 1 };
    if ((await deps.batches.replace(current, next)) === 'written') return;
    current = await deps.batches.get(batch.batchId);
  }
}
