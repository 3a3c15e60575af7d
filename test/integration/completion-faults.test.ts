import { afterEach, describe, expect, it } from 'vitest';
import type { Launch } from '../../domain/launch.js';
import { METRICS } from '../../domain/metrics.js';
import type { BatchCompletedNotice } from '../../domain/notifications.js';
import { consoleSetStatus } from '../support/console-edit.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { launchManifest, makeTestApp, type TestApp } from '../support/test-app.js';

const QC = {
  workflow: { id: '7777777' },
  outputUri: 's3://lab-results/faults/qc/',
  parameters: { outputs: '{{batch.sampleOutputUris}}' },
};

function manifest(count: number, qc?: Record<string, unknown>) {
  const ids = sampleIds(count, (i) => `S${String(i + 1).padStart(2, '0')}`);
  return nativeManifest({ name: 'FC-FAULTS', folder: 'faults', sampleIds: ids, qc });
}

const launchBatch = (app: TestApp, body: unknown) => launchManifest(app, 'fc/faults.json', body);

/** Ends each launch's current run (read fresh, so a retried launch ends its new run). */
async function endRuns(app: TestApp, launches: Launch[], failing: ReadonlySet<string> = new Set()) {
  for (const stale of launches) {
    const launch = await app.launches.get(stale.batchId, stale.launchId);
    if (!launch?.runId) throw new Error(`launch ${stale.launchId} has no run`);
    const fails = failing.has(launch.sampleId);
    await app.onRunStatus(app.omics.transition(launch.runId, 'RUNNING'));
    await app.onRunStatus(
      app.omics.transition(launch.runId, fails ? 'FAILED' : 'COMPLETED', {
        failureReason: fails ? `Task align failed for ${launch.sampleId}` : undefined,
      }),
    );
  }
}

const completed = (app: TestApp) =>
  app.notices.filter((n): n is BatchCompletedNotice => n.kind === 'batch-completed');
const qcRuns = (app: TestApp) => app.omics.startRunCalls.filter((call) => call.workflowId === '7777777');

