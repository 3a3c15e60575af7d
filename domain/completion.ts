import type { Batch, BatchCounts, QcState } from './batch.js';
import {
  type ArchivedInput,
  effectiveStatus,
  isTerminal,
  type Launch,
  type LaunchStatus,
  qcLaunchIdFor,
} from './launch.js';
import type { QcPolicy } from './manifest/types.js';
import type { BatchOutcome } from './notifications.js';

/** How one launch attempt counts on its batch. NONE: the attempt is running again (retried). */
export const COUNTED_OUTCOMES = [
  'succeeded',
  'failed',
  'cancelled',
  'launchFailed',
  'deleted',
  'NONE',
] as const satisfies readonly (keyof BatchCounts | 'NONE')[];
export type CountedOutcome = (typeof COUNTED_OUTCOMES)[number];

/** What the batch counters have counted for one launch: written atomically with the counters. */
export interface OutcomeMark {
  batchId: string;
  launchId: string;
  attempt: number;
  outcome: CountedOutcome;
  revision: number;
}

const OUTCOME_OF: Partial<Record<LaunchStatus, keyof BatchCounts>> = {
  COMPLETED: 'succeeded',
  FAILED: 'failed',
  CANCELLED: 'cancelled',
  LAUNCH_FAILED: 'launchFailed',
  DELETED: 'deleted',
};

/** What one count adds to the batch: outcome counters, and `retries` when a later attempt is counted. */
export type CountDelta = Partial<BatchCounts> & { retries?: number };

export type CountDecision =
  | { kind: 'count'; mark: OutcomeMark; delta: CountDelta }
  | { kind: 'unchanged'; reason: string };

/**
 * Counts a launch's state on its batch, each attempt once: a terminal attempt adds its outcome;
 * a retried attempt takes the previous outcome back out (the sample is in progress again).
 * Redelivered and stale records change nothing.
 */
export function countOutcome(mark: OutcomeMark | undefined, launch: Launch): CountDecision {
  const next = (outcome: CountedOutcome): OutcomeMark => ({
    batchId: launch.batchId,
    launchId: launch.launchId,
    attempt: launch.attempt,
    outcome,
    revision: (mark?.revision ?? 0) + 1,
  });
  if (mark && mark.attempt > launch.attempt) return { kind: 'unchanged', reason: 'an earlier attempt' };

  // What gwm recorded: a terminal status a person typed over a running launch is not an outcome.
  const status = effectiveStatus(launch);
  const outcome = isTerminal(status) ? OUTCOME_OF[status] : undefined;
  const previous = mark && mark.outcome !== 'NONE' ? mark.outcome : undefined;
  // Counted once per attempt, whether the aggregator sees the new attempt running or only finished.
  const retry = mark !== undefined && mark.attempt < launch.attempt ? { retries: 1 } : {};
  if (outcome) {
    if (mark?.attempt === launch.attempt && mark.outcome === outcome)
      return { kind: 'unchanged', reason: 'counted' };
    const delta: CountDelta = { [outcome]: 1, ...retry };
    if (previous) delta[previous] = (delta[previous] ?? 0) - 1;
    return { kind: 'count', mark: next(outcome), delta };
  }
  if (mark && mark.attempt < launch.attempt) {
    return { kind: 'count', mark: next('NONE'), delta: previous ? { [previous]: -1, ...retry } : retry };
  }
  return { kind: 'unchanged', reason: 'nothing to count' };
}

export function finishedCount(counts: BatchCounts): number {
  return counts.succeeded + counts.failed + counts.cancelled + counts.launchFailed + counts.deleted;
}

/** Every sample has an outcome for its current attempt. */
export function isSettled(batch: Batch): boolean {
  return finishedCount(batch.counts) >= batch.sampleCount;
}

export type PolicyVerdict = { met: true } | { met: false; reason: string };

export function evaluateQcPolicy(policy: QcPolicy, counts: BatchCounts, sampleCount: number): PolicyVerdict {
  const { succeeded } = counts;
  switch (policy.kind) {
    case 'all-succeeded':
      return succeeded === sampleCount
        ? { met: true }
        : {
            met: false,
            reason: `policy all-succeeded: ${sampleCount - succeeded} of ${sampleCount} samples did not succeed`,
          };
    case 'any-completed':
      return succeeded > 0
        ? { met: true }
        : { met: false, reason: 'policy any-completed: no sample succeeded' };
    case 'min-succeeded-fraction': {
      // Compared in whole samples so 0.9 of 10 needs 9, not 9.000000000000002.
      const needed = Math.ceil(policy.fraction * sampleCount - 1e-9);
      return succeeded >= needed
        ? { met: true }
        : {
            met: false,
            reason: `policy min-succeeded-fraction ${policy.fraction}: ${succeeded} of ${sampleCount} succeeded, ${needed} needed`,
          };
    }
  }
}

