import { describe, expect, it } from 'vitest';
import { type Batch, NO_COUNTS } from '../../domain/batch.js';
import {
  countOutcome,
  evaluateQcPolicy,
  nextBatchStep,
  type OutcomeMark,
  resumeNotification,
} from '../../domain/completion.js';
import { aBatch as aBatchOf, aLaunch } from '../support/launch-factory.js';

const now = new Date('2026-11-20T12:00:00.000Z');

const aBatch = (overrides: Partial<Batch> = {}): Batch =>
  aBatchOf({
    name: 'FC',
    sourceUri: 's3://m/fc.json',
    sampleCount: 4,
    releasedCount: 4,
    revision: 3,
    ...overrides,
  });

const mark = (attempt: number, outcome: OutcomeMark['outcome']): OutcomeMark => ({
  batchId: 'b1',
  launchId: 'b1/NA12878',
  attempt,
  outcome,
  revision: attempt,
});

describe('counting outcomes', () => {
  it('counts a terminal attempt once', () => {
    const failed = aLaunch({ status: 'FAILED' });
    const first = countOutcome(undefined, failed);
    expect(first).toMatchObject({
      kind: 'count',
      delta: { failed: 1 },
      mark: { attempt: 1, outcome: 'failed' },
    });
    expect(countOutcome(mark(1, 'failed'), failed).kind).toBe('unchanged');
  });

  it('takes a failure back out when its retry starts, then counts the new outcome', () => {
    const retrying = aLaunch({ status: 'SUBMITTING', attempt: 2 });
    const reopened = countOutcome(mark(1, 'failed'), retrying);
    expect(reopened).toMatchObject({
      kind: 'count',
      delta: { failed: -1 },
      mark: { attempt: 2, outcome: 'NONE' },
    });
    expect(countOutcome(mark(2, 'NONE'), aLaunch({ status: 'COMPLETED', attempt: 2 }))).toMatchObject({
      delta: { succeeded: 1 },
    });
  });

  it('moves a failure straight to the new outcome when the retry start was not seen', () => {
    expect(countOutcome(mark(1, 'failed'), aLaunch({ status: 'COMPLETED', attempt: 2 }))).toMatchObject({
      delta: { succeeded: 1, failed: -1 },
    });
  });

  it('counts each later attempt as a retry once, whether it is seen running or only finished', () => {
    expect(countOutcome(mark(1, 'failed'), aLaunch({ status: 'SUBMITTING', attempt: 2 }))).toMatchObject({
      delta: { failed: -1, retries: 1 },
    });
    expect(countOutcome(mark(2, 'NONE'), aLaunch({ status: 'FAILED', attempt: 2 }))).toMatchObject({
      delta: { failed: 1 },
    });
    expect(
      (countOutcome(mark(2, 'NONE'), aLaunch({ status: 'FAILED', attempt: 2 })) as { delta: object }).delta,
    ).not.toHaveProperty('retries');
    // The retry failed again before the aggregator saw it run: the counts net to zero, the retry does not.
    expect(countOutcome(mark(1, 'failed'), aLaunch({ status: 'FAILED', attempt: 2 }))).toMatchObject({
      delta: { failed: 0, retries: 1 },
      mark: { attempt: 2, outcome: 'failed' },
    });
  });

  it('ignores records of an earlier attempt and of first claims', () => {
    expect(countOutcome(mark(2, 'NONE'), aLaunch({ status: 'FAILED', attempt: 1 })).kind).toBe('unchanged');
    expect(countOutcome(undefined, aLaunch({ status: 'SUBMITTING' })).kind).toBe('unchanged');
  });
});

describe('QC policies at their boundaries', () => {
  const counts = (succeeded: number) => ({ ...NO_COUNTS, succeeded, failed: 10 - succeeded });
  it.each([
    [{ kind: 'all-succeeded' as const }, 10, true],
    [{ kind: 'all-succeeded' as const }, 9, false],
    [{ kind: 'any-completed' as const }, 1, true],
    [{ kind: 'any-completed' as const }, 0, false],
    [{ kind: 'min-succeeded-fraction' as const, fraction: 0.9 }, 9, true],
    [{ kind: 'min-succeeded-fraction' as const, fraction: 0.9 }, 8, false],
    [{ kind: 'min-succeeded-fraction' as const, fraction: 0.85 }, 9, true],
    [{ kind: 'min-succeeded-fraction' as const, fraction: 1 }, 10, true],
  ])('%o with %i of 10 succeeded: met=%s', (policy, succeeded, met) => {
    expect(evaluateQcPolicy(policy, counts(succeeded), 10).met).toBe(met);
  });
});

