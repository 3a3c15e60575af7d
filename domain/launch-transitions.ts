import { decideCancel, refuseEdit } from './console-requests.js';
import { inputsToRestoreAgain, waitAgain, waitingInputs } from './inputs/restore.js';
import {
  type ArchivedInput,
  consoleEditOf,
  effectiveStatus,
  historyEntry as entry,
  isTerminal,
  type Launch,
  type LaunchStatus,
  MAX_ATTEMPTS_KEPT,
  RETRYABLE_STATUSES,
  type RunStatus,
  requestIdFor,
  runNameFor,
  touchLaunch as touch,
  withHistory,
} from './launch.js';
import { WAITING_STATUSES } from './scheduling/launch-queue.js';
import { clipStart } from './text.js';

/** What a status observation or a launcher step decided. Nothing here writes: callers persist `next`. */
export type Transition = { kind: 'changed'; next: Launch };
export type Ignored = { kind: 'ignored'; reason: IgnoreReason; detail: string };
export type IgnoreReason = 'duplicate' | 'regression' | 'stale-attempt' | 'not-submitted' | 'conflict';

export const FAILURE_REASON_MAX = 2_000;
export const LOG_EXCERPT_MAX = 8_000;

// Engine statuses only move forward. DELETED ranks below the other terminal statuses so a run
// deleted after it completed keeps its outcome whatever order the two events arrive in.
const RANK: Partial<Record<LaunchStatus, number>> = {
  SUBMITTING: 1,
  THROTTLED: 1,
  SUBMITTED: 2,
  PENDING: 3,
  STARTING: 4,
  RUNNING: 5,
  STOPPING: 6,
  DELETED: 7,
  COMPLETED: 8,
  FAILED: 8,
  CANCELLED: 8,
};

export type LaunchDecision =
  | { kind: 'claim'; next: Launch; retry: boolean; takeover: boolean }
  | { kind: 'refuse-retry'; next: Launch }
  /** A status a person typed that gwm does not accept: `next` puts the recorded one back. */
  | { kind: 'refuse-edit'; next: Launch; typed: string }
  /**
   * A cancel: with `runId`, CancelRun first, then `next` (the launch ends through the engine's
   * events); without, `next` alone (ended CANCELLED, or the request kept until the run id is known).
   */
  | { kind: 'cancel'; next: Launch; runId?: string }
  | { kind: 'refuse-cancel'; next: Launch }
  /**
   * Archived inputs must be restored (again) first: `next` is WAITING_FOR_INPUTS, and the launcher
   * asks S3 for `inputs` (a restore that failed, a copy that expired, or a RETRY while waiting).
   */
  | { kind: 'wait-for-inputs'; next: Launch; inputs: ArchivedInput[] }
  | { kind: 'skip'; reason: string };

export interface ClaimContext {
  now: Date;
  /** Unique per invocation: lets a later invocation tell a live claim from an abandoned one. */
  claimToken: string;
  leaseMs: number;
}

/**
 * What the launcher does with a launch it was told about. A claim moves it to SUBMITTING for one
 * attempt; only the writer whose conditional write lands may call StartRun.
 */
