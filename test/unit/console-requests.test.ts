import { describe, expect, it } from 'vitest';
import { countOutcome } from '../../domain/completion.js';
import { consoleEditOf, effectiveStatus, type Launch, type RunStatus } from '../../domain/launch.js';
import {
  applyRunStatus,
  decideLaunch,
  recordDeferral,
  recordSubmission,
  requeue,
} from '../../domain/launch-transitions.js';
import { aLaunch } from '../support/launch-factory.js';
import { claim, claimed, now, observe, submittedAs } from '../support/launch-steps.js';

function inStatus(status: RunStatus): Launch {
  const applied = applyRunStatus(submittedAs(), observe(status, 3), now);
  if (applied.kind !== 'changed') throw new Error(`expected ${status} to apply`);
  return applied.next;
}

/** A person's console edit: `status` changes, nothing else (no revision, no history). */
function typed(launch: Launch, status: Launch['status'], raw?: string): Launch {
  return { ...launch, status, ...(raw === undefined ? {} : { typedStatus: raw }) };
}

describe('which console edits gwm accepts', () => {
  it('takes the status gwm recorded for a terminal status typed on a RUNNING launch', () => {
    const edited = typed(inStatus('RUNNING'), 'COMPLETED');
    expect(effectiveStatus(edited)).toBe('RUNNING');
    expect(consoleEditOf(edited)).toEqual({ kind: 'refused', typed: 'COMPLETED' });
  });

  it('tells RETRY and CANCEL requests from edits it refuses', () => {
    const failed = aLaunch({ status: 'FAILED' });
    expect(consoleEditOf(typed(failed, 'RETRY'))).toEqual({ kind: 'request', request: 'RETRY' });
    expect(consoleEditOf(typed(failed, 'CANCEL'))).toEqual({ kind: 'request', request: 'CANCEL' });
    expect(consoleEditOf(failed)).toEqual({ kind: 'none' });
    expect(consoleEditOf(typed(failed, 'FAILED', 'BOGUS'))).toEqual({ kind: 'refused', typed: 'BOGUS' });
  });
});

describe('a refused console edit', () => {
  it('puts BOGUS back to the recorded status with a note saying what to do', () => {
    const edited = typed(aLaunch({ status: 'FAILED' }), 'FAILED', 'BOGUS');
    const decision = decideLaunch(edited, claim);
    expect(decision.kind).toBe('refuse-edit');
    if (decision.kind !== 'refuse-edit') return;
    expect(decision.next).toMatchObject({ status: 'FAILED', revision: edited.revision + 1 });
    expect(decision.next.typedStatus).toBeUndefined();
    expect(decision.next.note).toMatch(/"BOGUS" refused .*FAILED.*RETRY.*CANCEL/);
  });

  it('puts a typed COMPLETED back on a RUNNING launch and the real COMPLETED still applies', () => {
    const running = inStatus('RUNNING');
    const edited = typed(running, 'COMPLETED');
    // The aggregator counts what gwm recorded, not what was typed
    expect(countOutcome(undefined, edited)).toMatchObject({ kind: 'unchanged' });
    const decision = decideLaunch(edited, claim);
    expect(decision.kind).toBe('refuse-edit');
    if (decision.kind !== 'refuse-edit') return;
    expect(decision.next.status).toBe('RUNNING');
    expect(decision.next.note).toMatch(/"COMPLETED" refused/);
    const completed = applyRunStatus(decision.next, observe('COMPLETED', 9), now);
    expect(completed).toMatchObject({ kind: 'changed', next: { status: 'COMPLETED' } });
  });

  it('applies the real event to a launch whose typed status was not put back yet', () => {
    const edited = typed(inStatus('RUNNING'), 'COMPLETED');
    const completed = applyRunStatus(edited, observe('COMPLETED', 9), now);
    expect(completed).toMatchObject({ kind: 'changed', next: { status: 'COMPLETED' } });
  });

  it('is put back by any gwm write that keeps the status (a re-queue)', () => {
    const edited = typed(aLaunch(), 'QUEUED', 'QUEUD');
    const result = requeue(edited, 'lost record', now);
    expect(result).toMatchObject({ kind: 'changed', next: { status: 'QUEUED' } });
  });
});

