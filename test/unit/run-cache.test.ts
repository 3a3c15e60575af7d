import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CACHE_STAGE_DIR,
  cacheBehaviorOf,
  exportToRunCache,
  findCacheEntry,
  keepsTasks,
  runCacheDir,
  runCacheEnvironment,
  stageCacheEntry,
  taskCacheKey,
} from '../../infra/local/engine/run-cache.js';
import { processTasks } from '../../infra/local/engine/run-tasks.js';
import type { LocalRun, LocalTask } from '../../infra/local/engine/types.js';
import { tempFolders } from '../support/temp-folders.js';

const folder = tempFolders('gwm-run-cache-');

function aTask(name: string, status: LocalTask['status'], cacheHit?: boolean): LocalTask {
  return {
    taskId: `1${name.length}`,
    name,
    status,
    cpus: 1,
    memoryGiB: 1,
    gpus: 0,
    creationTime: new Date(0),
    ...(cacheHit && { cacheHit }),
  };
}

/** A run that staged an entry for each of `staged`, with `tasks` as it reported them. */
async function runWithStage(
  runsDir: string,
  id: string,
  run: Partial<LocalRun>,
  staged: string[],
  tasks: LocalTask[],
): Promise<{ run: LocalRun; keys: Record<string, string> }> {
  const runDir = join(runsDir, id);
  const outputDir = join(runDir, 'out');
  await mkdir(outputDir, { recursive: true });
  const keys: Record<string, string> = {};
  for (const task of staged) {
    const key = taskCacheKey('4821093@', task, { id });
    keys[task] = key;
    await writeFile(join(outputDir, `${task}.txt`), task);
    await stageCacheEntry(
      join(runDir, CACHE_STAGE_DIR),
      { task, key, result: { task }, files: [`${task}.txt`] },
      outputDir,
    );
  }
  return { run: { ...run, id, runDir, outputDir, tasks } as LocalRun, keys };
}

