import { afterEach, describe, expect, it } from 'vitest';
import type { Launch } from '../../domain/launch.js';
import { METRICS } from '../../domain/metrics.js';
import type { BatchCompletedNotice } from '../../domain/notifications.js';
import { consoleSetStatus } from '../support/console-edit.js';
import { nativeManifest, sampleIds } from '../support/manifests.js';
import { launchManifest, makeTestApp, type TestApp } from '../support/test-app.js';

function manifest(count: number, qc: Record<string, unknown> | undefined, name = 'FC-DONE') {
  const ids = sampleIds(count, (i) => `S${String(i + 1).padStart(2, '0')}`);
  return nativeManifest({ name, folder: 'done', sampleIds: ids, qc });
}

const QC = {
  workflow: { id: '7777777' },
  outputUri: 's3://lab-results/done/qc/',
  parameters: { outputs: '{{batch.sampleOutputUris}}' },
};

function seeded(seed: number) {
  let state = seed;
  return () => {
    state = (state * 16807) % 2147483647;
    return state / 2147483647;
  };
}

function shuffle<T>(items: T[], random: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

const launchBatch = (app: TestApp, body: unknown) => launchManifest(app, 'fc/done.json', body);

/** Every run goes PENDING..terminal; events shuffled across runs, each delivered twice. */
async function finishRuns(app: TestApp, launches: Launch[], failing: Set<string>, random: () => number) {
  const events = launches.flatMap((launch) => {
    const runId = launch.runId ?? '';
    const fails = failing.has(launch.sampleId);
    return (['PENDING', 'STARTING', 'RUNNING', 'STOPPING', fails ? 'FAILED' : 'COMPLETED'] as const).map(
      (status) => () =>
        app.omics.transition(
          runId,
          status,
          fails ? { failureReason: `Task align failed for ${launch.sampleId}` } : {},
        ),
    );
  });
  const built = events.map((make) => make());
  for (const event of shuffle([...built, ...built], random)) await app.onRunStatus(event);
  await app.pump({ times: 2 });
}

/** Polls until `probe` returns a value (10 s at most). */
async function until<T>(probe: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('condition not reached in 10 s');
}

const completed = (app: TestApp) =>
  app.notices.filter((n): n is BatchCompletedNotice => n.kind === 'batch-completed');

describe('completion path', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('starts QC once and sends one notification for 20 samples finishing in random order with duplicated events', async () => {
    // Prepare
    app = await makeTestApp();
    const { batchId, launches } = await launchBatch(app, manifest(20, QC));
    // Act
    await finishRuns(app, launches, new Set(), seeded(3));
    // Assess: QC created once, with every sample's output
    const qcCalls = app.omics.startRunCalls.filter((call) => call.workflowId === '7777777');
    expect(qcCalls).toHaveLength(1);
    expect(qcCalls[0]?.parameters).toEqual({
      outputs: expect.arrayContaining([expect.stringMatching(/^s3:\/\/lab-results\/done\//)]),
    });
    expect((qcCalls[0]?.parameters as { outputs?: string[] } | undefined)?.outputs).toHaveLength(20);
    expect(completed(app)).toHaveLength(0);
    const qc = await app.launches.get(batchId, `${batchId}/_qc`);
    if (!qc?.runId) throw new Error('QC not started');
    for (const status of ['RUNNING', 'COMPLETED', 'COMPLETED'] as const)
      await app.onRunStatus(app.omics.transition(qc.runId, status));
    await app.pump({ times: 2 });
    const batch = await app.batches.get(batchId);
    expect(batch).toMatchObject({
      status: 'COMPLETED',
      qcState: 'COMPLETED',
      counts: { succeeded: 20, failed: 0 },
      round: 1,
    });
    expect(completed(app)).toHaveLength(1);
    expect(completed(app)[0]).toMatchObject({
      outcome: 'COMPLETED',
      counts: { total: 20, succeeded: 20 },
      qc: { state: 'COMPLETED' },
    });
    // Its duration, registration to finish, sent once
    const seconds = (Date.parse(batch?.finishedAt ?? '') - Date.parse(batch?.registeredAt ?? '')) / 1000;
    expect(seconds).toBeGreaterThan(0);
    expect(app.telemetry.timings.get(METRICS.batchDuration)).toEqual([seconds]);
  });

  it('skips QC under all-succeeded with 3 failures, notifies once, then re-aggregates after RETRY of the 3', async () => {
    // Prepare
    app = await makeTestApp();
    const { batchId, launches } = await launchBatch(app, manifest(20, { ...QC, policy: 'all-succeeded' }));
    const failing = new Set(['S04', 'S11', 'S17']);
    // Act 1
    await finishRuns(app, launches, failing, seeded(5));
    // Assess 1
    let batch = await app.batches.get(batchId);
    expect(batch).toMatchObject({
      status: 'COMPLETED_WITH_FAILURES',
      qcState: 'SKIPPED',
      counts: { succeeded: 17, failed: 3 },
    });
    expect(batch?.qcReason).toMatch(/3 of 20 samples did not succeed/);
    expect(app.telemetry.get(METRICS.qcSkipped)).toBe(1);
    expect(app.omics.startRunCalls.filter((call) => call.workflowId === '7777777')).toHaveLength(0);
    expect(completed(app)).toHaveLength(1);
    const first = completed(app)[0];
    expect(first?.failures.map((f) => f.sampleId).sort()).toEqual(['S04', 'S11', 'S17']);
    expect(first?.failures[0]?.failureReason).toMatch(/Task align failed/);

    // Act 2: the three are retried from the console and succeed
    for (const launch of launches.filter((l) => failing.has(l.sampleId)))
      await consoleSetStatus(app, launch, 'RETRY');
    await app.pump({ times: 2 });
    batch = await app.batches.get(batchId);
    expect(batch).toMatchObject({ status: 'ACTIVE', round: 2, counts: { succeeded: 17, failed: 0 } });
    const retried = (await app.launches.listByBatch(batchId, { limit: 1000 })).items.filter((l) =>
      failing.has(l.sampleId),
    );
    expect(retried.every((l) => l.attempt === 2 && l.status === 'SUBMITTED')).toBe(true);
    await finishRuns(app, retried, new Set(), seeded(9));
    const qc = await app.launches.get(batchId, `${batchId}/_qc`);
    if (!qc?.runId) throw new Error('QC not started after the retry');
    await app.onRunStatus(app.omics.transition(qc.runId, 'COMPLETED'));
    await app.pump({ times: 2 });

    // Assess 2
    batch = await app.batches.get(batchId);
    expect(batch).toMatchObject({
      status: 'COMPLETED',
      round: 2,
      qcState: 'COMPLETED',
      counts: { succeeded: 20, failed: 0 },
    });
    expect(app.omics.startRunCalls.filter((call) => call.workflowId === '7777777')).toHaveLength(1);
    expect(completed(app)).toHaveLength(2);
    expect(completed(app)[1]).toMatchObject({ round: 2, outcome: 'COMPLETED', failures: [] });
  });

  it('changes nothing when a terminal record is redelivered after the batch completed', async () => {
    app = await makeTestApp();
    const { batchId, launches } = await launchBatch(app, manifest(4, undefined));
    await finishRuns(app, launches, new Set(['S02']), seeded(11));
    const before = await app.batches.get(batchId);
    expect(before).toMatchObject({
      status: 'COMPLETED_WITH_FAILURES',
      qcState: 'NONE',
      counts: { succeeded: 3, failed: 1 },
    });
    // Act: every record of the table's stream so far, delivered again
    await app.replayAllToCompletion();
    // Assess
    const after = await app.batches.get(batchId);
    expect(after).toMatchObject({
      status: before?.status,
      counts: before?.counts,
      round: 1,
      notifiedRound: 1,
    });
    expect(completed(app)).toHaveLength(1);
  });

  it('sends a notice its sender stopped on mid-send once, from the reconciler, once the sender cannot still be running', async () => {
    // Prepare: a clock the test moves; the aggregator stops for good inside the send (a timeout).
    let offsetMs = 0;
    app = await makeTestApp({ now: () => new Date(Date.now() + offsetMs) });
    const { batchId, launches } = await launchBatch(app, manifest(3, undefined));
    let sending = false;
    app.sendNoticesWith(() => {
      sending = true;
      return new Promise<void>(() => {});
    });
    void finishRuns(app, launches, new Set(['S03']), seeded(17));
    const stuck = await until(async () => {
      const batch = await app.batches.get(batchId);
      return sending && batch?.notificationState === 'SENDING' ? batch : undefined;
    });
    expect(stuck).toMatchObject({ status: 'COMPLETED_WITH_FAILURES', notifiedRound: 1 });
    app.sendNoticesWith();

    // Act 1: the reconciler runs while the sender could still be running
    const early = await app.reconcile();
    // Assess 1
    expect(early.notifications).toMatchObject({ resent: [], errors: [] });
    expect(completed(app)).toHaveLength(0);

    // Act 2: 16 minutes later, with the topic refusing the send
    offsetMs = 16 * 60_000;
    app.sendNoticesWith(async () => {
      throw new Error('AuthorizationError: KMS key is disabled');
    });
    const refused = await app.reconcile();
    // Assess 2: the mark stays for the next run
    expect(refused.notifications.errors).toEqual([
      { batchId, message: expect.stringContaining('KMS key is disabled') },
    ]);
    expect(await app.batches.get(batchId)).toMatchObject({ notificationState: 'SENDING', notifiedRound: 1 });

    // Act 3: 16 minutes after that, two reconcilers at once, the topic working again
    offsetMs = 32 * 60_000;
    app.sendNoticesWith();
    const runs = await Promise.all([app.reconcile(), app.reconcile()]);
    // Assess 3: sent by one of them, once, and marked SENT
    expect(runs.flatMap((run) => run.notifications.resent)).toEqual([batchId]);
    expect(completed(app)).toHaveLength(1);
    expect(completed(app)[0]).toMatchObject({
      batchId,
      round: 1,
      outcome: 'COMPLETED_WITH_FAILURES',
      failures: [expect.objectContaining({ sampleId: 'S03' })],
    });
    expect(await app.batches.get(batchId)).toMatchObject({ notificationState: 'SENT', notifiedRound: 1 });
    expect(app.telemetry.get(METRICS.notificationsResent)).toBe(1);

    // Act 4: a later run finds nothing left to send
    offsetMs = 60 * 60_000;
    const later = await app.reconcile();
    expect(later.notifications).toEqual({ checked: 0, resent: [], errors: [] });
    expect(completed(app)).toHaveLength(1);
  });

  it('finishes a batch whose manifest turned the batch notification off without sending one', async () => {
    // Prepare
    app = await makeTestApp();
    const quiet = { ...manifest(2, undefined, 'FC-QUIET'), notifications: { onBatchCompleted: false } };
    const { batchId, launches } = await launchBatch(app, quiet);
    // Act
    await finishRuns(app, launches, new Set(), seeded(19));
    await app.replayAllToCompletion();
    // Assess: the round is marked done (so `gwm status --watch` and the demo stop waiting), nothing sent
    expect(await app.batches.get(batchId)).toMatchObject({
      status: 'COMPLETED',
      notifiedRound: 1,
      notificationState: 'OFF',
    });
    expect(app.notices).toEqual([]);
    expect(app.telemetry.get(METRICS.notificationsSent)).toBe(0);
  });

  it.each([
    ['any-completed with one success', { policy: 'any-completed' }, 1, true],
    ['any-completed with none', { policy: 'any-completed' }, 0, false],
    [
      'min-succeeded-fraction 0.75 with 3 of 4',
      { policy: 'min-succeeded-fraction', minSucceededFraction: 0.75 },
      3,
      true,
    ],
    [
      'min-succeeded-fraction 0.75 with 2 of 4',
      { policy: 'min-succeeded-fraction', minSucceededFraction: 0.75 },
      2,
      false,
    ],
  ])('applies %s', async (_name, policy, successes, qcRuns) => {
    app = await makeTestApp();
    const { batchId, launches } = await launchBatch(app, manifest(4, { ...QC, ...policy }));
    const failing = new Set(launches.slice(successes).map((l) => l.sampleId));
    await finishRuns(app, launches, failing, seeded(13));
    const batch = await app.batches.get(batchId);
    expect(app.omics.startRunCalls.filter((call) => call.workflowId === '7777777')).toHaveLength(
      qcRuns ? 1 : 0,
    );
    expect(batch?.qcState).toBe(qcRuns ? 'RUNNING' : 'SKIPPED');
    expect(completed(app)).toHaveLength(qcRuns ? 0 : 1);
    if (!qcRuns) expect(batch?.status).toBe(successes === 0 ? 'FAILED' : 'COMPLETED_WITH_FAILURES');
  });
});
