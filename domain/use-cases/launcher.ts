import { backoffMs } from '../backoff.js';
import { cancelRefusedByEngine } from '../console-requests.js';
import { RetryableError } from '../errors.js';
import { dueBy, inputRestored, inputRestoreFailed } from '../inputs/restore.js';
import type { ArchivedInput, Launch } from '../launch.js';
import {
  decideLaunch,
  recordDeferral,
  recordLaunchFailure,
  recordSubmission,
} from '../launch-transitions.js';
import type { LaunchRepository, WorkflowEngine } from '../ports.js';
import { buildRunRequest } from '../run-request.js';
import { WAITING_STATUSES } from '../scheduling/launch-queue.js';
import type { Pacer } from './pace.js';
import { persistTransition } from './persist.js';
import type { RegistrationGate } from './registration-gate.js';
import { type RestoreDeps, requestRestores } from './request-restores.js';

export interface RetrySettings {
  /** StartRun calls per claim before the launch is handed back to the queue (THROTTLED). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface LauncherDeps {
  launches: LaunchRepository;
  engine: WorkflowEngine;
  pacer: Pacer;
  roleArn: string;
  leaseMs: number;
  retry: RetrySettings;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** Unique per call: identifies this claim. */
  newClaimToken: () => string;
  /** 0..1, spreads retries of concurrent launchers apart. */
  random: () => number;
  /** Archived inputs restored again (a copy expired before the run, a retry after a failed restore). */
  restores: RestoreDeps;
  /** Holds the launches of a batch still being registered. */
  registration: RegistrationGate;
}

export type LaunchOutcome =
  | { kind: 'started'; launch: Launch; runId: string; retry: boolean; throttles: number }
  | { kind: 'deferred'; launch: Launch; reason: string; throttles: number }
  | { kind: 'launch-failed'; launch: Launch; code: string; message: string; throttles: number }
  | { kind: 'retry-refused'; launch: Launch }
  /** A status a person typed that gwm does not accept was put back, with a note. */
  | { kind: 'edit-refused'; launch: Launch; typed: string }
  /** ended: CANCELLED with no run; runId: CancelRun sent; neither: kept until the run id is known. */
  | { kind: 'cancelled'; launch: Launch; ended: boolean; runId?: string }
  /** CANCEL of a finished launch, or a CancelRun the engine refused: put back with a note. */
  | { kind: 'cancel-refused'; launch: Launch }
  /** Back in (or still in) WAITING_FOR_INPUTS: its archived inputs are being restored again. */
  | { kind: 'waiting'; launch: Launch; inputs: number }
  | { kind: 'skipped'; launchId: string; reason: string };

export interface LaunchRef {
  batchId: string;
  launchId: string;
}

const CLAIM_ROUNDS = 5;

/**
 * Starts the run of one launch, exactly once per attempt: claim (conditional write to SUBMITTING),
 * then StartRun with the attempt's requestId, then record the run. Throttling and engine faults
 * are retried with backoff; when they persist the launch goes back to the queue, never lost.
 */
export async function startLaunch(deps: LauncherDeps, ref: LaunchRef): Promise<LaunchOutcome> {
  // All or nothing: a batch's launches are written QUEUED before the batch is registered.
  if ((await deps.registration.awaitRegistered(ref.batchId)) === 'stopped') {
    return {
      kind: 'skipped',
      launchId: ref.launchId,
      reason: "its batch's registration stopped before it finished; the resumed registration starts it",
    };
  }
  const claimed = await claim(deps, ref);
  if (claimed.kind !== 'claimed') return claimed.outcome;
  return submit(deps, claimed);
}

/**
 * StartRun for a claimed launch, with its attempt's requestId, then the run recorded. Every call
 * takes a token first, except the first one when the caller already holds a token for it.
 */
export async function submit(
  deps: LauncherDeps,
  claimed: { launch: Launch; retry: boolean },
  options: { tokenHeld?: boolean } = {},
): Promise<LaunchOutcome> {
  const { launch, retry } = claimed;
  let throttles = 0;
  let lastError = '';
  for (let call = 1; call <= deps.retry.attempts; call++) {
    if (call > 1 || !options.tokenHeld) await deps.pacer.acquire();
    const result = await deps.engine.startRun(buildRunRequest(launch, deps.roleArn));
    if (result.ok) {
      const run = { runId: result.runId, runUuid: result.runUuid, runArn: result.runArn };
      const saved = await persistTransition(deps.launches, launch, (current) =>
        recordSubmission(current, run, deps.now()),
      );
      const stored = saved.kind === 'changed' ? saved.next : saved.kind === 'gone' ? launch : saved.launch;
      return { kind: 'started', launch: stored, runId: result.runId, retry, throttles };
    }
    if (!result.retryable) {
      const saved = await persistTransition(deps.launches, launch, (current) =>
        recordLaunchFailure(current, result.code, result.message, deps.now()),
      );
      const stored = saved.kind === 'changed' ? saved.next : launch;
      return { kind: 'launch-failed', launch: stored, code: result.code, message: result.message, throttles };
    }
    if (result.throttled) throttles++;
    lastError = `${result.code}: ${result.message}`;
    if (call < deps.retry.attempts) await deps.sleep(backoff(deps, call));
  }
  const reason = `${deps.retry.attempts} StartRun calls failed, last: ${lastError}`;
  const saved = await persistTransition(deps.launches, launch, (current) =>
    recordDeferral(current, reason, deps.now()),
  );
  return { kind: 'deferred', launch: saved.kind === 'changed' ? saved.next : launch, reason, throttles };
}

