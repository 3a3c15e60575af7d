import type { TaskListItem } from '@aws-sdk/client-omics';
import { afterEach, describe, expect, it } from 'vitest';
import { renderHistory } from '../../cli/commands/history.js';
import { renderStatus } from '../../cli/commands/status.js';
import type { Colors } from '../../cli/io.js';
import type { Launch } from '../../domain/launch.js';
import { queryHistory } from '../../domain/use-cases/history.js';
import { consoleSetStatus } from '../support/console-edit.js';
import { nativeManifest } from '../support/manifests.js';
import { makeTestApp, s3Put, type TestApp } from '../support/test-app.js';

const T0 = Date.UTC(2026, 11, 1, 8, 0, 0);
const plain = new Proxy({}, { get: () => (text: string) => text }) as Colors;

function task(name: string, minutes: number, extra: Partial<TaskListItem> = {}): TaskListItem {
  return {
    taskId: `${name}-${minutes}-${extra.cacheHit ? 'hit' : 'ran'}`,
    name,
    status: 'COMPLETED',
    instanceType: 'omics.c.large',
    startTime: new Date(T0),
    stopTime: new Date(T0 + minutes * 60_000),
    ...extra,
  };
}

async function finish(app: TestApp, launch: Launch, status: 'COMPLETED' | 'FAILED') {
  const runId = launch.runId ?? '';
  for (const step of ['STARTING', 'RUNNING', 'STOPPING', status] as const) {
    await app.onRunStatus(app.omics.transition(runId, step));
  }
  await app.pump();
}

async function launchOf(app: TestApp, launch: Launch): Promise<Launch> {
  const stored = await app.launches.get(launch.batchId, launch.launchId);
  if (!stored) throw new Error(`no launch ${launch.launchId}`);
  return stored;
}

describe('a retry that resumes from the run cache', () => {
  let app: TestApp;
  afterEach(async () => app?.dispose());

  it('starts every run with the manifest’s cache, and the retried launch shows how many tasks came from it', async () => {
    // Prepare: one sample and a QC step, the run cache named in the defaults
    app = await makeTestApp();
    const base = nativeManifest({ name: 'FC-CACHE', folder: 'cache', sampleIds: ['S1'] });
    const manifest = {
      ...base,
      defaults: { ...base.defaults, cache: { id: '8000001', behavior: 'CACHE_ON_FAILURE' } },
      qc: { workflow: { id: '7777777' }, outputUri: 's3://lab-results/cache/qc/' },
    };
    app.upload('lab-manifests', 'fc/cache.json', manifest);
    await app.onManifest(s3Put('lab-manifests', 'fc/cache.json'));
    await app.pump();
    const batch = (await app.batches.listRecent({})).items.find((b) => b.name === 'FC-CACHE');
    const [first] = (await app.launches.listByBatch(batch?.batchId ?? '')).items;
    if (!batch || !first?.runId) throw new Error('the sample was not started');

    // Act: attempt 1 measures, then fails; it is retried, and attempt 2 takes the measuring from the cache
    app.omics.setUsage(first.runId, {
      tasks: [task('measure', 30), task('summarize', 2, { status: 'FAILED' })],
      startTime: new Date(T0),
      stopTime: new Date(T0 + 40 * 60_000),
    });
    await finish(app, first, 'FAILED');
    await consoleSetStatus(app, first, 'RETRY');
    await app.pump();
    const retried = await launchOf(app, first);
    app.omics.setUsage(retried.runId ?? '', {
      tasks: [task('measure', 0, { cacheHit: true }), task('summarize', 2), task('report', 1)],
      startTime: new Date(T0),
      stopTime: new Date(T0 + 5 * 60_000),
    });
    await finish(app, retried, 'COMPLETED');
    expect(await app.collectCosts()).toEqual([]);
    const qc = (await app.launches.listByBatch(batch.batchId)).items.find((launch) => launch.kind === 'QC');
    const launches = (await app.launches.listByBatch(batch.batchId)).items;
    const stored = await launchOf(app, first);
    const history = await queryHistory(app, { sampleId: 'S1', range: {}, limit: 10 });

    // Assess: every StartRun named the cache: both attempts of the sample, and the QC run
    expect(app.omics.startRunCalls.map((call) => [call.name, call.cacheId, call.cacheBehavior])).toEqual([
      ['FC-CACHE-S1-1', '8000001', 'CACHE_ON_FAILURE'],
      ['FC-CACHE-S1-2', '8000001', 'CACHE_ON_FAILURE'],
      ['FC-CACHE-_qc-1', '8000001', 'CACHE_ON_FAILURE'],
    ]);
    expect(qc?.runCache).toEqual({ id: '8000001', behavior: 'CACHE_ON_FAILURE' });
    // Each attempt keeps its own count: 1 of 3 tasks came from the cache on attempt 2, none on attempt 1
    expect(stored).toMatchObject({ status: 'COMPLETED', attempt: 2, runCache: { id: '8000001' } });
    expect(stored.cost).toMatchObject({ attempt: 2, taskCount: 3, cachedTaskCount: 1 });
    expect(stored.attempts[0]?.cost).toMatchObject({ attempt: 1, taskCount: 2 });
    expect(stored.attempts[0]?.cost?.cachedTaskCount).toBeUndefined();
    // The cached task cost nothing: 2 + 1 billed minutes of compute only
    expect(stored.cost?.instanceHours['omics.c.large']).toBeCloseTo(3 / 60, 6);
    // And people see it: gwm status and gwm history
    const status = renderStatus(batch, launches, plain).join('\n');
    expect(status).toMatch(/\btasks\b/);
    expect(status).toMatch(/S1 .*3 tasks, 1 from the run cache/);
    const historyText = renderHistory(history, { colors: plain });
    expect(historyText).toMatch(/2\s+.*COMPLETED.*3 tasks, 1 from the run cache/);
    expect(historyText).toMatch(/1 \(earlier\).*FAILED.*2 tasks/);
  });
});
