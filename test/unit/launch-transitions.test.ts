import { describe, expect, it } from 'vitest';
import {
  effectiveStatus,
  type Launch,
  type RunStatus,
  requestIdFor,
  runNameFor,
} from '../../domain/launch.js';
import {
  applyRunStatus,
  confirmStatus,
  decideLaunch,
  type RunObservation,
  recordDeferral,
  recordLaunchFailure,
  recordSubmission,
  redrive,
  requeue,
} from '../../domain/launch-transitions.js';
import { aLaunch } from '../support/launch-factory.js';
import { claim, now, observe, submittedAs } from '../support/launch-steps.js';

function submitted(overrides: Partial<Launch> = {}): Launch {
  return { ...submittedAs({ runArn: 'arn:run' }), ...overrides };
}

function applyAll(launch: Launch, observations: RunObservation[]): Launch {
  return observations.reduce((current, obs) => {
    const result = applyRunStatus(current, obs, now);
    return result.kind === 'changed' ? result.next : current;
  }, launch);
}

function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

describe('launch claim', () => {
  it('claims a QUEUED launch as SUBMITTING with a deterministic requestId and run name', () => {
    // Act
    const decision = decideLaunch(aLaunch(), claim);
    // Assess
    expect(decision.kind).toBe('claim');
    if (decision.kind !== 'claim') return;
    expect(decision.next.status).toBe('SUBMITTING');
    expect(decision.next.requestId).toBe('b1/NA12878/1');
    expect(decision.next.runName).toBe('HK3H3BBXY-NA12878-1');
    expect(decision.next.claimExpiresAt).toBe('2026-11-20T12:01:00.000Z');
    expect(decision.next.revision).toBe(3);
  });

  it('skips a launch another invocation claimed while the claim is live', () => {
    const claimed = aLaunch({
      status: 'SUBMITTING',
      claimToken: 'other',
      claimExpiresAt: '2026-11-20T12:00:30.000Z',
    });
    expect(decideLaunch(claimed, claim)).toMatchObject({ kind: 'skip' });
  });

  it('takes over an abandoned claim with the same attempt and requestId', () => {
    const abandoned = aLaunch({
      status: 'SUBMITTING',
      requestId: 'b1/NA12878/1',
      claimToken: 'dead',
      claimExpiresAt: '2026-11-20T11:59:00.000Z',
    });
    const decision = decideLaunch(abandoned, claim);
    expect(decision).toMatchObject({
      kind: 'claim',
      takeover: true,
      next: { attempt: 1, requestId: 'b1/NA12878/1' },
    });
  });

  it('skips launches in running or finished states', () => {
    for (const status of ['REGISTERED', 'SUBMITTED', 'RUNNING', 'COMPLETED', 'FAILED'] as const) {
      expect(decideLaunch(aLaunch({ status }), claim).kind).toBe('skip');
    }
  });

  it('keeps run names within 128 characters with the attempt visible', () => {
    const name = runNameFor('x'.repeat(200), 'SAMPLE-1', 12);
    expect(name.length).toBeLessThanOrEqual(128);
    expect(name.endsWith('-SAMPLE-1-12')).toBe(true);
  });

  it('keeps request ids within the engine limit and distinct per attempt', () => {
    const long = `${'b'.repeat(100)}/${'s'.repeat(64)}`;
    expect(requestIdFor(long, 1).length).toBeLessThanOrEqual(127);
    expect(requestIdFor(long, 1)).not.toBe(requestIdFor(long, 2));
  });
});