export function decideLaunch(launch: Launch, ctx: ClaimContext): LaunchDecision {
  const claimExpiresAt = new Date(ctx.now.getTime() + ctx.leaseMs).toISOString();
  const edit = consoleEditOf(launch);
  if (edit.kind === 'refused') {
    return { kind: 'refuse-edit', next: refuseEdit(launch, edit.typed, ctx.now), typed: edit.typed };
  }
  if (launch.status === 'CANCEL' || (launch.status !== 'RETRY' && launch.cancelRequestedAt)) {
    const cancel = decideCancel(launch, ctx.now);
    if (cancel) return cancel;
  }
  switch (launch.status) {
    case 'QUEUED':
    case 'THROTTLED': {
      const expired = inputsToRestoreAgain(launch, ctx.now);
      if (expired.length > 0) {
        const note =
          `Waiting again at ${ctx.now.toISOString()}: the restored copy of ${expired[0]?.uri}` +
          `${expired.length > 1 ? ` and ${expired.length - 1} more` : ''} expired before the run started; restored again.`;
        return { kind: 'wait-for-inputs', next: waitAgain(launch, expired, ctx.now, note), inputs: expired };
      }
      // Queued with an archived input not known to be back (the QC launch, created long after
      // registration asked for its inputs): its restore is looked at before any run.
      const notBack = waitingInputs(launch);
      if (notBack.length > 0) {
        const note =
          `Waiting at ${ctx.now.toISOString()}: ${notBack[0]?.uri}` +
          `${notBack.length > 1 ? ` and ${notBack.length - 1} more` : ''} archived and not known to be restored; its restore is looked at.`;
        return { kind: 'wait-for-inputs', next: waitAgain(launch, notBack, ctx.now, note), inputs: notBack };
      }
      const next = touch(launch, ctx.now, {
        status: 'SUBMITTING',
        requestId: requestIdFor(launch.launchId, launch.attempt),
        runName: runNameFor(launch.batchName, launch.sampleId, launch.attempt),
        claimToken: ctx.claimToken,
        claimExpiresAt,
        statusHistory: withHistory(launch.statusHistory, entry('SUBMITTING', ctx.now, 'gwm')),
      });
      return { kind: 'claim', next, retry: false, takeover: false };
    }
    case 'SUBMITTING': {
      if (launch.claimExpiresAt && launch.claimExpiresAt > ctx.now.toISOString()) {
        return { kind: 'skip', reason: `claimed by another invocation until ${launch.claimExpiresAt}` };
      }
      // The claimant died between its claim and its write: the same attempt and requestId are
      // safe to send again, the engine answers with the run it already created.
      const next = touch(launch, ctx.now, { claimToken: ctx.claimToken, claimExpiresAt });
      return { kind: 'claim', next, retry: false, takeover: true };
    }
    case 'RETRY':
      return decideRetry(launch, ctx, claimExpiresAt);
    default:
      return { kind: 'skip', reason: `status ${launch.status} is not launchable` };
  }
}

function decideRetry(launch: Launch, ctx: ClaimContext, claimExpiresAt: string): LaunchDecision {
  const was = effectiveStatus(launch);
  const requested = withHistory(launch.statusHistory, entry('RETRY', ctx.now, 'console'));
  if (was === 'WAITING_FOR_INPUTS') {
    // Looked at again now: a restore that failed or was lost is asked for again, one done is taken.
    const note = `Retry requested at ${ctx.now.toISOString()}: the restores of its archived inputs are looked at again.`;
    const waiting = waitingInputs(launch);
    return {
      kind: 'wait-for-inputs',
      next: touch(launch, ctx.now, { status: was, note, statusHistory: requested }),
      inputs: waiting,
    };
  }
  if (!RETRYABLE_STATUSES.has(was)) {
    const note =
      `RETRY refused at ${ctx.now.toISOString()}: the launch is ${was}; only FAILED, CANCELLED, ` +
      'DELETED or LAUNCH_FAILED launches can be retried. Nothing was launched.';
    return {
      kind: 'refuse-retry',
      next: touch(launch, ctx.now, { status: was, note, statusHistory: requested }),
    };
  }
  const attempt = launch.attempt + 1;
  const previous = {
    attempt: launch.attempt,
    status: was,
    requestId: launch.requestId,
    runId: launch.runId,
    runUuid: launch.runUuid,
    failureReason: launch.failureReason,
    logLocation: launch.logLocation,
    finishedAt: launch.finishedAt,
    cost: launch.cost,
  };
  const next = touch(launch, ctx.now, {
    status: 'SUBMITTING',
    attempt,
    requestId: requestIdFor(launch.launchId, attempt),
    runName: runNameFor(launch.batchName, launch.sampleId, attempt),
    attempts: [...launch.attempts, previous].slice(-MAX_ATTEMPTS_KEPT),
    cost: undefined,
    runId: undefined,
    runUuid: undefined,
    runArn: undefined,
    runOutputUri: undefined,
    failureReason: undefined,
    statusMessage: undefined,
    logLocation: undefined,
    logExcerpt: undefined,
    submittedAt: undefined,
    finishedAt: undefined,
    throttledCount: undefined,
    cancelRequestedAt: undefined,
    note: `Retry requested at ${ctx.now.toISOString()}: attempt ${attempt} replaces attempt ${launch.attempt} (${was}).`,
    claimToken: ctx.claimToken,
    claimExpiresAt,
    statusHistory: withHistory(requested, entry('SUBMITTING', ctx.now, 'gwm')),
  });
  // An input that could not be restored (or whose copy expired) is restored first: the new attempt waits.
  const again = inputsToRestoreAgain(launch, ctx.now);
  if (again.length > 0) {
    const waiting = waitAgain(
      { ...next, claimToken: undefined, claimExpiresAt: undefined, statusHistory: requested },
      again,
      ctx.now,
      `Retry requested at ${ctx.now.toISOString()}: attempt ${attempt} waits for ${again.length} archived input(s) to be restored again.`,
    );
    return { kind: 'wait-for-inputs', next: waiting, inputs: again };
  }
  return { kind: 'claim', next, retry: true, takeover: false };
}