describe('cancel', () => {
  it.each(['QUEUED', 'THROTTLED'] as const)('ends a %s launch CANCELLED without a run', (was) => {
    const launch = was === 'QUEUED' ? aLaunch() : aLaunch({ status: 'THROTTLED' });
    const decision = decideLaunch(typed(launch, 'CANCEL'), claim);
    expect(decision.kind).toBe('cancel');
    if (decision.kind !== 'cancel') return;
    expect(decision.runId).toBeUndefined();
    expect(decision.next).toMatchObject({ status: 'CANCELLED', finishedAt: now.toISOString() });
    expect(decision.next.failureReason).toMatch(/[Cc]ancelled .*before a run was started/);
    expect(decision.next.statusHistory.slice(-2)).toEqual([
      { status: 'CANCEL', at: now.toISOString(), source: 'console' },
      { status: 'CANCELLED', at: now.toISOString(), source: 'gwm' },
    ]);
    expect(countOutcome(undefined, decision.next)).toMatchObject({ kind: 'count', delta: { cancelled: 1 } });
  });

  it('asks the engine to cancel the run of a RUNNING launch and keeps it RUNNING until it says so', () => {
    const decision = decideLaunch(typed(inStatus('RUNNING'), 'CANCEL'), claim);
    expect(decision.kind).toBe('cancel');
    if (decision.kind !== 'cancel') return;
    expect(decision.runId).toBe('2101313');
    expect(decision.next.status).toBe('RUNNING');
    expect(decision.next.cancelRequestedAt).toBeUndefined();
    expect(decision.next.note).toMatch(/CancelRun sent for run 2101313/);
  });

  it('accepts cancel in any case and with spaces, as the reader normalises it', () => {
    // The reader turns " cancel " into CANCEL (functions/adapters/records.ts); here it is CANCEL.
    const decision = decideLaunch(typed(inStatus('PENDING'), 'CANCEL'), claim);
    expect(decision).toMatchObject({ kind: 'cancel', runId: '2101313' });
  });

  it('records a cancel of a launch mid-StartRun and cancels once the run id is known', () => {
    const submitting = claimed();
    const decision = decideLaunch(typed(submitting, 'CANCEL'), claim);
    expect(decision.kind).toBe('cancel');
    if (decision.kind !== 'cancel') return;
    expect(decision.runId).toBeUndefined();
    expect(decision.next).toMatchObject({ status: 'SUBMITTING', cancelRequestedAt: now.toISOString() });
    // The launcher that holds the claim records its run: the request travels with it
    const recorded = recordSubmission(decision.next, { runId: '2101313' }, now);
    if (recorded.kind !== 'changed') throw new Error('expected the run to be recorded');
    expect(recorded.next).toMatchObject({ status: 'SUBMITTED', cancelRequestedAt: now.toISOString() });
    const next = decideLaunch(recorded.next, claim);
    expect(next).toMatchObject({ kind: 'cancel', runId: '2101313' });
  });

  it("takes over a dead launcher's claim of a launch with a pending cancel, so its run is found and cancelled", () => {
    const pending = decideLaunch(typed(claimed(), 'CANCEL'), claim);
    if (pending.kind !== 'cancel') throw new Error('expected a pending cancel');
    // The claimant is still at work: wait for the run id it records
    expect(decideLaunch(pending.next, claim)).toMatchObject({ kind: 'skip' });
    // Its lease ran out (it died): the same attempt and requestId are sent again
    const later = { ...claim, now: new Date(now.getTime() + 120_000), claimToken: 'token-2' };
    expect(decideLaunch(pending.next, later)).toMatchObject({
      kind: 'claim',
      takeover: true,
      next: { status: 'SUBMITTING', requestId: 'b1/NA12878/1', cancelRequestedAt: now.toISOString() },
    });
  });

  it('keeps a CANCEL a StartRun answer overtakes, as a pending request', () => {
    const edited = typed(claimed(), 'CANCEL');
    const recorded = recordSubmission(edited, { runId: '2101313' }, now);
    expect(recorded).toMatchObject({
      kind: 'changed',
      next: { status: 'SUBMITTED', cancelRequestedAt: now.toISOString() },
    });
  });

  it('ends a cancelled launch CANCELLED when StartRun was deferred meanwhile', () => {
    const pending = decideLaunch(typed(claimed(), 'CANCEL'), claim);
    if (pending.kind !== 'cancel') throw new Error('expected a pending cancel');
    const deferred = recordDeferral(pending.next, 'throttled', now);
    if (deferred.kind !== 'changed') throw new Error('expected a deferral');
    expect(decideLaunch(deferred.next, claim)).toMatchObject({
      kind: 'cancel',
      next: { status: 'CANCELLED' },
    });
  });

  it('refuses CANCEL on a finished launch with a note', () => {
    const decision = decideLaunch(typed(inStatus('COMPLETED'), 'CANCEL'), claim);
    expect(decision.kind).toBe('refuse-cancel');
    if (decision.kind !== 'refuse-cancel') return;
    expect(decision.next.status).toBe('COMPLETED');
    expect(decision.next.note).toMatch(/CANCEL refused .*COMPLETED/);
  });
});
