import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetRunCommand, StartRunCommand, type StartRunCommandInput } from '@aws-sdk/client-omics';
import { describe, expect, it } from 'vitest';
import { LOCAL_WORKFLOW_IDS } from '../../examples/workflows/catalog.js';
import { corruptFastq, syntheticFastq } from '../../examples/workflows/synthetic-fastq.js';
import type { LocalRun } from '../../infra/local/engine/index.js';
import { useLocalEngines } from '../support/local-engines.js';

const INPUT_BUCKET = 'gwm-cache-input';
const OUTPUT_BUCKET = 'gwm-cache-output';
const READS = 1_500;
/** Every StartRun its own requestId: an engine restarted on the same folder still knows the old ones. */
let requests = 0;

const engines = useLocalEngines({
  name: 'gwm-engine-cache',
  inputBucket: INPUT_BUCKET,
  outputBucket: OUTPUT_BUCKET,
});
const put = engines.put;

const goodR1 = () => syntheticFastq({ seed: 11, reads: READS, readLength: 100, gzip: true });
const goodR2 = () => syntheticFastq({ seed: 12, reads: READS, readLength: 100, gzip: true });
const badR2 = () => corruptFastq({ seed: 12, reads: READS, readLength: 100, gzip: true });

async function start(runsDir: string) {
  const { engine, client, adapter } = await engines.start(runsDir);

  /** Starts a fastq-stats run of the pair under `prefix` and waits for its end. */
  async function run(
    prefix: string,
    cache?: Pick<StartRunCommandInput, 'cacheId' | 'cacheBehavior'>,
  ): Promise<LocalRun> {
    requests += 1;
    const made = await client.send(
      new StartRunCommand({
        workflowId: LOCAL_WORKFLOW_IDS.fastqStats,
        roleArn: 'arn:aws:iam::123456789012:role/gwm-local',
        outputUri: `s3://${OUTPUT_BUCKET}/runs/`,
        parameters: {
          reads1: `s3://${INPUT_BUCKET}/${prefix}/R1.fastq.gz`,
          reads2: `s3://${INPUT_BUCKET}/${prefix}/R2.fastq.gz`,
          sample_name: 'S1',
        },
        storageType: 'DYNAMIC',
        requestId: `cache-test-${requests}`,
        ...cache,
      }),
    );
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ended = engine
        .runs()
        .find((candidate) => candidate.id === made.id && ['COMPLETED', 'FAILED'].includes(candidate.status));
      if (ended) return ended;
      if (Date.now() > deadline) throw new Error(`run ${made.id} did not end`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** The run's tasks as ListRunTasks reports them: name, status and cacheHit. */
  async function tasks(runId: string) {
    const page = await adapter.listRunTasks(runId, { maxResults: 100 });
    return page.tasks.map(({ name, status, cacheHit }) => ({ name, status, cacheHit }));
  }

  return { engine, client, run, tasks };
}

async function statsOf(
  run: LocalRun,
): Promise<{ total: { reads: number }; files: Array<{ reads: number }> }> {
  return JSON.parse(await readFile(join(run.outputDir, 'stats.json'), 'utf8'));
}

const task = (name: string, cacheHit: boolean, status = 'COMPLETED') => ({ name, status, cacheHit });

describe('local engine run cache', () => {
  it('resumes a failed run from its cache: the finished task is a cache hit, the rest run; another cache or none runs everything', async () => {
    // Prepare: R2 is corrupt, so the run measures R1 and fails on R2
    await put('resume/R1.fastq.gz', goodR1());
    await put('resume/R2.fastq.gz', badR2());
    const { client, run, tasks } = await start(engines.path('runs-resume'));
    const failed = await run('resume', { cacheId: '1111' });
    expect(failed.status).toBe('FAILED');
    expect(await tasks(failed.id)).toEqual([
      task('measure_reads1', false),
      task('measure_reads2', false, 'FAILED'),
    ]);

    // Act: R2 fixed, the run started again with the same cache, then with another cache and with none
    await put('resume/R2.fastq.gz', goodR2());
    const retried = await run('resume', { cacheId: '1111' });
    const otherCache = await run('resume', { cacheId: '2222' });
    const noCache = await run('resume');
    const details = await client.send(new GetRunCommand({ id: failed.id }));

    // Assess: the retry took measure_reads1 from the cache and ran the other two
    expect(retried.status).toBe('COMPLETED');
    expect(await tasks(retried.id)).toEqual([
      task('measure_reads1', true),
      task('measure_reads2', false),
      task('summarize', false),
    ]);
    const log = await readFile(retried.logPath, 'utf8');
    expect(log).toContain('S1 reads1: s3://gwm-cache-input/resume/R1.fastq.gz taken from the run cache');
    expect(log).not.toContain('S1 reads1: reading');
    expect(log).toContain('S1 reads2: reading');
    // The restored measurement counts as if it had been made: the summary has both files
    const stats = await statsOf(retried);
    expect(stats.files.map((file) => file.reads)).toEqual([READS, READS]);
    expect(stats.total.reads).toBe(2 * READS);
    // Another cache, or none, shares nothing: every task runs
    for (const other of [otherCache, noCache]) {
      expect(other.status).toBe('COMPLETED');
      expect(await tasks(other.id)).toEqual([
        task('measure_reads1', false),
        task('measure_reads2', false),
        task('summarize', false),
      ]);
      expect(await statsOf(other)).toEqual(stats);
    }
    // GetRun names the cache and the behavior it went by (the cache's default, as none was asked for)
    expect(details).toMatchObject({ cacheId: '1111', cacheBehavior: 'CACHE_ON_FAILURE' });
    expect((await client.send(new GetRunCommand({ id: noCache.id }))).cacheId).toBeUndefined();
  });

  it('keeps nothing of a run that completed under CACHE_ON_FAILURE, and a changed input is run again', async () => {
    // Prepare: one failed run (R1 cached), then a completed one with the same cache
    await put('onfail/R1.fastq.gz', goodR1());
    await put('onfail/R2.fastq.gz', badR2());
    const { run, tasks } = await start(engines.path('runs-onfail'));
    await run('onfail', { cacheId: '3333', cacheBehavior: 'CACHE_ON_FAILURE' });
    await put('onfail/R2.fastq.gz', goodR2());
    await run('onfail', { cacheId: '3333', cacheBehavior: 'CACHE_ON_FAILURE' });

    // Act: the same inputs again, then R1 replaced by other reads
    const again = await run('onfail', { cacheId: '3333', cacheBehavior: 'CACHE_ON_FAILURE' });
    await put('onfail/R1.fastq.gz', syntheticFastq({ seed: 99, reads: READS, readLength: 100, gzip: true }));
    const changed = await run('onfail', { cacheId: '3333', cacheBehavior: 'CACHE_ON_FAILURE' });

    // Assess: only the failed run's task is in the cache; the completed run left nothing
    expect(await tasks(again.id)).toEqual([
      task('measure_reads1', true),
      task('measure_reads2', false),
      task('summarize', false),
    ]);
    expect(changed.status).toBe('COMPLETED');
    expect(await tasks(changed.id)).toEqual([
      task('measure_reads1', false),
      task('measure_reads2', false),
      task('summarize', false),
    ]);
  });

  it('under CACHE_ALWAYS keeps every task of a completed run, and the cache outlives an engine restart', async () => {
    // Prepare
    await put('always/R1.fastq.gz', goodR1());
    await put('always/R2.fastq.gz', goodR2());
    const runsDir = engines.path('runs-always');
    const first = await start(runsDir);
    const computed = await first.run('always', { cacheId: '4444', cacheBehavior: 'CACHE_ALWAYS' });
    expect(computed.status).toBe('COMPLETED');
    await first.engine.stop();

    // Act: a new engine on the same runs folder
    const second = await start(runsDir);
    const cached = await second.run('always', { cacheId: '4444', cacheBehavior: 'CACHE_ALWAYS' });
    const details = await second.client.send(new GetRunCommand({ id: computed.id }));

    // Assess: nothing ran again, and the output is the one the first run wrote
    expect(cached.status).toBe('COMPLETED');
    expect(await second.tasks(cached.id)).toEqual([
      task('measure_reads1', true),
      task('measure_reads2', true),
      task('summarize', true),
    ]);
    expect(await readFile(join(cached.outputDir, 'stats.json'), 'utf8')).toBe(
      await readFile(join(computed.outputDir, 'stats.json'), 'utf8'),
    );
    expect(details).toMatchObject({ cacheId: '4444', cacheBehavior: 'CACHE_ALWAYS' });
  });

  it('refuses a malformed cache id, an unknown behavior and a behavior without a cache', async () => {
    const { client } = await start(engines.path('runs-refused'));
    const base: StartRunCommandInput = {
      workflowId: LOCAL_WORKFLOW_IDS.fastqStats,
      roleArn: 'arn:aws:iam::123456789012:role/gwm-local',
      outputUri: `s3://${OUTPUT_BUCKET}/runs/`,
      parameters: {},
    };
    const send = (input: Partial<StartRunCommandInput>) =>
      client.send(new StartRunCommand({ ...base, ...input } as StartRunCommandInput));

    await expect(send({ cacheId: 'abc' })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(send({ cacheId: '1234567890123456789' })).rejects.toMatchObject({
      name: 'ValidationException',
    });
    await expect(
      send({ cacheId: '5555', cacheBehavior: 'SOMETIMES' as StartRunCommandInput['cacheBehavior'] }),
    ).rejects.toMatchObject({
      name: 'ValidationException',
      message: expect.stringContaining('cacheBehavior'),
    });
    await expect(send({ cacheBehavior: 'CACHE_ALWAYS' })).rejects.toMatchObject({
      name: 'ValidationException',
      message: 'cacheBehavior needs a cacheId',
    });
  });
});