export interface SubmittedRun {
  runId: string;
  runUuid?: string;
  runArn?: string;
}

/** StartRun answered: store the run's identity. An event may have moved the launch on already. */
export function recordSubmission(launch: Launch, run: SubmittedRun, now: Date): Transition | Ignored {
  const ids = {
    runId: run.runId,
    runUuid: run.runUuid ?? launch.runUuid,
    runArn: run.runArn ?? launch.runArn,
  };
  if (effectiveStatus(launch) === 'SUBMITTING') {
    return leaveSubmitting(launch, now, 'SUBMITTED', { ...ids, submittedAt: now.toISOString() });
  }
  if (launch.runId === run.runId)
    return { kind: 'ignored', reason: 'duplicate', detail: 'run already recorded' };
  if (!launch.runId && (RANK[effectiveStatus(launch)] ?? 0) > 1) {
    return {
      kind: 'changed',
      next: touch(launch, now, { ...ids, submittedAt: launch.submittedAt ?? now.toISOString() }),
    };
  }
  return {
    kind: 'ignored',
    reason: 'conflict',
    detail: `launch is ${launch.status} with run ${launch.runId ?? '-'}`,
  };
}

/** The engine is throttling or unavailable: hand the launch back to the queue, same attempt. */
export function recordDeferral(launch: Launch, reason: string, now: Date): Transition | Ignored {
  if (effectiveStatus(launch) !== 'SUBMITTING') return ignored('conflict', `launch is ${launch.status}`);
  return leaveSubmitting(launch, now, 'THROTTLED', {
    throttledCount: (launch.throttledCount ?? 0) + 1,
    note: `StartRun deferred at ${now.toISOString()}: ${reason}`.slice(0, FAILURE_REASON_MAX),
  });
}

/** The engine refused the run for good (validation, access, not found, quota). */
export function recordLaunchFailure(
  launch: Launch,
  code: string,
  message: string,
  now: Date,
): Transition | Ignored {
  if (effectiveStatus(launch) !== 'SUBMITTING') return ignored('conflict', `launch is ${launch.status}`);
  return leaveSubmitting(launch, now, 'LAUNCH_FAILED', {
    failureReason: `${code}: ${message}`.slice(0, FAILURE_REASON_MAX),
    finishedAt: now.toISOString(),
  });
}

/** The launcher's StartRun step is over: the launch takes `status` and its claim is released. */
function leaveSubmitting(
  launch: Launch,
  now: Date,
  status: LaunchStatus,
  fields: Partial<Launch>,
): Transition {
  return {
    kind: 'changed',
    next: touch(launch, now, {
      ...fields,
      status,
      claimToken: undefined,
      claimExpiresAt: undefined,
      statusHistory: withHistory(launch.statusHistory, entry(status, now, 'gwm')),
    }),
  };
}

/**
 * What is known about a run at one moment: from an event, or from asking the engine. Its run
 * fields are the launch's, as the launch records them.
 */
export interface RunObservation
  extends Pick<
    Launch,
    'runUuid' | 'runArn' | 'runOutputUri' | 'failureReason' | 'statusMessage' | 'logLocation' | 'logExcerpt'
  > {
  runId: string;
  status: RunStatus;
  /** When the engine reported it (the event's time). */
  at: string;
  source: 'event' | 'reconciler';
  /** The attempt the run belongs to, when known (from the run's tags). */
  attempt?: number;
}