describe('completion path under lost and late records', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('reopens a finished batch when a retried sample fails again before the aggregator sees it running', async () => {
    // Prepare: 4 samples, S02 fails, the batch is finished and notified
    app = await makeTestApp();
    const { batchId, launches } = await launchBatch(app, manifest(4));
    await endRuns(app, launches, new Set(['S02']));
    await app.pump();
    expect(await app.batches.get(batchId)).toMatchObject({ status: 'COMPLETED_WITH_FAILURES', round: 1 });
    expect(completed(app)).toHaveLength(1);
    const s02 = launches.find((l) => l.sampleId === 'S02') as Launch;

    // Act: RETRY; the launcher starts attempt 2 while the aggregator is behind; it fails again at once
    await consoleSetStatus(app, s02, 'RETRY');
    await app.pump({ holdCompletion: true });
    await endRuns(app, [s02], new Set(['S02']));
    await app.pump();

    // Assess: a second round with its own notification, the counts right
    const retried = await app.launches.get(batchId, s02.launchId);
    expect(retried).toMatchObject({ attempt: 2, status: 'FAILED' });
    expect(await app.batches.get(batchId)).toMatchObject({
      status: 'COMPLETED_WITH_FAILURES',
      round: 2,
      notifiedRound: 2,
      counts: { succeeded: 3, failed: 1 },
    });
    expect(completed(app)).toHaveLength(2);
    expect(completed(app)[1]).toMatchObject({
      round: 2,
      failures: [expect.objectContaining({ sampleId: 'S02', attempt: 2 })],
    });
  });

  it('reruns QC and notifies when the aggregator only sees a retried sample once it has COMPLETED', async () => {
    // Prepare: QC under any-completed; S03 fails; QC runs and completes; notified once
    app = await makeTestApp();
    const { batchId, launches } = await launchBatch(app, manifest(3, { ...QC, policy: 'any-completed' }));
    await endRuns(app, launches, new Set(['S03']));
    await app.pump();
    const qc = await app.launches.get(batchId, `${batchId}/_qc`);
    if (!qc) throw new Error('QC not created');
    await endRuns(app, [qc]);
    await app.pump();
    expect(completed(app)).toHaveLength(1);
    const s03 = launches.find((l) => l.sampleId === 'S03') as Launch;

    // Act: the retry runs and completes while the aggregator is behind
    await consoleSetStatus(app, s03, 'RETRY');
    await app.pump({ holdCompletion: true });
    await endRuns(app, [s03]);
    await app.pump();

    // Assess: round 2 reran QC with all three outputs
    expect(qcRuns(app)).toHaveLength(2);
    expect((qcRuns(app)[1]?.parameters as { outputs?: string[] } | undefined)?.outputs).toHaveLength(3);
    await endRuns(app, [qc]);
    await app.pump();
    expect(await app.batches.get(batchId)).toMatchObject({
      status: 'COMPLETED',
      round: 2,
      qcState: 'COMPLETED',
      counts: { succeeded: 3, failed: 0 },
    });
    expect(completed(app).map((n) => [n.round, n.outcome])).toEqual([
      [1, 'COMPLETED_WITH_FAILURES'],
      [2, 'COMPLETED'],
    ]);
  });

  it('finishes the batch when a person retries its failed QC, twice', async () => {
    // Prepare: every sample succeeds, QC fails: the batch FAILED, notified
    app = await makeTestApp();
    const { batchId, launches } = await launchBatch(app, manifest(2, QC));
    await endRuns(app, launches);
    await app.pump();
    const qcId = `${batchId}/_qc`;
    const qc = (await app.launches.get(batchId, qcId)) as Launch;
    await endRuns(app, [qc], new Set([qc.sampleId]));
    await app.pump();
    expect(await app.batches.get(batchId)).toMatchObject({ status: 'FAILED', qcState: 'FAILED', round: 1 });

    // Act 1: QC retried from the console, fails again
    await consoleSetStatus(app, qc, 'RETRY');
    await app.pump();
    expect(await app.batches.get(batchId)).toMatchObject({ status: 'QC_RUNNING', qcAttempt: 2, round: 2 });
    await endRuns(app, [qc], new Set([qc.sampleId]));
    await app.pump();
    // Assess 1
    expect(await app.batches.get(batchId)).toMatchObject({ status: 'FAILED', qcState: 'FAILED', round: 2 });

    // Act 2: retried again, succeeds
    await consoleSetStatus(app, qc, 'RETRY');
    await app.pump();
    await endRuns(app, [qc]);
    await app.pump();

    // Assess 2: three QC runs in all, one per attempt; one notification per round
    expect(await app.launches.get(batchId, qcId)).toMatchObject({ attempt: 3, status: 'COMPLETED' });
    expect(qcRuns(app)).toHaveLength(3);
    expect(await app.batches.get(batchId)).toMatchObject({
      status: 'COMPLETED',
      qcState: 'COMPLETED',
      qcAttempt: 3,
      round: 3,
      notifiedRound: 3,
      notificationState: 'SENT',
    });
    expect(completed(app).map((n) => [n.round, n.outcome, n.qc.state])).toEqual([
      [1, 'FAILED', 'FAILED'],
      [2, 'FAILED', 'FAILED'],
      [3, 'COMPLETED', 'COMPLETED'],
    ]);
  });

  it('keeps a notification whose sends failed longer than the stream retries until the reconciler sends it', async () => {
    // Prepare: the topic refuses every send
    app = await makeTestApp();
    const { batchId, launches } = await launchBatch(app, manifest(2));
    app.sendNoticesWith(async () => {
      throw new Error('InternalError: SNS is unavailable');
    });
    await endRuns(app, launches);
    // Act 1: the stream retries the record and gives up on it (it goes to the dead-letter queue)
    await expect(app.pump({ times: 3 })).rejects.toThrow(/aggregator records failed/);
    app.dropHeldCompletionRecords();
    // Assess 1: the round stays marked for sending, with the error
    const stuck = await app.batches.get(batchId);
    expect(stuck).toMatchObject({ status: 'COMPLETED', notifiedRound: 1, notificationState: 'SENDING' });
    expect(stuck?.notificationError).toMatch(/SNS is unavailable/);
    expect(completed(app)).toHaveLength(0);

    // Act 2: the topic works again; the next reconciler run sends it (no need to wait for a stale mark)
    app.sendNoticesWith();
    const run = await app.reconcile();
    // Assess 2: sent once, marked SENT
    expect(run.notifications.resent).toEqual([batchId]);
    expect(completed(app)).toHaveLength(1);
    expect(await app.batches.get(batchId)).toMatchObject({ notificationState: 'SENT', notifiedRound: 1 });
    await app.reconcile();
    await app.replayAllToCompletion();
    expect(completed(app)).toHaveLength(1);
  });

  it('finishes a batch whose terminal records the aggregator never got, from the reconciler recount', async () => {
    // Prepare: every terminal record is lost on the way to the aggregator
    let offsetMs = 0;
    app = await makeTestApp({ now: () => new Date(Date.now() + offsetMs) });
    const { batchId, launches } = await launchBatch(app, manifest(3, QC));
    await endRuns(app, launches, new Set(['S01']));
    await app.pump({ holdCompletion: true });
    app.dropHeldCompletionRecords();
    expect(await app.batches.get(batchId)).toMatchObject({ status: 'ACTIVE', counts: { succeeded: 0 } });

    // Act 1: the reconciler runs once the batch has been quiet for longer than the threshold
    offsetMs = 2 * 60 * 60_000;
    const run = await app.reconcile();
    await app.pump();
    // Assess 1: recounted and finished (S01 failed, so all-succeeded skips QC), notified once
    expect(run.batches?.recounted).toEqual([batchId]);
    expect(await app.batches.get(batchId)).toMatchObject({
      status: 'COMPLETED_WITH_FAILURES',
      qcState: 'SKIPPED',
      counts: { succeeded: 2, failed: 1 },
      notifiedRound: 1,
    });
    expect(completed(app)).toHaveLength(1);
    expect(app.telemetry.get(METRICS.batchesRecounted)).toBe(1);

    // Act 2: a recount again, and the lost records delivered late after all
    offsetMs = 4 * 60 * 60_000;
    await app.reconcile();
    await app.replayAllToCompletion();
    // Assess 2: nothing changes
    expect(await app.batches.get(batchId)).toMatchObject({ counts: { succeeded: 2, failed: 1 }, round: 1 });
    expect(completed(app)).toHaveLength(1);
  });
});