describe('next batch step', () => {
  const qc = {
    workflow: { id: '7', type: 'PRIVATE' as const },
    outputUri: 's3://r/qc/',
    storageType: 'DYNAMIC' as const,
    tags: {},
    inputs: {},
    parameterTemplate: {},
    policy: { kind: 'all-succeeded' as const },
    rerunOnRetry: true,
  };

  it('waits while samples are running', () => {
    expect(nextBatchStep(aBatch({ counts: { ...NO_COUNTS, succeeded: 3 } }), undefined, now).kind).toBe(
      'wait',
    );
  });

  it('starts QC once the policy is met, as attempt 1', () => {
    const step = nextBatchStep(
      aBatch({ qc, qcState: 'WAITING', counts: { ...NO_COUNTS, succeeded: 4 } }),
      undefined,
      now,
    );
    expect(step).toMatchObject({
      kind: 'start-qc',
      next: { status: 'QC_RUNNING', qcAttempt: 1, qcState: 'RUNNING' },
    });
  });

  it('finishes with QC skipped and the reason when the policy is not met', () => {
    const batch = aBatch({ qc, qcState: 'WAITING', counts: { ...NO_COUNTS, succeeded: 3, failed: 1 } });
    expect(nextBatchStep(batch, undefined, now)).toMatchObject({
      kind: 'finish',
      next: {
        status: 'COMPLETED_WITH_FAILURES',
        qcState: 'SKIPPED',
        qcReason: expect.stringMatching(/1 of 4/),
      },
    });
  });

  it('finishes FAILED when no sample succeeded', () => {
    expect(nextBatchStep(aBatch({ counts: { ...NO_COUNTS, failed: 4 } }), undefined, now)).toMatchObject({
      next: { status: 'FAILED' },
    });
  });

  it('notifies a finished round once', () => {
    const done = aBatch({ status: 'COMPLETED', counts: { ...NO_COUNTS, succeeded: 4 } });
    expect(nextBatchStep(done, undefined, now)).toMatchObject({ kind: 'notify', next: { notifiedRound: 1 } });
    expect(nextBatchStep({ ...done, notifiedRound: 1 }, undefined, now).kind).toBe('wait');
  });

  it('reopens a finished batch when a retried sample is running again', () => {
    const done = aBatch({
      status: 'COMPLETED_WITH_FAILURES',
      qc,
      qcState: 'SKIPPED',
      notifiedRound: 1,
      counts: { ...NO_COUNTS, succeeded: 3 },
    });
    expect(nextBatchStep(done, undefined, now)).toMatchObject({
      kind: 'reopen',
      next: { status: 'ACTIVE', round: 2, qcState: 'WAITING' },
    });
  });

  it('reopens a finished batch whose counts are unchanged when a retry it has not accounted for was counted', () => {
    const done = aBatch({
      status: 'COMPLETED_WITH_FAILURES',
      notifiedRound: 1,
      counts: { ...NO_COUNTS, succeeded: 3, failed: 1 },
      retriesCounted: 1,
      roundRetries: 0,
    });
    const step = nextBatchStep(done, undefined, now);
    expect(step).toMatchObject({ kind: 'reopen', next: { status: 'ACTIVE', round: 2, roundRetries: 1 } });
    if (step.kind !== 'reopen') throw new Error('not reopened');
    expect(nextBatchStep(step.next, undefined, now)).toMatchObject({
      kind: 'finish',
      next: { status: 'COMPLETED_WITH_FAILURES', round: 2, roundRetries: 1 },
    });
  });

  it('reopens for a sample retried while QC ran, once QC ends', () => {
    const running = aBatch({
      status: 'QC_RUNNING',
      qc,
      qcState: 'RUNNING',
      qcAttempt: 1,
      counts: { ...NO_COUNTS, succeeded: 4 },
      retriesCounted: 1,
      roundRetries: 0,
    });
    expect(nextBatchStep(running, aLaunch({ kind: 'QC', status: 'COMPLETED' }), now)).toMatchObject({
      kind: 'reopen',
      next: { status: 'ACTIVE', round: 2, qcState: 'WAITING' },
    });
  });

  it('takes a QC launch a person retried as the batch QC, in a new round when the batch had finished', () => {
    const failed = aBatch({
      status: 'FAILED',
      qc,
      qcState: 'FAILED',
      qcAttempt: 1,
      notifiedRound: 1,
      notificationState: 'SENT',
      counts: { ...NO_COUNTS, succeeded: 4 },
    });
    const retried = aLaunch({ kind: 'QC', status: 'SUBMITTING', attempt: 2 });
    const step = nextBatchStep(failed, retried, now);
    expect(step).toMatchObject({
      kind: 'rerun-qc',
      next: { status: 'QC_RUNNING', qcState: 'RUNNING', qcAttempt: 2, round: 2 },
    });
    if (step.kind !== 'rerun-qc') throw new Error('QC not rerun');
    expect(nextBatchStep(step.next, { ...retried, status: 'COMPLETED' }, now)).toMatchObject({
      kind: 'finish',
      next: { status: 'COMPLETED', qcState: 'COMPLETED' },
    });
  });

  it('starts the next QC attempt past one a person started', () => {
    const waiting = aBatch({ qc, qcState: 'WAITING', qcAttempt: 1, counts: { ...NO_COUNTS, succeeded: 4 } });
    expect(
      nextBatchStep({ ...waiting, qcAttempt: 3 }, aLaunch({ kind: 'QC', status: 'FAILED', attempt: 3 }), now),
    ).toMatchObject({ kind: 'start-qc', next: { qcAttempt: 4 } });
  });

  it('sends again a notification whose last send failed, with a fresh mark', () => {
    const failedSend = aBatch({
      status: 'COMPLETED',
      counts: { ...NO_COUNTS, succeeded: 4 },
      notifiedRound: 1,
      notificationState: 'SENDING',
      notificationAt: '2026-11-20T11:59:00.000Z',
      notificationError: 'InternalError: SNS is unavailable',
    });
    expect(nextBatchStep(failedSend, undefined, now)).toMatchObject({
      kind: 'notify',
      next: { notificationState: 'SENDING', notificationAt: now.toISOString(), notificationError: undefined },
    });
    expect(nextBatchStep({ ...failedSend, notificationError: undefined }, undefined, now).kind).toBe('wait');
  });

  it('keeps the earlier QC result on reopen when QC is not to rerun', () => {
    const done = aBatch({
      status: 'COMPLETED_WITH_FAILURES',
      qc: { ...qc, rerunOnRetry: false },
      qcState: 'COMPLETED',
      notifiedRound: 1,
      counts: { ...NO_COUNTS, succeeded: 3 },
    });
    expect(nextBatchStep(done, undefined, now)).toMatchObject({
      kind: 'reopen',
      next: { qcState: 'COMPLETED' },
    });
  });

  it('finishes after the current QC attempt ends, not an earlier one', () => {
    const running = aBatch({
      status: 'QC_RUNNING',
      qc,
      qcState: 'RUNNING',
      qcAttempt: 2,
      counts: { ...NO_COUNTS, succeeded: 4 },
    });
    const old = aLaunch({ kind: 'QC', status: 'FAILED', attempt: 1 });
    expect(nextBatchStep(running, old, now).kind).toBe('wait');
    const current = aLaunch({ kind: 'QC', status: 'COMPLETED', attempt: 2 });
    expect(nextBatchStep(running, current, now)).toMatchObject({
      kind: 'finish',
      next: { status: 'COMPLETED', qcState: 'COMPLETED' },
    });
  });
});