/** Applies a run's status to its launch, forward only. */
export function applyRunStatus(launch: Launch, obs: RunObservation, now: Date): Transition | Ignored {
  const current = effectiveStatus(launch);
  if (obs.attempt !== undefined && obs.attempt !== launch.attempt) {
    return ignored('stale-attempt', `run of attempt ${obs.attempt}, launch is at attempt ${launch.attempt}`);
  }
  if (launch.runUuid && obs.runUuid && launch.runUuid !== obs.runUuid) {
    return ignored('stale-attempt', `run uuid ${obs.runUuid} is not the launch's run ${launch.runUuid}`);
  }
  if (launch.runId && launch.runId !== obs.runId) {
    return ignored('stale-attempt', `run ${obs.runId} is not the launch's run ${launch.runId}`);
  }
  const currentRank = RANK[current];
  if (currentRank === undefined) return ignored('not-submitted', `launch is ${current}`);
  const newRank = RANK[obs.status] ?? 0;
  if (obs.status === current) return ignored('duplicate', `already ${current}`);
  if (newRank < currentRank) return ignored('regression', `${obs.status} after ${current}`);
  if (newRank === currentRank) return ignored('conflict', `${obs.status} after ${current}`);

  const terminal = isTerminal(obs.status);
  const failed = obs.status === 'FAILED' || obs.status === 'CANCELLED';
  // The reconciler explains a run the engine no longer knows; an event's DELETED carries no reason.
  const explainedDeletion = obs.status === 'DELETED' && obs.failureReason !== undefined;
  const next = touch(launch, now, {
    status: obs.status,
    runId: launch.runId ?? obs.runId,
    runUuid: launch.runUuid ?? obs.runUuid,
    runArn: launch.runArn ?? obs.runArn,
    submittedAt: launch.submittedAt ?? now.toISOString(),
    claimToken: undefined,
    claimExpiresAt: undefined,
    statusHistory: withHistory(launch.statusHistory, entry(obs.status, obs.at, obs.source)),
    ...(terminal ? { finishedAt: obs.at } : {}),
    ...(obs.status === 'COMPLETED' && obs.runOutputUri ? { runOutputUri: obs.runOutputUri } : {}),
    ...(failed
      ? {
          failureReason: obs.failureReason?.slice(0, FAILURE_REASON_MAX),
          statusMessage: obs.statusMessage?.slice(0, FAILURE_REASON_MAX),
          logLocation: obs.logLocation,
          logExcerpt: obs.logExcerpt ? clipStart(obs.logExcerpt, LOG_EXCERPT_MAX) : undefined,
        }
      : {}),
    ...(explainedDeletion ? { failureReason: obs.failureReason?.slice(0, FAILURE_REASON_MAX) } : {}),
  });
  return { kind: 'changed', next };
}

/**
 * A QUEUED or THROTTLED launch no launcher picked up: its stream record may have gone to the
 * dead-letter queue. Rewriting it (same status, next revision) sends the launcher a fresh record.
 */
export function requeue(launch: Launch, reason: string, now: Date): Transition | Ignored {
  const current = effectiveStatus(launch);
  if (current !== 'QUEUED' && current !== 'THROTTLED') {
    return ignored('conflict', `launch is ${current}`);
  }
  const note = `Re-queued at ${now.toISOString()}: ${reason}`.slice(0, FAILURE_REASON_MAX);
  return { kind: 'changed', next: touch(launch, now, { note }) };
}

/**
 * A launch whose stream record a consumer gave up on (it is in a failure queue): rewriting it, same
 * status and next revision, makes the stream deliver it to both consumers again. A waiting launch or
 * a request (RETRY, CANCEL) reaches the launcher; a finished one reaches the aggregator,
 * which counts each attempt once and moves the batch on. A launch on its way to a run or running is
 * left alone: the tracker and the reconciler follow it.
 */
export function redrive(launch: Launch, reason: string, now: Date): Transition | Ignored {
  const current = effectiveStatus(launch);
  if (!WAITING_STATUSES.has(current) && !isTerminal(current) && consoleEditOf(launch).kind !== 'request') {
    return ignored('conflict', `launch is ${current}`);
  }
  const note = `Re-driven at ${now.toISOString()}: ${reason}`.slice(0, FAILURE_REASON_MAX);
  return { kind: 'changed', next: touch(launch, now, { note }) };
}

/**
 * The engine confirmed the launch's status: record that it was looked at (updatedAt moves), so
 * the reconciler's next sweep reaches launches it has not checked yet instead of the same ones.
 */
export function confirmStatus(launch: Launch, status: RunStatus, now: Date): Transition | Ignored {
  if (effectiveStatus(launch) !== status)
    return ignored('conflict', `launch is ${launch.status}, engine says ${status}`);
  return { kind: 'changed', next: touch(launch, now, {}) };
}

function ignored(reason: IgnoreReason, detail: string): Ignored {
  return { kind: 'ignored', reason, detail };
}