describe('retry by console edit', () => {
  it.each(['FAILED', 'CANCELLED', 'DELETED', 'LAUNCH_FAILED'] as const)(
    'relaunches a %s launch as the next attempt',
    (was) => {
      // Prepare: the launch ended, then a person set status to RETRY
      const failed = applyAll(submitted(), [
        observe(was === 'LAUNCH_FAILED' ? 'FAILED' : was, 5, { failureReason: 'boom' }),
      ]);
      const ended =
        was === 'LAUNCH_FAILED'
          ? {
              ...aLaunch({ status: 'LAUNCH_FAILED' }),
              statusHistory: [{ status: 'LAUNCH_FAILED' as const, at: '', source: 'gwm' as const }],
            }
          : failed;
      const edited = { ...ended, status: 'RETRY' as const };
      // Act
      const decision = decideLaunch(edited, claim);
      // Assess
      expect(decision.kind).toBe('claim');
      if (decision.kind !== 'claim') return;
      expect(decision.retry).toBe(true);
      expect(decision.next).toMatchObject({ status: 'SUBMITTING', attempt: 2, requestId: 'b1/NA12878/2' });
      expect(decision.next.runId).toBeUndefined();
      expect(decision.next.failureReason).toBeUndefined();
      expect(decision.next.attempts).toEqual([expect.objectContaining({ attempt: 1, status: was })]);
    },
  );

  it('refuses RETRY on a RUNNING launch, restores its status and leaves a note', () => {
    const running = applyAll(submitted(), [observe('RUNNING', 3)]);
    const decision = decideLaunch({ ...running, status: 'RETRY' }, claim);
    expect(decision.kind).toBe('refuse-retry');
    if (decision.kind !== 'refuse-retry') return;
    expect(decision.next.status).toBe('RUNNING');
    expect(decision.next.attempt).toBe(1);
    expect(decision.next.note).toMatch(/RETRY refused .* the launch is RUNNING/);
  });

  it('reads the status before the edit from the history', () => {
    const running = applyAll(submitted(), [observe('RUNNING', 3)]);
    expect(effectiveStatus({ ...running, status: 'RETRY' })).toBe('RUNNING');
  });
});

describe('submission outcomes', () => {
  it('records the run and clears the claim', () => {
    const launch = submitted();
    expect(launch).toMatchObject({ status: 'SUBMITTED', runId: '2101313', runUuid: 'uuid-1' });
    expect(launch.claimToken).toBeUndefined();
  });

  it('keeps a status an event already applied when the run id is written late', () => {
    // Prepare: the PENDING event overtook the launcher's write
    const decision = decideLaunch(aLaunch(), claim);
    if (decision.kind !== 'claim') throw new Error('expected a claim');
    const pending = applyRunStatus(decision.next, observe('PENDING', 1, { attempt: 1 }), now);
    if (pending.kind !== 'changed') throw new Error('expected PENDING to apply');
    // Act
    const result = recordSubmission(pending.next, { runId: '2101313', runUuid: 'uuid-1' }, now);
    // Assess
    expect(result.kind).toBe('ignored');
    expect(pending.next).toMatchObject({ status: 'PENDING', runId: '2101313' });
  });

  it('defers a throttled launch back to the queue with the same attempt', () => {
    const decision = decideLaunch(aLaunch(), claim);
    if (decision.kind !== 'claim') throw new Error('expected a claim');
    const result = recordDeferral(decision.next, 'ThrottlingException: slow down', now);
    expect(result).toMatchObject({
      kind: 'changed',
      next: { status: 'THROTTLED', attempt: 1, throttledCount: 1 },
    });
  });

  it('ends a refused launch in LAUNCH_FAILED with the engine message', () => {
    const decision = decideLaunch(aLaunch(), claim);
    if (decision.kind !== 'claim') throw new Error('expected a claim');
    const result = recordLaunchFailure(decision.next, 'ValidationException', 'bad parameter', now);
    expect(result).toMatchObject({
      kind: 'changed',
      next: { status: 'LAUNCH_FAILED', failureReason: 'ValidationException: bad parameter' },
    });
  });
});

describe('a status the engine confirms', () => {
  it('only moves updatedAt and the revision', () => {
    const running = applyAll(submitted(), [observe('RUNNING', 3)]);
    const later = new Date('2026-11-20T19:00:00.000Z');
    const result = confirmStatus(running, 'RUNNING', later);
    expect(result).toEqual({
      kind: 'changed',
      next: { ...running, updatedAt: later.toISOString(), revision: running.revision + 1 },
    });
  });

  it('refuses when the engine says something else', () => {
    const running = applyAll(submitted(), [observe('RUNNING', 3)]);
    expect(confirmStatus(running, 'COMPLETED', now).kind).toBe('ignored');
  });
});