describe('a batch notification turned off in the manifest', () => {
  it('marks the finished round OFF instead of SENDING, so nothing is sent and nothing waits', () => {
    const quiet = aBatch({
      status: 'COMPLETED',
      counts: { ...NO_COUNTS, succeeded: 4 },
      notifications: { onBatchCompleted: false, onLaunchFailed: false, onRejected: true },
    });
    expect(nextBatchStep(quiet, undefined, now)).toMatchObject({
      kind: 'notify',
      next: { notifiedRound: 1, notificationState: 'OFF' },
    });
    const marked = aBatch({ ...quiet, notifiedRound: 1, notificationState: 'OFF' });
    expect(nextBatchStep(marked, undefined, now).kind).toBe('wait');
  });
});

describe('resuming a notification its sender left SENDING', () => {
  const FIFTEEN_MINUTES = 15 * 60_000;
  const sending = (overrides: Partial<Batch> = {}) =>
    aBatch({
      status: 'COMPLETED_WITH_FAILURES',
      round: 2,
      notifiedRound: 2,
      notificationState: 'SENDING',
      notificationAt: '2026-11-20T11:40:00.000Z',
      ...overrides,
    });

  it('hands a mark older than the sender can run to a new sender, with a fresh mark', () => {
    const step = resumeNotification(sending(), now, FIFTEEN_MINUTES);
    expect(step).toEqual({
      kind: 'notify',
      next: {
        ...sending(),
        notificationAt: now.toISOString(),
        updatedAt: now.toISOString(),
        revision: 4,
      },
    });
  });

  it('leaves a mark its sender may still be working on', () => {
    const fresh = sending({ notificationAt: '2026-11-20T11:50:00.000Z' });
    expect(resumeNotification(fresh, now, FIFTEEN_MINUTES).kind).toBe('wait');
  });

  it('resumes at once a mark whose last send failed: nobody is sending it', () => {
    const failed = sending({ notificationAt: '2026-11-20T11:59:00.000Z', notificationError: 'SNS down' });
    expect(resumeNotification(failed, now, FIFTEEN_MINUTES)).toMatchObject({
      kind: 'notify',
      next: { notificationAt: now.toISOString(), notificationError: undefined },
    });
  });

  it('resumes a mark that has no readable time', () => {
    expect(resumeNotification(sending({ notificationAt: undefined }), now, FIFTEEN_MINUTES).kind).toBe(
      'notify',
    );
  });

  it('leaves sent notifications and batches reopened since the mark', () => {
    expect(resumeNotification(sending({ notificationState: 'SENT' }), now, FIFTEEN_MINUTES).kind).toBe(
      'wait',
    );
    expect(resumeNotification(sending({ status: 'ACTIVE', round: 3 }), now, FIFTEEN_MINUTES).kind).toBe(
      'wait',
    );
    expect(resumeNotification(sending({ round: 3 }), now, FIFTEEN_MINUTES).kind).toBe('wait');
  });
});