export type Claimed =
  | { kind: 'claimed'; launch: Launch; retry: boolean }
  | { kind: 'done'; outcome: LaunchOutcome };

/**
 * Reads the launch and acts on what it asks for: a claim to start it, or a request or edit carried
 * out. `onlyWaiting`: the queue offers the launch to whoever holds a token; anything but a launch
 * still waiting (QUEUED, THROTTLED, nothing typed over it) is left to its own stream record.
 */
export async function claim(
  deps: LauncherDeps,
  ref: LaunchRef,
  options: { onlyWaiting?: boolean } = {},
): Promise<Claimed> {
  for (let round = 0; round < CLAIM_ROUNDS; round++) {
    const launch = await deps.launches.get(ref.batchId, ref.launchId);
    if (!launch)
      return { kind: 'done', outcome: { kind: 'skipped', launchId: ref.launchId, reason: 'no such launch' } };
    if (options.onlyWaiting && (launch.typedStatus !== undefined || !WAITING_STATUSES.has(launch.status))) {
      return {
        kind: 'done',
        outcome: { kind: 'skipped', launchId: ref.launchId, reason: `no longer waiting (${launch.status})` },
      };
    }
    const decision = decideLaunch(launch, {
      now: deps.now(),
      claimToken: deps.newClaimToken(),
      leaseMs: deps.leaseMs,
    });
    if (decision.kind === 'skip') {
      return { kind: 'done', outcome: { kind: 'skipped', launchId: ref.launchId, reason: decision.reason } };
    }
    let next = decision.next;
    let cancelRefused = false;
    if (decision.kind === 'cancel' && decision.runId) {
      // CancelRun before the write: a redelivered record finds the request still there and asks
      // again (harmless), whereas a write first would lose the request if the call then failed.
      const cancelled = await deps.engine.cancelRun(decision.runId);
      if (!cancelled.ok && cancelled.retryable) {
        throw new RetryableError(
          'CANCEL_RUN_FAILED',
          `CancelRun for run ${decision.runId} failed (${cancelled.code}: ${cancelled.message}); asked again on retry`,
        );
      }
      if (!cancelled.ok) {
        next = cancelRefusedByEngine(launch, cancelled.code, cancelled.message, deps.now());
        cancelRefused = true;
      }
    }
    // A lost race means another launcher (or the tracker, or a person) wrote first: look again.
    if ((await deps.launches.replace(launch, next)) === 'conflict') continue;
    switch (decision.kind) {
      case 'refuse-retry':
        return { kind: 'done', outcome: { kind: 'retry-refused', launch: next } };
      case 'refuse-edit':
        return { kind: 'done', outcome: { kind: 'edit-refused', launch: next, typed: decision.typed } };
      case 'refuse-cancel':
        return { kind: 'done', outcome: { kind: 'cancel-refused', launch: next } };
      case 'cancel': {
        const outcome: LaunchOutcome = cancelRefused
          ? { kind: 'cancel-refused', launch: next }
          : { kind: 'cancelled', launch: next, ended: next.status === 'CANCELLED', runId: decision.runId };
        return { kind: 'done', outcome };
      }
      case 'claim':
        return { kind: 'claimed', launch: next, retry: decision.retry };
      case 'wait-for-inputs':
        return { kind: 'done', outcome: await restoreAgain(deps, next, decision.inputs) };
    }
  }
  return {
    kind: 'done',
    outcome: { kind: 'skipped', launchId: ref.launchId, reason: 'kept losing the claim race' },
  };
}

/**
 * Asks S3 again for the launch's archived inputs (one restore per object, shared with every launch
 * that needs it) and applies where each stands: restored ones are noted (the launch is QUEUED once
 * none is missing), refused ones fail the launch.
 */
async function restoreAgain(
  deps: LauncherDeps,
  launch: Launch,
  inputs: ArchivedInput[],
): Promise<LaunchOutcome> {
  const outlook = await requestRestores(
    deps.restores,
    inputs.map((input) => ({
      uri: input.uri,
      storageClass: input.storageClass,
      archiveTier: input.storageClass,
      seen: 'not-looked-at' as const,
      waiters: [{ batchId: launch.batchId, launchId: launch.launchId }],
    })),
  );
  let current = launch;
  for (const [uri, state] of outlook) {
    if (state.kind === 'waiting') {
      const saved = await persistTransition(deps.launches, current, (stored) =>
        dueBy(stored, uri, state.dueAt, deps.now()),
      );
      if (saved.kind === 'changed') current = saved.next;
      continue;
    }
    const saved = await persistTransition(deps.launches, current, (stored) =>
      state.kind === 'restored'
        ? inputRestored(stored, uri, deps.now(), state.expiresAt)
        : inputRestoreFailed(stored, uri, state.reason, deps.now()),
    );
    if (saved.kind === 'changed') current = saved.next;
  }
  return { kind: 'waiting', launch: current, inputs: inputs.length };
}

/** The longest wait after StartRun call number `call` (1-based) before the next one. */
export function backoffCeilingMs(retry: RetrySettings, call: number): number {
  return backoffMs(call, { baseMs: retry.baseDelayMs, maxMs: retry.maxDelayMs });
}

function backoff(deps: LauncherDeps, call: number): number {
  const ceiling = backoffCeilingMs(deps.retry, call);
  // Full jitter: concurrent launchers throttled together must not come back together.
  return Math.round(ceiling / 2 + (ceiling / 2) * deps.random());
}