describe('run status events', () => {
  it('ignores a RUNNING event after COMPLETED', () => {
    const done = applyAll(submitted(), [observe('COMPLETED', 9)]);
    expect(applyRunStatus(done, observe('RUNNING', 5), now)).toMatchObject({
      kind: 'ignored',
      reason: 'regression',
    });
  });

  it('ignores a duplicate', () => {
    const running = applyAll(submitted(), [observe('RUNNING', 3)]);
    expect(applyRunStatus(running, observe('RUNNING', 3), now)).toMatchObject({
      kind: 'ignored',
      reason: 'duplicate',
    });
  });

  it("ignores an earlier attempt's run after a retry", () => {
    const retried = aLaunch({ status: 'SUBMITTED', attempt: 2, runId: '999', runUuid: 'uuid-2' });
    expect(applyRunStatus(retried, observe('FAILED', 3), now)).toMatchObject({
      kind: 'ignored',
      reason: 'stale-attempt',
    });
    expect(
      applyRunStatus(
        aLaunch({ status: 'SUBMITTING', attempt: 2 }),
        observe('FAILED', 3, { attempt: 1 }),
        now,
      ),
    ).toMatchObject({
      kind: 'ignored',
      reason: 'stale-attempt',
    });
  });

  it('keeps failure details on FAILED and the output location on COMPLETED', () => {
    const failed = applyAll(submitted(), [
      observe('FAILED', 4, {
        failureReason: 'OOM',
        logLocation: '/aws/omics/WorkflowLog:run/2101313',
        logExcerpt: 'x\ny',
      }),
    ]);
    expect(failed).toMatchObject({
      failureReason: 'OOM',
      logExcerpt: 'x\ny',
      finishedAt: '2026-11-20T12:04:00.000Z',
    });
    const done = applyAll(submitted(), [observe('COMPLETED', 4, { runOutputUri: 's3://out/2101313' })]);
    expect(done.runOutputUri).toBe('s3://out/2101313');
  });

  it('bounds the status history', () => {
    // Prepare: a launch whose history is already long
    const base = submitted();
    const filler = Array.from({ length: 40 }, (_, i) => ({
      status: 'SUBMITTED' as const,
      at: `t${i}`,
      source: 'gwm' as const,
    }));
    const launch = { ...base, statusHistory: [...base.statusHistory, ...filler] };
    // Act
    const next = applyAll(launch, [observe('RUNNING', 1)]);
    // Assess
    expect(next.statusHistory.length).toBeLessThanOrEqual(25);
    expect(next.statusHistory[0]?.status).toBe('REGISTERED');
    expect(next.statusHistory.at(-1)?.status).toBe('RUNNING');
  });

  const runs: Array<{ name: string; events: RunStatus[]; final: RunStatus }> = [
    {
      name: 'a completed run',
      events: ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'COMPLETED'],
      final: 'COMPLETED',
    },
    {
      name: 'a failed run',
      events: ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'FAILED'],
      final: 'FAILED',
    },
    { name: 'a cancelled run', events: ['PENDING', 'RUNNING', 'STOPPING', 'CANCELLED'], final: 'CANCELLED' },
    {
      name: 'a run deleted after it completed',
      events: ['PENDING', 'RUNNING', 'COMPLETED', 'DELETED'],
      final: 'COMPLETED',
    },
    { name: 'a run that failed while starting', events: ['PENDING', 'STARTING', 'FAILED'], final: 'FAILED' },
  ];

  it.each(runs)(
    'ends $name in $final whatever the order and duplication of its events',
    ({ events, final }) => {
      // Prepare: every ordering, each also with every event delivered twice (first copy up front, second at the end)
      const observations = events.map((status, i) =>
        observe(status, i + 1, { runOutputUri: 's3://out/2101313' }),
      );
      const orders = permutations(observations);
      const finals = new Set<string>();
      for (const order of orders) {
        for (const withDuplicates of [order, [...order, ...order], [...order, ...[...order].reverse()]]) {
          // Act
          const launch = applyAll(submitted(), withDuplicates);
          // Assess
          finals.add(`${launch.status}|${launch.finishedAt}|${launch.runOutputUri ?? ''}`);
        }
      }
      expect(orders.length).toBeGreaterThan(1);
      expect([...finals]).toHaveLength(1);
      expect([...finals][0]?.startsWith(`${final}|`)).toBe(true);
    },
  );
});

