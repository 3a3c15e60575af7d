import { afterEach, describe, expect, it } from 'vitest';
import { renderHistory } from '../../cli/commands/history.js';
import { renderStatus } from '../../cli/commands/status.js';
import { colorsFor } from '../../cli/io.js';
import type { Team } from '../../domain/teams/team.js';
import { queryHistory } from '../../domain/use-cases/history.js';

const plainColors = colorsFor({ isTTY: false, env: {} } as never);

import { nativeManifest, sampleIds } from '../support/manifests.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const labA: Team = {
  name: 'lab-a',
  readPrefixes: ['s3://lab-inputs/lab-a/'],
  writePrefixes: ['s3://lab-results/lab-a/'],
  weight: 2,
  runGroupId: '4455667',
};

function manifestFor(folder: string, count: number, extra: Record<string, unknown> = {}) {
  const manifest = nativeManifest({
    name: `FC-${folder}`.replace(/\//g, '-'),
    folder,
    sampleIds: sampleIds(count),
  });
  return { ...manifest, batch: { ...manifest.batch, ...extra } };
}

describe('teams at intake', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  async function upload(key: string, manifest: unknown) {
    app.upload('lab-manifests', key, JSON.stringify(manifest));
    await app.onManifest(s3Put('lab-manifests', key));
    await app.pump();
    const [batch] = (await app.batches.listRecent({})).items.filter((item) => item.sourceUri.endsWith(key));
    if (!batch) throw new Error(`no batch for ${key}`);
    return batch;
  }

  it('gives a manifest under teams/<team>/ to that team: its prefixes, its run group, its uploader, its priority', async () => {
    // Prepare
    app = await makeTestApp();
    await app.teams.put(labA);
    // Act
    const batch = await upload(
      'teams/lab-a/run-1.json',
      manifestFor('lab-a/run-1', 3, { priority: 'urgent' }),
    );
    // Assess: the batch and every launch are the team's; every run started in the team's run group
    expect(batch).toMatchObject({
      status: 'ACTIVE',
      team: 'lab-a',
      priority: 'urgent',
      submittedBy: 'AWS:AIDAEXAMPLE',
    });
    const launches = (await app.launches.listByBatch(batch.batchId)).items;
    expect(launches.map((launch) => launch.team)).toEqual(['lab-a', 'lab-a', 'lab-a']);
    expect(launches.every((launch) => launch.status === 'SUBMITTED')).toBe(true);
    expect(app.omics.startRunCalls.map((call) => call.runGroupId)).toEqual(['4455667', '4455667', '4455667']);
  });

  it('rejects a team manifest that reads or writes outside the team’s prefixes, with the path, and starts nothing', async () => {
    app = await makeTestApp();
    await app.teams.put(labA);
    // lab-b's inputs are inside the deployment's prefixes, not inside lab-a's
    const batch = await upload('teams/lab-a/run-2.json', manifestFor('lab-b/run-2', 2));
    expect(batch.status).toBe('REJECTED');
    expect(batch.team).toBe('lab-a');
    expect(batch.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          path: '$.samples[0].inputs.fastq1',
          code: 'READ_PREFIX_NOT_ALLOWED',
          message: expect.stringContaining(
            'is not under a prefix team lab-a may read (s3://lab-inputs/lab-a/)',
          ),
        }),
        expect.objectContaining({ path: '$.defaults.outputUri', code: 'WRITE_PREFIX_NOT_ALLOWED' }),
      ]),
    );
    expect(app.omics.startRunCalls).toHaveLength(0);
    // The rejection notice names the team, for the team's subscription filter
    expect(app.notices).toEqual([expect.objectContaining({ kind: 'manifest-rejected', team: 'lab-a' })]);
  });

  it('rejects a manifest under an unknown team, one naming another team, and (without a default team) one outside teams/', async () => {
    app = await makeTestApp({ settings: { DEFAULT_TEAM: '' } });
    await app.teams.put(labA);
    const unknown = await upload('teams/lab-z/run.json', manifestFor('lab-a/x', 1));
    expect(unknown).toMatchObject({
      status: 'REJECTED',
      problems: [expect.objectContaining({ code: 'TEAM_UNKNOWN' })],
    });
    const other = await upload('teams/lab-a/claims-b.json', manifestFor('lab-a/y', 1, { team: 'lab-b' }));
    expect(other).toMatchObject({
      status: 'REJECTED',
      problems: [expect.objectContaining({ path: '$.batch.team', code: 'TEAM_MISMATCH' })],
    });
    const outside = await upload('manifests/run.json', manifestFor('lab-a/z', 1));
    expect(outside).toMatchObject({
      status: 'REJECTED',
      problems: [expect.objectContaining({ code: 'TEAM_REQUIRED' })],
    });
    expect(app.omics.startRunCalls).toHaveLength(0);
  });

  it('gives a manifest outside teams/ to the default team, with the deployment’s prefixes', async () => {
    app = await makeTestApp();
    const batch = await upload('manifests/run-3.json', manifestFor('anywhere/run-3', 2));
    expect(batch).toMatchObject({ status: 'ACTIVE', team: 'default', priority: 'normal' });
    expect(app.omics.startRunCalls).toHaveLength(2);
    expect(app.omics.startRunCalls.every((call) => call.runGroupId === undefined)).toBe(true);
  });

  it('lists one team’s launches from the team index, newest first, and shows the team on the batch', async () => {
    app = await makeTestApp();
    await app.teams.put(labA);
    await app.teams.put({
      ...labA,
      name: 'lab-b',
      readPrefixes: ['s3://lab-inputs/lab-b/'],
      writePrefixes: ['s3://lab-results/lab-b/'],
    });
    const first = await upload('teams/lab-a/one.json', manifestFor('lab-a/one', 2));
    await upload('teams/lab-b/other.json', manifestFor('lab-b/other', 3));
    const second = await upload('teams/lab-a/two.json', manifestFor('lab-a/two', 1, { priority: 'low' }));
    // Act
    const result = await queryHistory(app, { team: 'lab-a', range: {}, limit: 100 });
    // Assess: lab-a's three launches, newest batch first, none of lab-b's
    expect(result.kind).toBe('launches');
    expect(result.rows.map((row) => [row.team, row.batchId])).toEqual([
      ['lab-a', second.batchId],
      ['lab-a', first.batchId],
      ['lab-a', first.batchId],
    ]);
    const text = renderHistory(result, { colors: plainColors }).split('\n');
    expect(text[1]).toMatch(/team/);
    expect(renderStatus(second, [], plainColors)).toContain(
      '  team          lab-a (priority low, uploaded by AWS:AIDAEXAMPLE)',
    );
  });
});
