import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Launch } from '../../domain/launch.js';
import type { Page } from '../../domain/ports.js';
import { queryHistory, sampleAttempts } from '../../domain/use-cases/history.js';
import { nativeManifest } from '../support/manifests.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

let clock = Date.parse('2026-11-01T08:00:00.000Z');
const now = () => new Date(clock);

function manifest(name: string, workflowId: string, samples: string[]) {
  return nativeManifest({ name, folder: name, sampleIds: samples, workflowId });
}

/** The whole of `day` (YYYY-MM-DD, UTC) as a time range. */
const wholeDay = (day: string) => ({ from: `${day}T00:00:00Z`, to: `${day}T23:59:59Z` });

async function all<T>(fetch: (cursor?: string) => Promise<Page<T>>): Promise<{ items: T[]; pages: number }> {
  const items: T[] = [];
  let cursor: string | undefined;
  let pages = 0;
  do {
    const page = await fetch(cursor);
    items.push(...page.items);
    cursor = page.cursor;
    pages++;
  } while (cursor);
  return { items, pages };
}

describe('launch history', () => {
  let app: TestApp;
  const batchIds: Record<string, string> = {};

  beforeAll(async () => {
    // Prepare: three flowcells on three days; NA12878 is in all three; two workflows
    app = await makeTestApp({ now });
    const plan: Array<[string, string, string[]]> = [
      ['FC-A', '1111111', ['NA12878', 'NA12891', 'NA12892', 'HG002', 'HG003']],
      ['FC-B', '2222222', ['NA12878', 'HG004']],
      ['FC-C', '1111111', ['NA12878', 'HG005', 'HG006']],
    ];
    for (const [day, [name, workflow, samples]] of plan.entries()) {
      clock = Date.parse(`2026-11-0${day + 1}T08:00:00.000Z`);
      app.upload('lab-manifests', `fc/${name}.json`, manifest(name, workflow, samples));
      await app.onManifest(s3Put('lab-manifests', `fc/${name}.json`));
      await app.pump();
    }
    for (const batch of (await app.batches.listRecent({})).items) batchIds[batch.name] = batch.batchId;
    // FC-A's NA12878 failed and was retried
    const [first] = (await app.launches.listBySample('NA12878', { limit: 10 })).items.filter(
      (l) => l.batchName === 'FC-A',
    );
    if (!first?.runId) throw new Error('no run for FC-A/NA12878');
    await app.onRunStatus(app.omics.transition(first.runId, 'FAILED', { failureReason: 'bad lane' }));
    const failed = await app.launches.get(first.batchId, first.launchId);
    if (!failed) throw new Error('launch vanished');
    await app.launches.replace(failed, { ...failed, status: 'RETRY' });
    await app.pump();
  });
  afterAll(async () => app?.dispose());

  it('lists recent batches newest first, in a time range', async () => {
    const recent = await app.batches.listRecent({});
    expect(recent.items.map((batch) => batch.name)).toEqual(['FC-C', 'FC-B', 'FC-A']);
    const range = await app.batches.listRecent(wholeDay('2026-11-02'));
    expect(range.items.map((batch) => batch.name)).toEqual(['FC-B']);
  });

  it('pages through a batch with its launches', async () => {
    const first = await queryHistory(app, { batchId: batchIds['FC-A'], range: {}, limit: 2 });
    if (first.kind !== 'launches') throw new Error(`expected launches, got ${first.kind}`);
    expect(first.rows.map((row) => row.batchName)).toEqual(['FC-A', 'FC-A']);
    const { items, pages } = await all((cursor) =>
      app.launches.listByBatch(batchIds['FC-A'] ?? '', { limit: 2, cursor }),
    );
    expect(items.map((launch) => launch.sampleId).sort()).toEqual([
      'HG002',
      'HG003',
      'NA12878',
      'NA12891',
      'NA12892',
    ]);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('lists every attempt of a sample across batches', async () => {
    const { items } = await all((cursor) => sampleAttempts(app, 'NA12878', { limit: 1, cursor }));
    expect(items.map((row) => `${row.batchName}#${row.attempt}:${row.status}`)).toEqual([
      'FC-C#1:SUBMITTED',
      'FC-B#1:SUBMITTED',
      'FC-A#2:SUBMITTED',
      'FC-A#1:FAILED',
    ]);
    expect(items.at(-1)?.failureReason).toBe('bad lane');
  });

  it('answers a sample from its index and applies the other filters to every attempt read', async () => {
    // Act
    const failed = await queryHistory(app, { sampleId: 'NA12878', status: 'FAILED', range: {}, limit: 10 });
    const inFcB = await queryHistory(app, {
      batchId: batchIds['FC-B'],
      sampleId: 'NA12878',
      range: {},
      limit: 10,
    });
    // Assess
    if (failed.kind !== 'launches' || inFcB.kind !== 'launches') throw new Error('expected launches');
    expect(failed.rows.map((row) => `${row.batchName}#${row.attempt}:${row.current}`)).toEqual([
      'FC-A#1:false',
    ]);
    expect(inFcB.rows.map((row) => `${row.batchName}:${row.sampleId}`)).toEqual(['FC-B:NA12878']);
  });

  it('lists launches of a workflow in a time range', async () => {
    const all1111 = await all((cursor) => app.launches.listByWorkflow('1111111', {}, { limit: 3, cursor }));
    expect(all1111.items).toHaveLength(8);
    const day3 = await app.launches.listByWorkflow('1111111', wholeDay('2026-11-03'));
    expect(day3.items.map((launch: Launch) => launch.batchName)).toEqual(['FC-C', 'FC-C', 'FC-C']);
  });

  it('lists launches in a status in a time range', async () => {
    const submitted = await all((cursor) => app.launches.listByStatus('SUBMITTED', {}, { limit: 4, cursor }));
    expect(submitted.items).toHaveLength(10);
    const day2 = await app.launches.listByStatus('SUBMITTED', wholeDay('2026-11-02'));
    expect(day2.items.map((launch) => launch.batchName)).toEqual(['FC-B', 'FC-B']);
  });
});