describe('local run cache', () => {
  it('keeps the tasks of failed runs under CACHE_ON_FAILURE, of ended runs under CACHE_ALWAYS, never of cancelled ones', () => {
    expect(keepsTasks('CACHE_ON_FAILURE', 'FAILED')).toBe(true);
    expect(keepsTasks('CACHE_ON_FAILURE', 'COMPLETED')).toBe(false);
    expect(keepsTasks('CACHE_ALWAYS', 'COMPLETED')).toBe(true);
    expect(keepsTasks('CACHE_ALWAYS', 'FAILED')).toBe(true);
    expect(keepsTasks('CACHE_ALWAYS', 'CANCELLED')).toBe(false);
    expect(keepsTasks(undefined, 'FAILED')).toBe(false);
    expect(cacheBehaviorOf({ cacheId: '1' })).toBe('CACHE_ON_FAILURE');
    expect(cacheBehaviorOf({})).toBeUndefined();
  });

  it('keys a task by its workflow, name and inputs, whatever the order of their fields', () => {
    const key = taskCacheKey('4821093@1.0', 'measure', { uri: 's3://b/k', version: '"e1"', q: 20 });
    expect(taskCacheKey('4821093@1.0', 'measure', { q: 20, version: '"e1"', uri: 's3://b/k' })).toBe(key);
    expect(taskCacheKey('4821093@1.0', 'measure', { q: 20, version: '"e2"', uri: 's3://b/k' })).not.toBe(key);
    expect(taskCacheKey('4821093@1.0', 'summarize', { q: 20, version: '"e1"', uri: 's3://b/k' })).not.toBe(
      key,
    );
    expect(taskCacheKey('9876543@1.0', 'measure', { q: 20, version: '"e1"', uri: 's3://b/k' })).not.toBe(key);
  });

  it('gives a program the cache only when its run has one, overriding what the engine inherited', () => {
    const run = { workflowId: '4821093', workflowVersionName: '1.0', runDir: '/runs/1000001' };
    expect(runCacheEnvironment({ ...run, cacheId: '77' }, '/runs')).toEqual({
      GWM_RUN_CACHE_DIR: '/runs/run-caches/77',
      GWM_RUN_CACHE_STAGE: '/runs/1000001/cache-stage',
      GWM_RUN_CACHE_SCOPE: '4821093@1.0',
    });
    expect(runCacheEnvironment(run, '/runs')).toEqual({
      GWM_RUN_CACHE_DIR: '',
      GWM_RUN_CACHE_STAGE: '',
      GWM_RUN_CACHE_SCOPE: '',
    });
  });

  it('moves the entries of completed tasks of a failed run into its cache, and drops the rest of the stage', async () => {
    // Prepare: measure completed, summarize failed after it had staged (a crash between the two)
    const runsDir = await folder();
    const { run, keys } = await runWithStage(
      runsDir,
      '1000001',
      { cacheId: '55' },
      ['measure', 'summarize'],
      [aTask('measure', 'COMPLETED'), aTask('summarize', 'FAILED')],
    );

    // Act
    const added = exportToRunCache(run, runsDir, 'FAILED');

    // Assess
    const cacheDir = runCacheDir(runsDir, '55');
    expect(added).toEqual([keys.measure]);
    expect(await readdir(cacheDir)).toEqual([keys.measure]);
    expect(await findCacheEntry(cacheDir, keys.measure ?? '')).toMatchObject({
      task: 'measure',
      result: { task: 'measure' },
      files: ['measure.txt'],
    });
    expect(existsSync(join(run.runDir, CACHE_STAGE_DIR))).toBe(false);
  });

  it('adds nothing for a completed run under CACHE_ON_FAILURE, a cancelled one under CACHE_ALWAYS, or a run without a cache', async () => {
    const runsDir = await folder();
    const cases = [
      { id: '1000001', run: { cacheId: '56' }, status: 'COMPLETED' as const },
      {
        id: '1000002',
        run: { cacheId: '56', cacheBehavior: 'CACHE_ALWAYS' as const },
        status: 'CANCELLED' as const,
      },
      { id: '1000003', run: {}, status: 'FAILED' as const },
    ];
    for (const { id, run: settings, status } of cases) {
      const { run } = await runWithStage(runsDir, id, settings, ['measure'], [aTask('measure', 'COMPLETED')]);
      expect(exportToRunCache(run, runsDir, status)).toEqual([]);
      expect(existsSync(join(run.runDir, CACHE_STAGE_DIR))).toBe(false);
    }
    expect(existsSync(runCacheDir(runsDir, '56'))).toBe(false);
  });

  it('finds no entry whose files are gone', async () => {
    // Prepare
    const runsDir = await folder();
    const { run, keys } = await runWithStage(
      runsDir,
      '1000001',
      { cacheId: '57', cacheBehavior: 'CACHE_ALWAYS' },
      ['measure'],
      [aTask('measure', 'COMPLETED')],
    );
    exportToRunCache(run, runsDir, 'COMPLETED');
    const cacheDir = runCacheDir(runsDir, '57');
    const key = keys.measure ?? '';
    // Act
    await rm(join(cacheDir, key, 'files', 'measure.txt'));
    // Assess
    expect(await findCacheEntry(cacheDir, key)).toBeUndefined();
  });

  it('lists a step a program took from the cache with cacheHit', () => {
    const at = '2026-12-01T10:00:00.000Z';
    const tasks = processTasks(
      { id: '1000001', startTime: new Date(at) },
      { name: 'fastq-stats' },
      [
        { event: 'start', task: 'measure', at: new Date(at), cpus: 1, memoryGiB: 2, cacheHit: true },
        { event: 'stop', task: 'measure', at: new Date(at), status: 'COMPLETED' },
        { event: 'start', task: 'summarize', at: new Date(at), cpus: 1, memoryGiB: 1 },
      ],
      { at: new Date(at), status: 'COMPLETED' },
      undefined,
    );
    expect(tasks.map(({ name, status, cacheHit }) => ({ name, status, cacheHit }))).toEqual([
      { name: 'measure', status: 'COMPLETED', cacheHit: true },
      { name: 'summarize', status: 'COMPLETED', cacheHit: undefined },
    ]);
  });
});