export function batchOutcome(counts: BatchCounts, sampleCount: number, qcState: QcState): BatchOutcome {
  if (counts.succeeded === 0 || qcState === 'FAILED' || qcState === 'CANCELLED') return 'FAILED';
  if (counts.succeeded === sampleCount && (qcState === 'COMPLETED' || qcState === 'NONE')) return 'COMPLETED';
  return 'COMPLETED_WITH_FAILURES';
}

const FINAL: ReadonlySet<Batch['status']> = new Set(['COMPLETED', 'COMPLETED_WITH_FAILURES', 'FAILED']);

export function isFinal(batch: Batch): boolean {
  return FINAL.has(batch.status);
}

/** What the batch should do next, from its state alone (so a redelivered record decides the same). */
export type BatchStep =
  | { kind: 'wait'; reason: string }
  | { kind: 'reopen'; next: Batch }
  | { kind: 'start-qc'; next: Batch }
  | { kind: 'rerun-qc'; next: Batch }
  | { kind: 'finish'; next: Batch }
  | { kind: 'notify'; next: Batch };

/**
 * The batch's next step. `qcLaunch` is the QC launch as stored (if the batch has one yet).
 * Reopening, starting QC and finishing are each a conditional write of the returned batch.
 */
export function nextBatchStep(batch: Batch, qcLaunch: Launch | undefined, now: Date): BatchStep {
  const at = now.toISOString();
  const retries = batch.retriesCounted ?? 0;
  const touch = (changes: Partial<Batch>): Batch => ({
    ...batch,
    ...changes,
    updatedAt: at,
    revision: batch.revision + 1,
  });
  const settled = isSettled(batch);
  // A sample attempt the current round has not accounted for: its outcome is news, even when the
  // counts are back where they were (a retry that failed again before the aggregator saw it run).
  const retriedSince = retries > (batch.roundRetries ?? 0);

  if (qcLaunch && qcLaunch.attempt > batch.qcAttempt && batch.qc) {
    // A person retried the QC launch: its new attempt is the batch's QC, in a new round if the
    // batch had finished. When it ends, the batch finishes (and notifies) as after any QC run.
    return {
      kind: 'rerun-qc',
      next: touch({
        status: 'QC_RUNNING',
        qcState: 'RUNNING',
        qcAttempt: qcLaunch.attempt,
        qcReason: undefined,
        round: isFinal(batch) ? batch.round + 1 : batch.round,
        roundRetries: retries,
        finishedAt: undefined,
      }),
    };
  }

  if (isFinal(batch)) {
    if (!settled || retriedSince) {
      // A sample was retried after the batch finished: it is a new round, with its own outcome.
      const rerunQc = batch.qc ? batch.qc.rerunOnRetry : false;
      return reopen(batch, touch, retries, {
        qcState: rerunQc ? 'WAITING' : batch.qcState,
        qcReason: rerunQc ? undefined : batch.qcReason,
      });
    }
    if (
      batch.notificationState === 'SENDING' &&
      batch.notificationError !== undefined &&
      batch.notifiedRound === batch.round
    ) {
      // The last send failed and nobody is sending: a redelivered record (or the reconciler) tries again.
      return {
        kind: 'notify',
        next: touch({ notificationAt: at, notificationError: undefined }),
      };
    }
    if (batch.notifiedRound < batch.round) {
      // With the notification off, the round is marked done all the same, so waiting ends.
      const off = batch.notifications?.onBatchCompleted === false;
      return {
        kind: 'notify',
        next: touch({
          notifiedRound: batch.round,
          notificationState: off ? 'OFF' : 'SENDING',
          notificationAt: at,
        }),
      };
    }
    return { kind: 'wait', reason: `batch is ${batch.status}` };
  }

  if (batch.status === 'QC_RUNNING') {
    const qcDone = qcLaunch && qcLaunch.attempt === batch.qcAttempt && isTerminal(qcLaunch.status);
    if (!qcDone) return { kind: 'wait', reason: 'QC is running' };
    const qcState: QcState =
      qcLaunch.status === 'COMPLETED'
        ? 'COMPLETED'
        : qcLaunch.status === 'CANCELLED'
          ? 'CANCELLED'
          : 'FAILED';
    const qcReason = qcState === 'COMPLETED' ? undefined : qcLaunch.failureReason;
    // A sample retried while QC ran: QC saw the old outputs, so the new round runs it again.
    if (!settled || retriedSince) return reopen(batch, touch, retries, { qcState: 'WAITING', qcReason });
    return finish(batch, touch, qcState, qcReason, at);
  }

  if (batch.status !== 'ACTIVE' && batch.status !== 'REGISTERED')
    return { kind: 'wait', reason: `batch is ${batch.status}` };
  if (!settled)
    return {
      kind: 'wait',
      reason: `${finishedCount(batch.counts)} of ${batch.sampleCount} samples finished`,
    };

  if (batch.qc && batch.qcState === 'WAITING') {
    const verdict = evaluateQcPolicy(batch.qc.policy, batch.counts, batch.sampleCount);
    if (verdict.met) {
      return {
        kind: 'start-qc',
        next: touch({
          status: 'QC_RUNNING',
          qcState: 'RUNNING',
          // Past any attempt a person started by retrying the QC launch.
          qcAttempt: Math.max(batch.qcAttempt, qcLaunch?.attempt ?? 0) + 1,
          qcReason: undefined,
          roundRetries: retries,
        }),
      };
    }
    return finish(batch, touch, 'SKIPPED', verdict.reason, at);
  }
  return finish(batch, touch, batch.qcState === 'WAITING' ? 'NONE' : batch.qcState, batch.qcReason, at);
}

