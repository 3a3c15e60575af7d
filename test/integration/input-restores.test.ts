import pc from 'picocolors';
import { afterEach, describe, expect, it } from 'vitest';
import { renderStatus } from '../../cli/commands/status.js';
import type { Batch } from '../../domain/batch.js';
import type { Launch } from '../../domain/launch.js';
import { batchCompletedDetail } from '../../domain/notifications/batch-completed.js';
import { renderNotice } from '../../domain/notifications.js';
import { consoleSetStatus } from '../support/console-edit.js';
import { nativeManifest } from '../support/manifests.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const MANIFESTS = 'lab-manifests';

/** The event S3 sends to EventBridge when a restore completed. */
function restoreCompleted(uri: string, expiry = '2026-12-12T00:00:00Z') {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  return {
    version: '0',
    id: `restore-${uri}`,
    'detail-type': 'Object Restore Completed',
    source: 'aws.s3',
    account: '000000000000',
    time: '2026-12-05T10:00:00Z',
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${match?.[1]}`],
    detail: {
      version: '0',
      bucket: { name: match?.[1] },
      object: { key: match?.[2], size: 10, etag: 'abc' },
      'request-id': 'r1',
      requester: 's3.amazonaws.com',
      'restore-expiry-time': expiry,
      'source-storage-class': 'DEEP_ARCHIVE',
    },
  };
}

async function launchesOf(app: TestApp): Promise<Map<string, Launch>> {
  const batches = (await app.batches.listRecent({})).items;
  const all = await Promise.all(
    batches.map((batch) => app.launches.listByBatch(batch.batchId, { limit: 1000 })),
  );
  return new Map(
    all.flatMap((page) => page.items).map((launch) => [`${launch.batchName}/${launch.sampleId}`, launch]),
  );
}

/** Uploads `manifest` to the manifest bucket under `key`, then lets registration and the launcher run. */
async function register(app: TestApp, key: string, manifest: unknown) {
  app.upload(MANIFESTS, key, manifest);
  await app.onManifest(s3Put(MANIFESTS, key));
  await app.pump({ times: 2 });
}

async function finishRun(app: TestApp, launch: Launch | undefined) {
  for (const status of ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'COMPLETED'] as const) {
    await app.onRunStatus(app.omics.transition(launch?.runId ?? '', status));
  }
  await app.pump({ times: 2 });
}

describe('archived inputs', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('keeps the sample with a DEEP_ARCHIVE input waiting, restores it once, then launches it', async () => {
    // Prepare: S2's read is in Deep Archive; S1 and S3 are in Standard
    app = await makeTestApp();
    const archived = 's3://lab-inputs/fc1/S2_R1.fastq.gz';
    app.inputStates.set(archived, { kind: 'present', sizeBytes: 5_000, storageClass: 'DEEP_ARCHIVE' });
    app.upload(
      MANIFESTS,
      'fc/archived.json',
      nativeManifest({ name: 'FC-ARCH', folder: 'fc1', sampleIds: ['S1', 'S2', 'S3'] }),
    );

    // Act 1: registration
    await app.onManifest(s3Put(MANIFESTS, 'fc/archived.json'));
    await app.pump({ times: 2 });

    // Assess: one Bulk restore of the archived object; S2 waits while the others run
    expect(app.restoreCalls).toEqual([
      { uri: archived, tier: 'Bulk', days: 7, storageClass: 'DEEP_ARCHIVE' },
    ]);
    let launches = await launchesOf(app);
    expect(launches.get('FC-ARCH/S2')?.status).toBe('WAITING_FOR_INPUTS');
    const restore = await app.restores.get(archived);
    expect(launches.get('FC-ARCH/S2')?.archivedInputs).toEqual([
      { uri: archived, storageClass: 'DEEP_ARCHIVE', dueAt: restore?.dueAt },
    ]);
    expect(launches.get('FC-ARCH/S1')?.status).toBe('SUBMITTED');
    expect(launches.get('FC-ARCH/S3')?.status).toBe('SUBMITTED');
    expect(app.omics.startRunCalls).toHaveLength(2);
    expect(restore).toMatchObject({
      state: 'REQUESTED',
      tier: 'Bulk',
      requests: 1,
      storageClass: 'DEEP_ARCHIVE',
    });
    // gwm status says what S2 waits for, and until when
    const [registered] = (await app.batches.listRecent({})).items;
    const statusText = renderStatus(registered as Batch, [...launches.values()], pc.createColors(false)).join(
      '\n',
    );
    expect(statusText).toMatch(/S2 .*WAITING_FOR_INPUTS/);
    expect(statusText).toContain(
      `restored 0 of 1 archived input, due ${restore?.dueAt.slice(0, 16).replace('T', ' ')} UTC`,
    );
    // Deep Archive Bulk is due within 48 h
    expect(Date.parse(restore?.dueAt ?? '') - Date.parse(restore?.requestedAt ?? '')).toBe(48 * 60 * 60_000);

    // Act 2: S3 says the restore completed (delivered twice, as EventBridge may)
    await app.onRestoreCompleted(restoreCompleted(archived));
    await app.onRestoreCompleted(restoreCompleted(archived));
    await app.pump({ times: 2 });

    // Assess: S2 is launched once, with its restored input noted
    launches = await launchesOf(app);
    const s2 = launches.get('FC-ARCH/S2');
    expect(s2?.status).toBe('SUBMITTED');
    expect(s2?.archivedInputs?.[0]?.restoredAt).toBeDefined();
    expect(s2?.statusHistory.map((entry) => entry.status)).toEqual([
      'REGISTERED',
      'WAITING_FOR_INPUTS',
      'QUEUED',
      'SUBMITTING',
      'SUBMITTED',
    ]);
    expect(app.omics.startRunCalls).toHaveLength(3);
    expect(await app.restores.get(archived)).toMatchObject({
      state: 'RESTORED',
      expiresAt: '2026-12-12T00:00:00.000Z',
    });

    // Act 3: every run completes
    for (const sample of ['S1', 'S2', 'S3']) await finishRun(app, launches.get(`FC-ARCH/${sample}`));

    // Assess: the batch ends COMPLETED with one notice
    const [batch] = (await app.batches.listRecent({})).items;
    expect(batch?.status).toBe('COMPLETED');
    const completed = app.notices.filter((notice) => notice.kind === 'batch-completed');
    expect(completed).toHaveLength(1);
    // The notice says which sample waited for its input, and how long
    const [notice] = completed;
    if (notice?.kind !== 'batch-completed') throw new Error('no batch-completed notice');
    expect(notice.waitedForInputs?.count).toBe(1);
    expect(notice.waitedForInputs?.samples.map((sample) => sample.sampleId)).toEqual(['S2']);
    expect(notice.waitedForInputs?.samples[0]?.waitedMs).toBeGreaterThan(0);
    expect(renderNotice(notice).text).toMatch(
      /Archived: {2}1 sample waited for inputs to be restored from an S3 archive: S2 \d+/,
    );
    expect(batchCompletedDetail(notice, 256 * 1024).waitedForInputs).toMatchObject({
      count: 1,
      samples: [{ sampleId: 'S2' }],
    });
  });

  it('restores an object two batches share once, and launches both samples when it is back', async () => {
    // Prepare: two batches name the same Glacier reference
    app = await makeTestApp();
    const shared = 's3://lab-inputs/refs/hg38.fa';
    app.inputStates.set(shared, { kind: 'present', sizeBytes: 3_000, storageClass: 'GLACIER' });
    const withReference = (name: string, folder: string) => {
      const base = nativeManifest({ name, folder, sampleIds: ['A'] });
      return {
        ...base,
        samples: base.samples.map((s) => ({ ...s, inputs: { ...s.inputs, reference: shared } })),
      };
    };
    // The first asks for the Expedited tier in its manifest
    app.upload(MANIFESTS, 'fc/one.json', {
      ...withReference('FC-ONE', 'one'),
      restore: { tier: 'Expedited' },
    });
    app.upload(MANIFESTS, 'fc/two.json', withReference('FC-TWO', 'two'));

    // Act 1: both register; S3 says the object is being restored when the second one looks
    await app.onManifest(s3Put(MANIFESTS, 'fc/one.json'));
    app.inputStates.set(shared, {
      kind: 'present',
      sizeBytes: 3_000,
      storageClass: 'GLACIER',
      restore: 'ongoing-request="true"',
    });
    await app.onManifest(s3Put(MANIFESTS, 'fc/two.json'));
    await app.pump({ times: 2 });

    // Assess: one RestoreObject for both, in the tier the first manifest asked for; both wait
    expect(app.restoreCalls.map((call) => [call.uri, call.tier])).toEqual([[shared, 'Expedited']]);
    let launches = await launchesOf(app);
    expect(launches.get('FC-ONE/A')?.status).toBe('WAITING_FOR_INPUTS');
    expect(launches.get('FC-TWO/A')?.status).toBe('WAITING_FOR_INPUTS');

    // Act 2: restored
    await app.onRestoreCompleted(restoreCompleted(shared));
    await app.pump({ times: 2 });

    // Assess: both launched, each once
    launches = await launchesOf(app);
    expect(launches.get('FC-ONE/A')?.status).toBe('SUBMITTED');
    expect(launches.get('FC-TWO/A')?.status).toBe('SUBMITTED');
    expect(app.omics.startRunCalls).toHaveLength(2);
  });

  it('holds the QC launch until its archived input is back, and restores that input once', async () => {
    // Prepare: the QC workflow reads a panel kept in Deep Archive; the samples' reads are in Standard
    app = await makeTestApp();
    const panel = 's3://lab-inputs/refs/panel.bed';
    app.inputStates.set(panel, { kind: 'present', sizeBytes: 2_000, storageClass: 'DEEP_ARCHIVE' });
    await register(
      app,
      'fc/qc-panel.json',
      nativeManifest({
        name: 'FC-QCARCH',
        folder: 'qcarch',
        sampleIds: ['S1', 'S2'],
        qc: { workflow: { id: '7777777' }, outputUri: 's3://lab-results/qcarch/qc/', inputs: { panel } },
      }),
    );
    const [batch] = (await app.batches.listRecent({})).items;
    const restore = await app.restores.get(panel);
    expect(batch?.qcArchivedInputs).toEqual([
      { uri: panel, storageClass: 'DEEP_ARCHIVE', dueAt: restore?.dueAt },
    ]);
    expect(app.restoreCalls.map((call) => call.uri)).toEqual([panel]);

    // Act 1: both samples finish while the panel is still being restored
    let launches = await launchesOf(app);
    await finishRun(app, launches.get('FC-QCARCH/S1'));
    await finishRun(app, launches.get('FC-QCARCH/S2'));
    await app.pump({ times: 2 });

    // Assess 1: QC is due, but its launch waits for the panel; no QC run, no second restore
    launches = await launchesOf(app);
    const waiting = launches.get('FC-QCARCH/_qc');
    expect((await app.batches.get(batch?.batchId ?? ''))?.status).toBe('QC_RUNNING');
    expect(waiting?.status).toBe('WAITING_FOR_INPUTS');
    expect(waiting?.archivedInputs).toEqual([
      { uri: panel, storageClass: 'DEEP_ARCHIVE', dueAt: restore?.dueAt },
    ]);
    expect(app.omics.startRunCalls.map((call) => call.name)).not.toContainEqual(
      expect.stringContaining('_qc'),
    );
    expect(app.omics.startRunCalls).toHaveLength(2);
    expect(app.restoreCalls).toHaveLength(1);

    // Act 2: S3 says the panel is back
    await app.onRestoreCompleted(restoreCompleted(panel));
    await app.pump({ times: 2 });

    // Assess 2: the QC run starts, once
    launches = await launchesOf(app);
    const qc = launches.get('FC-QCARCH/_qc');
    expect(qc?.status).toBe('SUBMITTED');
    expect(qc?.archivedInputs?.[0]?.restoredAt).toBeDefined();
    expect(app.omics.startRunCalls).toHaveLength(3);
    expect(app.restoreCalls).toHaveLength(1);
  });

  it('cancels a waiting launch on a typed CANCEL, and does not launch it when its input comes back', async () => {
    // Prepare: one waiting sample
    app = await makeTestApp();
    const archived = 's3://lab-inputs/fc3/S1_R1.fastq.gz';
    app.inputStates.set(archived, { kind: 'present', storageClass: 'GLACIER' });
    await register(
      app,
      'fc/cancel.json',
      nativeManifest({ name: 'FC-CANCEL', folder: 'fc3', sampleIds: ['S1'] }),
    );
    const waiting = (await launchesOf(app)).get('FC-CANCEL/S1');
    expect(waiting?.status).toBe('WAITING_FOR_INPUTS');

    // Act: CANCEL typed in the console, then the restore completes
    await consoleSetStatus(app, waiting as Launch, 'CANCEL');
    await app.pump({ times: 2 });
    await app.onRestoreCompleted(restoreCompleted(archived));
    await app.pump({ times: 2 });

    // Assess: CANCELLED, never started; the batch finished with its notice
    const launch = (await launchesOf(app)).get('FC-CANCEL/S1');
    expect(launch?.status).toBe('CANCELLED');
    expect(app.omics.startRunCalls).toHaveLength(0);
    const [batch] = (await app.batches.listRecent({})).items;
    expect(batch?.status).toBe('FAILED');
  });

  it('ends a launch LAUNCH_FAILED with the reason when S3 refuses its restore', async () => {
    // Prepare: S3 refuses the restore (the object went meanwhile)
    app = await makeTestApp();
    const archived = 's3://lab-inputs/fc4/S1_R1.fastq.gz';
    app.inputStates.set(archived, { kind: 'present', storageClass: 'DEEP_ARCHIVE' });
    const { RestoreRefusedError } = await import('../../domain/errors.js');
    app.restoreAnswers.set(archived, new RestoreRefusedError('S3 refused RestoreObject: NoSuchKey'));
    app.upload(
      MANIFESTS,
      'fc/refused.json',
      nativeManifest({ name: 'FC-REFUSED', folder: 'fc4', sampleIds: ['S1', 'S2'] }),
    );

    // Act
    await app.onManifest(s3Put(MANIFESTS, 'fc/refused.json'));
    await app.pump({ times: 2 });

    // Assess
    const launches = await launchesOf(app);
    expect(launches.get('FC-REFUSED/S1')).toMatchObject({
      status: 'LAUNCH_FAILED',
      failureReason: `input ${archived} could not be restored: S3 refused RestoreObject: NoSuchKey`,
    });
    expect(launches.get('FC-REFUSED/S2')?.status).toBe('SUBMITTED');
    expect(await app.restores.get(archived)).toMatchObject({ state: 'FAILED' });
  });
});

describe('archived inputs restored again', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('restores again a copy that expired before the run started, then runs it', async () => {
    // Prepare: one sample waits for a Glacier read
    app = await makeTestApp();
    const archived = 's3://lab-inputs/exp/S1_R1.fastq.gz';
    app.inputStates.set(archived, { kind: 'present', storageClass: 'GLACIER' });
    await register(
      app,
      'fc/expired.json',
      nativeManifest({ name: 'FC-EXP', folder: 'exp', sampleIds: ['S1'] }),
    );

    // Act 1: the restore is reported with a copy that has already expired when the launcher gets to it
    await app.onRestoreCompleted(restoreCompleted(archived, '2020-01-01T00:00:00Z'));
    await app.pump({ times: 2 });

    // Assess: not started; waiting again, and restored again (a second RestoreObject)
    let launch = (await launchesOf(app)).get('FC-EXP/S1');
    expect(launch?.status).toBe('WAITING_FOR_INPUTS');
    expect(launch?.note).toContain('expired before the run started');
    expect(app.restoreCalls.map((call) => call.uri)).toEqual([archived, archived]);
    expect(app.omics.startRunCalls).toHaveLength(0);

    // Act 2: the new copy lasts
    await app.onRestoreCompleted(restoreCompleted(archived, '2099-01-01T00:00:00Z'));
    await app.pump({ times: 2 });

    // Assess
    launch = (await launchesOf(app)).get('FC-EXP/S1');
    expect(launch?.status).toBe('SUBMITTED');
    expect(app.omics.startRunCalls).toHaveLength(1);
  });

  it('asks again when a launch whose restore was refused is retried, and runs the new attempt once restored', async () => {
    // Prepare: the restore is refused (no permission yet), so the launch failed
    app = await makeTestApp();
    const archived = 's3://lab-inputs/retry/S1_R1.fastq.gz';
    app.inputStates.set(archived, { kind: 'present', storageClass: 'DEEP_ARCHIVE' });
    const { RestoreRefusedError } = await import('../../domain/errors.js');
    app.restoreAnswers.set(archived, new RestoreRefusedError('S3 refused RestoreObject: AccessDenied'));
    await register(
      app,
      'fc/retry.json',
      nativeManifest({ name: 'FC-RETRY', folder: 'retry', sampleIds: ['S1'] }),
    );
    const failed = (await launchesOf(app)).get('FC-RETRY/S1');
    expect(failed?.status).toBe('LAUNCH_FAILED');

    // Act 1: the permission is fixed and a person types RETRY
    app.restoreAnswers.delete(archived);
    await consoleSetStatus(app, failed as Launch, 'RETRY');
    await app.pump({ times: 2 });

    // Assess: attempt 2 waits for a new restore; nothing started
    let launch = (await launchesOf(app)).get('FC-RETRY/S1');
    expect(launch).toMatchObject({ status: 'WAITING_FOR_INPUTS', attempt: 2 });
    expect(app.restoreCalls.map((call) => call.uri)).toEqual([archived, archived]);
    expect(app.omics.startRunCalls).toHaveLength(0);

    // Act 2: restored
    await app.onRestoreCompleted(restoreCompleted(archived, '2099-01-01T00:00:00Z'));
    await app.pump({ times: 2 });

    // Assess: attempt 2 started once
    launch = (await launchesOf(app)).get('FC-RETRY/S1');
    expect(launch).toMatchObject({ status: 'SUBMITTED', attempt: 2 });
    expect(app.omics.startRunCalls).toHaveLength(1);
  });

  it('looks again at a waiting launch on RETRY: a restore found done meanwhile lets it run', async () => {
    // Prepare: a waiting launch whose restore item is RESTORED, but the launch was never told
    app = await makeTestApp();
    const archived = 's3://lab-inputs/again/S1_R1.fastq.gz';
    app.inputStates.set(archived, { kind: 'present', storageClass: 'GLACIER' });
    await register(
      app,
      'fc/again.json',
      nativeManifest({ name: 'FC-AGAIN', folder: 'again', sampleIds: ['S1'] }),
    );
    const restore = await app.restores.get(archived);
    if (!restore) throw new Error('no restore item');
    await app.restores.replace(restore, {
      ...restore,
      state: 'RESTORED',
      restoredAt: new Date().toISOString(),
      revision: restore.revision + 1,
    });
    const waiting = (await launchesOf(app)).get('FC-AGAIN/S1');

    // Act
    await consoleSetStatus(app, waiting as Launch, 'RETRY');
    await app.pump({ times: 2 });

    // Assess: run once, the same attempt
    const launch = (await launchesOf(app)).get('FC-AGAIN/S1');
    expect(launch).toMatchObject({ status: 'SUBMITTED', attempt: 1 });
    expect(app.restoreCalls).toHaveLength(1);
    expect(app.omics.startRunCalls).toHaveLength(1);
  });
});

describe('archived inputs, when S3 events are lost', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());
  /** A clock the test moves: restores are due hours after they are asked for. */
  let clock = Date.parse('2026-12-05T08:00:00Z');

  async function waitingApp(sampleIds: string[], folder: string) {
    clock = Date.parse('2026-12-05T08:00:00Z');
    app = await makeTestApp({ now: () => new Date(clock) });
    const uris = sampleIds.map((id) => `s3://lab-inputs/${folder}/${id}_R1.fastq.gz`);
    for (const uri of uris)
      app.inputStates.set(uri, { kind: 'present', sizeBytes: 10, storageClass: 'GLACIER' });
    await register(app, `fc/${folder}.json`, nativeManifest({ name: folder, folder, sampleIds }));
    return uris;
  }

  it('finds overdue restores with HeadObject: restored ones launch, a gone one fails, a lost request is sent again', async () => {
    // Prepare: three samples wait for Glacier reads (Bulk: due within 12 h); no event ever comes
    const [restored, gone, lost] = await waitingApp(['S1', 'S2', 'S3'], 'lost');
    expect(app.restoreCalls).toHaveLength(3);
    // Half a day later S3 has restored S1's read, S2's was deleted, and S3's request was never carried out
    clock += 13 * 60 * 60_000;
    app.inputStates.set(restored ?? '', {
      kind: 'present',
      sizeBytes: 10,
      storageClass: 'GLACIER',
      restore: 'ongoing-request="false", expiry-date="Sat, 12 Dec 2026 00:00:00 GMT"',
    });
    app.inputStates.set(gone ?? '', { kind: 'missing', reason: 'no such object' });

    // Act
    const result = await app.reconcile();
    await app.pump({ times: 2 });

    // Assess
    expect(result.restores).toMatchObject({ restored: [restored], failed: [gone], requestedAgain: [lost] });
    const launches = await launchesOf(app);
    expect(launches.get('lost/S1')?.status).toBe('SUBMITTED');
    expect(launches.get('lost/S2')).toMatchObject({ status: 'LAUNCH_FAILED' });
    expect(launches.get('lost/S2')?.failureReason).toContain('the object is gone');
    expect(launches.get('lost/S3')?.status).toBe('WAITING_FOR_INPUTS');
    expect(app.restoreCalls.map((call) => call.uri).sort()).toEqual([restored, gone, lost, lost].sort());
    expect(await app.restores.get(lost ?? '')).toMatchObject({ state: 'REQUESTED', requests: 2 });
    expect(app.omics.startRunCalls).toHaveLength(1);
  });

  it('moves a launch on when its restore item changed and its wake-up was missed', async () => {
    // Prepare: a waiting launch whose restore item was marked RESTORED without it being told
    const [uri] = await waitingApp(['S1'], 'missed');
    const restore = await app.restores.get(uri ?? '');
    if (!restore) throw new Error('no restore item');
    await app.restores.replace(restore, {
      ...restore,
      state: 'RESTORED',
      restoredAt: new Date(clock).toISOString(),
      revision: restore.revision + 1,
    });
    clock += 11 * 60_000;

    // Act
    const result = await app.reconcile();
    await app.pump({ times: 2 });

    // Assess
    expect(result.restores.launchesRepaired).toBe(1);
    expect((await launchesOf(app)).get('missed/S1')?.status).toBe('SUBMITTED');
    expect(app.omics.startRunCalls).toHaveLength(1);
  });
});