describe('reconciler answers', () => {
  it('keeps the reason of a DELETED observation that explains a run the engine forgot', () => {
    // Prepare
    const running = applyAll(submitted(), [observe('RUNNING', 2)]);
    const reason = 'Run 2101313 is no longer known to HealthOmics; its last known status was RUNNING.';
    // Act
    const result = applyRunStatus(
      running,
      observe('DELETED', 30, { source: 'reconciler', runUuid: undefined, failureReason: reason }),
      now,
    );
    // Assess
    expect(result).toMatchObject({
      kind: 'changed',
      next: { status: 'DELETED', failureReason: reason, finishedAt: '2026-11-20T12:30:00.000Z' },
    });
    if (result.kind === 'changed') {
      expect(result.next.statusHistory.at(-1)).toMatchObject({ status: 'DELETED', source: 'reconciler' });
    }
  });

  it('leaves the failure reason alone on a DELETED event that gives none', () => {
    const running = applyAll(submitted(), [observe('RUNNING', 2)]);
    const result = applyRunStatus({ ...running, failureReason: 'earlier' }, observe('DELETED', 9), now);
    expect(result).toMatchObject({ kind: 'changed', next: { status: 'DELETED', failureReason: 'earlier' } });
  });

  it('re-queues a QUEUED launch as a new revision with the same status and a note', () => {
    // Prepare
    const queued = aLaunch({ status: 'QUEUED', revision: 2 });
    // Act
    const result = requeue(queued, 'no launcher picked it up for 20 minutes', now);
    // Assess
    expect(result).toMatchObject({
      kind: 'changed',
      next: { status: 'QUEUED', revision: 3, updatedAt: now.toISOString(), attempt: 1 },
    });
    if (result.kind === 'changed') {
      expect(result.next.note).toBe(
        'Re-queued at 2026-11-20T12:00:00.000Z: no launcher picked it up for 20 minutes',
      );
      expect(result.next.statusHistory).toEqual(queued.statusHistory);
    }
    expect(requeue(aLaunch({ status: 'THROTTLED' }), 'lost', now).kind).toBe('changed');
  });

  it('does not re-queue a launch a launcher has claimed meanwhile', () => {
    const decision = decideLaunch(aLaunch(), claim);
    if (decision.kind !== 'claim') throw new Error('expected a claim');
    expect(requeue(decision.next, 'lost', now)).toMatchObject({ kind: 'ignored', reason: 'conflict' });
  });

  it('re-drives a waiting launch, a finished one and a request as a new revision with the same status', () => {
    // Prepare
    const finished = applyAll(submitted(), [observe('RUNNING', 2), observe('COMPLETED', 9)]);
    const launches = [
      aLaunch({ status: 'QUEUED', revision: 4 }),
      finished,
      { ...finished, status: 'RETRY' as const },
    ];
    for (const launch of launches) {
      // Act
      const result = redrive(launch, 'its stream record reached a failure queue', now);
      // Assess
      expect(result).toMatchObject({
        kind: 'changed',
        next: { status: launch.status, revision: launch.revision + 1, updatedAt: now.toISOString() },
      });
      if (result.kind === 'changed') {
        expect(result.next.note).toBe(
          'Re-driven at 2026-11-20T12:00:00.000Z: its stream record reached a failure queue',
        );
        expect(result.next.statusHistory).toEqual(launch.statusHistory);
      }
    }
  });

  it('puts back a status typed over a finished launch when it re-drives it', () => {
    const finished = applyAll(submitted(), [observe('RUNNING', 2), observe('COMPLETED', 9)]);
    const result = redrive({ ...finished, status: 'RUNNING' }, 'lost', now);
    expect(result).toMatchObject({ kind: 'changed', next: { status: 'COMPLETED' } });
  });

  it('leaves a launch on its way to a run or running to the tracker and the reconciler', () => {
    const decision = decideLaunch(aLaunch(), claim);
    if (decision.kind !== 'claim') throw new Error('expected a claim');
    const running = applyAll(submitted(), [observe('RUNNING', 2)]);
    for (const launch of [decision.next, submitted(), running]) {
      expect(redrive(launch, 'lost', now)).toMatchObject({ kind: 'ignored', reason: 'conflict' });
    }
  });
});