/** A new round: the batch is ACTIVE again, with the retries counted so far and its QC as `qc` says. */
function reopen(
  batch: Batch,
  touch: (changes: Partial<Batch>) => Batch,
  retries: number,
  qc: Pick<Batch, 'qcState' | 'qcReason'>,
): BatchStep {
  return {
    kind: 'reopen',
    next: touch({
      status: 'ACTIVE',
      round: batch.round + 1,
      roundRetries: retries,
      finishedAt: undefined,
      ...qc,
    }),
  };
}

/**
 * A batch notification marked SENDING more than `staleAfterMs` ago: its sender stopped between
 * the mark and the send, or between the send and SENT. A fresh mark (a conditional write of the
 * returned batch) hands it to one new sender, so people get the notice, possibly twice, never not
 * at all. A batch reopened since then is skipped: its next round sends its own notice.
 */
export function resumeNotification(batch: Batch, now: Date, staleAfterMs: number): BatchStep {
  if (batch.notificationState !== 'SENDING') return { kind: 'wait', reason: 'no notification in progress' };
  if (!isFinal(batch) || batch.notifiedRound !== batch.round)
    return { kind: 'wait', reason: `batch is ${batch.status} in round ${batch.round}` };
  const markedAt = Date.parse(batch.notificationAt ?? '');
  // A recorded failure means nobody is sending: no need to wait for the mark to go stale.
  const failed = batch.notificationError !== undefined;
  if (!failed && !Number.isNaN(markedAt) && now.getTime() - markedAt < staleAfterMs)
    return { kind: 'wait', reason: 'the notification is being sent' };
  const at = now.toISOString();
  return {
    kind: 'notify',
    next: {
      ...batch,
      notificationAt: at,
      notificationError: undefined,
      updatedAt: at,
      revision: batch.revision + 1,
    },
  };
}

function finish(
  batch: Batch,
  touch: (changes: Partial<Batch>) => Batch,
  qcState: QcState,
  qcReason: string | undefined,
  at: string,
): BatchStep {
  return {
    kind: 'finish',
    next: touch({
      status: batchOutcome(batch.counts, batch.sampleCount, qcState),
      qcState,
      qcReason,
      finishedAt: at,
      roundRetries: batch.retriesCounted ?? 0,
    }),
  };
}

/** Archived QC inputs as an earlier attempt last saw them, else as registration found them. */
function archivedQcInputs(batch: Batch, existing: Launch | undefined): ArchivedInput[] | undefined {
  const inputs = existing?.archivedInputs ?? batch.qcArchivedInputs;
  return inputs && inputs.length > 0 ? inputs : undefined;
}

export type QcLaunchResult = { ok: true; launch: Launch } | { ok: false; reason: string };

/**
 * The QC launch of the batch's current QC attempt, QUEUED for the launcher: a new item for the
 * first attempt, the next attempt of the same item after that (earlier attempts are kept).
 * `render` fills the QC parameter template with the list of the samples' run outputs.
 */
export function qcLaunchFor(
  batch: Batch,
  existing: Launch | undefined,
  parameters: Record<string, unknown>,
  now: Date,
  /** Why this QC attempt cannot start: it is written LAUNCH_FAILED with the reason instead. */
  refusal?: string,
): QcLaunchResult {
  const qc = batch.qc;
  if (!qc) return { ok: false, reason: 'the batch has no QC' };
  if (existing && existing.attempt >= batch.qcAttempt)
    return { ok: false, reason: 'QC launch already created' };
  if (existing && !isTerminal(existing.status))
    return { ok: false, reason: `QC launch is ${existing.status}` };
  const at = now.toISOString();
  const archivedInputs = archivedQcInputs(batch, existing);
  const base: Launch = {
    launchId: qcLaunchIdFor(batch.batchId),
    batchId: batch.batchId,
    sampleId: QC_SAMPLE_ID,
    kind: 'QC',
    batchName: batch.name,
    workflowId: qc.workflow.id,
    workflowType: qc.workflow.type,
    workflowVersion: qc.workflow.version,
    profile: qc.profile,
    inputs: qc.inputs,
    ...(archivedInputs && { archivedInputs }),
    parameters,
    outputUri: qc.outputUri,
    storageType: qc.storageType,
    storageCapacity: qc.storageCapacity,
    runGroupId: qc.runGroupId,
    runCache: qc.cache,
    priority: qc.priority,
    tags: qc.tags,
    ...(batch.team !== undefined && { team: batch.team }),
    order: batch.sampleCount,
    status: refusal ? 'LAUNCH_FAILED' : 'QUEUED',
    ...(refusal ? { failureReason: refusal, finishedAt: at } : {}),
    attempt: batch.qcAttempt,
    statusHistory: [{ status: refusal ? 'LAUNCH_FAILED' : 'QUEUED', at, source: 'gwm' }],
    attempts: [],
    createdAt: existing?.createdAt ?? at,
    updatedAt: at,
    revision: (existing?.revision ?? 0) + 1,
  };
  if (!existing) return { ok: true, launch: base };
  return {
    ok: true,
    launch: {
      ...base,
      statusHistory: [...existing.statusHistory.slice(-10), ...base.statusHistory],
      attempts: [
        ...existing.attempts,
        {
          attempt: existing.attempt,
          status: existing.status,
          requestId: existing.requestId,
          runId: existing.runId,
          runUuid: existing.runUuid,
          failureReason: existing.failureReason,
          logLocation: existing.logLocation,
          finishedAt: existing.finishedAt,
          cost: existing.cost,
        },
      ],
      note: `QC attempt ${batch.qcAttempt} for round ${batch.round} of the batch.`,
    },
  };
}

/**
 * The largest QC parameters gwm writes into the QC launch item (DynamoDB items stop at 400 KB, and
 * the item also keeps its history and earlier attempts). Every sample's output URI inline is over
 * it from a few thousand samples: such a QC names `{{batch.sampleOutputsListUri}}` instead.
 */
export const QC_PARAMETERS_MAX_BYTES = 256 * 1024;

/** Where the QC run of a batch's QC attempt finds the list of sample outputs (one URI per line). */
export function sampleOutputsListUriFor(batch: Batch): string | undefined {
  if (!batch.qc) return undefined;
  const base = batch.qc.outputUri.endsWith('/') ? batch.qc.outputUri : `${batch.qc.outputUri}/`;
  return `${base}gwm/${batch.batchId}/qc-${batch.qcAttempt}/sample-outputs.txt`;
}

/** Why QC parameters cannot be written as they are, if they cannot. */
export function oversizedQcParameters(parameters: Record<string, unknown>): string | undefined {
  const bytes = new TextEncoder().encode(JSON.stringify(parameters)).length;
  if (bytes <= QC_PARAMETERS_MAX_BYTES) return undefined;
  return (
    `QC not started: its parameters would be ${Math.ceil(bytes / 1024)} KB with every sample's output URI ` +
    `inline (at most ${QC_PARAMETERS_MAX_BYTES / 1024} KB fit in the launch item). Name ` +
    '{{batch.sampleOutputsListUri}} in the QC parameters of the manifest instead: the QC run then gets ' +
    'the S3 URI of a text file listing one sample output per line. The samples and their results are kept.'
  );
}

/** The QC launch's sampleId: `_` cannot start a real sample id. */
export const QC_SAMPLE_ID = '_qc';
