import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_MANIFEST_LIMITS,
  type ManifestContext,
  parseManifest,
  renderTemplate,
} from '../../domain/manifest/index.js';
import { LOCAL_PROFILES, LOCAL_WORKFLOW_IDS, localWorkflows } from '../../examples/workflows/catalog.js';
import type { QcReport } from '../../examples/workflows/fastq-qc-report.js';
import type { FastqStatsDocument } from '../../examples/workflows/fastq-stats.js';
import { corruptFastq, syntheticFastq } from '../../examples/workflows/synthetic-fastq.js';

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
// s3rver is CommonJS without type declarations: loaded with require, typed here as far as used.
const requireCjs = createRequire(import.meta.url);
const S3rver = requireCjs('s3rver') as new (options: {
  port: number;
  address: string;
  directory: string;
  silent: boolean;
}) => S3rverInstance;
/** s3rver knows one account with the key pair S3RVER/S3RVER; the local key pair joins it. */
const s3rverAccount = requireCjs('s3rver/lib/models/account.js') as {
  DUMMY_ACCOUNT: { createKeyPair(accessKeyId: string, secretAccessKey: string): void };
};

/** Each test starts a real Node process with tsx: about half a second, far more on a busy machine. */
const CHILD_TIMEOUT_MS = 60_000;
const REPO = fileURLToPath(new URL('../../', import.meta.url));
const FASTQ_STATS = fileURLToPath(new URL('../../examples/workflows/fastq-stats.ts', import.meta.url));
const FASTQ_QC_REPORT = fileURLToPath(
  new URL('../../examples/workflows/fastq-qc-report.ts', import.meta.url),
);

interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program as the local engine would: an argv array, no shell, stdout and stderr apart. */
function runProcess(command: string, args: string[], env: Record<string, string> = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: REPO,
      shell: false,
      env: { ...process.env, GWM_S3_ENDPOINT: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const runProgram = (program: string, args: string[]) =>
  runProcess(process.execPath, ['--import', 'tsx', program, ...args]);

function lastLine(text: string): string | undefined {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .at(-1);
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** G/C/N counts of a FASTQ's sequence lines, counted here rather than by the program under test. */
function countBases(fastq: string): { reads: number; bases: number; gc: number; n: number } {
  const sequences = fastq.split('\n').filter((_, index) => index % 4 === 1);
  const all = sequences.join('');
  return {
    reads: sequences.length,
    bases: all.length,
    gc: (all.match(/[GC]/gi) ?? []).length,
    n: (all.match(/N/gi) ?? []).length,
  };
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gwm-local-workflows-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// Three records whose numbers are worked out by hand:
//   r1 ACGTN / IIII#  -> 5 bases, GC 2, N 1, qualities 40 40 40 40 2
//   r2 ggcc  / 5555   -> 4 bases, GC 4, qualities 20 20 20 20 (lower case, '+' repeats the name)
//   r3 ATATAT/ ?????? -> 6 bases, GC 0, qualities 30 x 6
// bases 15, GC 6 of 14 called bases, N 1, quality sum 162 + 80 + 180 = 422,
// bases at Q30 or more: 4 + 0 + 6 = 10.
const HAND_WRITTEN = [
  '@r1 first',
  'ACGTN',
  '+',
  'IIII#',
  '@r2',
  'ggcc',
  '+r2',
  '5555',
  '@r3',
  'ATATAT',
  '+',
  '??????',
];

describe('fastq-stats', { timeout: CHILD_TIMEOUT_MS }, () => {
  it('computes reads, bases, GC, quality and N rate of hand-written records, LF or CRLF, plain or gzipped', async () => {
    // Prepare: the same records as plain LF text (reads1) and as gzipped CRLF text (reads2)
    const reads1 = join(dir, 'hand_R1.fastq');
    const reads2 = join(dir, 'hand_R2.fq.data');
    await writeFile(reads1, `${HAND_WRITTEN.join('\n')}\n`);
    await writeFile(reads2, gzipSync(`${HAND_WRITTEN.join('\r\n')}\r\n`));
    const out = join(dir, 'hand-out');

    // Act
    const result = await runProgram(FASTQ_STATS, [
      '--sample',
      'HAND1',
      '--reads1',
      reads1,
      '--reads2',
      reads2,
      '--min-quality',
      '30',
      '--out',
      out,
    ]);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const stats = await readJson<FastqStatsDocument>(join(out, 'stats.json'));
    const perFile = {
      reads: 3,
      bases: 15,
      gcBases: 6,
      nBases: 1,
      gcPercent: 42.857143,
      meanQuality: 28.133333,
      basesAtOrAboveMinQuality: 10,
      fractionAtOrAboveMinQuality: 0.666667,
      nRate: 0.066667,
      minReadLength: 4,
      maxReadLength: 6,
      meanReadLength: 5,
      readLengthHistogram: { '4': 1, '5': 1, '6': 1 },
    };
    expect(stats).toMatchObject({
      schema: 'gwm.fastq-stats/v1',
      sample: 'HAND1',
      minQuality: 30,
      paired: true,
    });
    expect(stats.files).toEqual([
      { role: 'reads1', uri: reads1, gzipped: false, ...perFile },
      { role: 'reads2', uri: reads2, gzipped: true, ...perFile },
    ]);
    expect(stats.total).toEqual({
      ...perFile,
      reads: 6,
      bases: 30,
      gcBases: 12,
      nBases: 2,
      basesAtOrAboveMinQuality: 20,
      readLengthHistogram: { '4': 2, '5': 2, '6': 2 },
      pairs: 3,
    });
    expect(stats.readLengthHistogram).toEqual({ '4': 2, '5': 2, '6': 2 });
    expect(lastLine(result.stdout)).toContain(`HAND1: 6 reads, 30 bases, GC 42.86%`);
  });

  it('gives the same statistics for a synthetic file plain and gzipped, streamed across many chunks', async () => {
    // Prepare: 2,000 reads of 150 bases (about 640 kB, so well over one read chunk)
    const options = { seed: 7, reads: 2000, readLength: 150, gcFraction: 0.6, nFraction: 0.01 };
    const plain = syntheticFastq(options);
    const gzipped = syntheticFastq({ ...options, gzip: true });
    expect(gzipped.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
    const expected = countBases(plain.toString('ascii'));
    await writeFile(join(dir, 'syn.fastq.gz'), plain); // a misleading name: the content decides
    await writeFile(join(dir, 'syn.fastq'), gzipped);
    const out = join(dir, 'syn-out');

    // Act
    const result = await runProgram(FASTQ_STATS, [
      '--sample=SYN',
      `--reads1=${join(dir, 'syn.fastq.gz')}`,
      `--reads2=${join(dir, 'syn.fastq')}`,
      `--out=${out}`,
    ]);

    // Assess
    expect(result.code).toBe(0);
    const stats = await readJson<FastqStatsDocument>(join(out, 'stats.json'));
    const [first, second] = stats.files;
    expect(first).toMatchObject({
      gzipped: false,
      reads: 2000,
      bases: 300_000,
      gcBases: expected.gc,
      nBases: expected.n,
      readLengthHistogram: { '150': 2000 },
    });
    expect(expected).toMatchObject({ reads: 2000, bases: 300_000 });
    expect(second).toEqual({ ...first, role: 'reads2', uri: join(dir, 'syn.fastq'), gzipped: true });
    expect(stats.minQuality).toBe(20);
    expect(stats.total.meanQuality).toBeGreaterThan(34);
    expect(stats.total.meanQuality).toBeLessThan(36);
  });

  it.each([
    { gzip: false, name: 'bad.fastq' },
    { gzip: true, name: 'bad.fastq.gz' },
  ])(
    'fails with the line of a quality line shorter than its sequence (gzip: $gzip)',
    async ({ gzip, name }) => {
      // Prepare: 9 reads of 36 bases; record 4 (0-based) has a 35-character quality line, line 4*4+4 = 20
      const path = join(dir, name);
      await writeFile(path, corruptFastq({ seed: 3, reads: 9, readLength: 36, gzip }));
      const out = join(dir, `${name}-out`);

      // Act
      const result = await runProgram(FASTQ_STATS, ['--sample', 'NA12878', '--reads1', path, '--out', out]);

      // Assess
      expect(result.code).toBe(1);
      expect(lastLine(result.stderr)).toBe(
        `fastq-stats: NA12878 reads1 line 20: quality line length 35 differs from sequence length 36 (${path})`,
      );
      await expect(readFile(join(out, 'stats.json'))).rejects.toThrow(/ENOENT/);
    },
  );

  it('fails clearly on a truncated gzip file', async () => {
    // Prepare
    const whole = syntheticFastq({ seed: 4, reads: 500, readLength: 100, gzip: true });
    const path = join(dir, 'truncated.fastq.gz');
    await writeFile(path, whole.subarray(0, Math.floor(whole.length / 2)));

    // Act
    const result = await runProgram(FASTQ_STATS, ['--sample=S2', `--reads1=${path}`, `--out=${dir}/t-out`]);

    // Assess
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toMatch(
      new RegExp(
        `^fastq-stats: S2 reads1: gzip data is truncated \\(unexpected end of file after \\d+ complete lines\\) \\(${path.replaceAll('.', '\\.')}\\)$`,
      ),
    );
  });

  it('fails when the two files of a pair hold different numbers of reads', async () => {
    // Prepare
    const reads1 = join(dir, 'pair_R1.fastq');
    const reads2 = join(dir, 'pair_R2.fastq.gz');
    await writeFile(reads1, syntheticFastq({ seed: 5, reads: 10, readLength: 50 }));
    await writeFile(reads2, syntheticFastq({ seed: 6, reads: 9, readLength: 50, gzip: true }));

    // Act
    const result = await runProgram(FASTQ_STATS, [
      '--sample=S3',
      `--reads1=${reads1}`,
      `--reads2=${reads2}`,
      `--out=${dir}/pair-out`,
    ]);

    // Assess
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toBe(
      `fastq-stats: S3: paired files differ in read count: reads1 has 10, reads2 has 9 (${reads1}, ${reads2})`,
    );
  });

  it('exits 2 with the usage when a required argument is missing', async () => {
    // Act
    const result = await runProgram(FASTQ_STATS, ['--sample=S4', '--out', join(dir, 'usage-out')]);

    // Assess
    expect(result.code).toBe(2);
    expect(lastLine(result.stderr)).toMatch(
      /^fastq-stats: --reads1 is required; usage: fastq-stats --sample/,
    );
  });
});

describe('fastq-qc-report', { timeout: CHILD_TIMEOUT_MS }, () => {
  const runs = () => ({
    paired: join(dir, 'runs', '1000001'),
    small: join(dir, 'runs', '1000002'),
    noisy: join(dir, 'runs', '1000003'),
  });

  beforeAll(async () => {
    // Three sample runs, each leaving out/stats.json as fastq-stats does
    const { paired, small, noisy } = runs();
    const fastq = join(dir, 'qc-inputs');
    await mkdir(fastq, { recursive: true });
    await writeFile(
      join(fastq, 'p1.fq.gz'),
      syntheticFastq({ seed: 11, reads: 1500, readLength: 20, gzip: true }),
    );
    await writeFile(
      join(fastq, 'p2.fq.gz'),
      syntheticFastq({ seed: 12, reads: 1500, readLength: 20, gzip: true }),
    );
    await writeFile(join(fastq, 'small.fq'), syntheticFastq({ seed: 13, reads: 300, readLength: 20 }));
    await writeFile(
      join(fastq, 'noisy.fq'),
      syntheticFastq({ seed: 14, reads: 1200, readLength: 20, nFraction: 0.05 }),
    );
    const results = await Promise.all([
      runProgram(FASTQ_STATS, [
        '--sample=NA12878',
        `--reads1=${join(fastq, 'p1.fq.gz')}`,
        `--reads2=${join(fastq, 'p2.fq.gz')}`,
        `--out=${join(paired, 'out')}`,
      ]),
      runProgram(FASTQ_STATS, [
        '--sample=low<&>"sample',
        `--reads1=${join(fastq, 'small.fq')}`,
        `--out=${join(small, 'out')}`,
      ]),
      runProgram(FASTQ_STATS, [
        '--sample=NA19238',
        `--reads1=${join(fastq, 'noisy.fq')}`,
        `--out=${join(noisy, 'out')}`,
      ]),
    ]);
    expect(results.map((result) => result.code)).toEqual([0, 0, 0]);
  }, CHILD_TIMEOUT_MS);

  it('reads the runs from a list file, one per line, as gwm writes it for large batches', async () => {
    // Prepare
    const { paired, small, noisy } = runs();
    const list = join(dir, 'sample-outputs.txt');
    await writeFile(list, `${paired}/\n${small}\r\n\n${noisy}\n`);
    const out = join(dir, 'qc-list-out');

    // Act
    const result = await runProgram(FASTQ_QC_REPORT, ['--batch=B', `--inputs-list=${list}`, `--out=${out}`]);

    // Assess
    expect(result.code).toBe(0);
    const report = await readJson<QcReport>(join(out, 'report.json'));
    expect(report.summary).toMatchObject({ samples: 3, reads: 3000 + 300 + 1200 });
    const both = await runProgram(FASTQ_QC_REPORT, [
      '--batch=B',
      `--inputs-list=${list}`,
      `--inputs=${small}`,
      `--out=${out}`,
    ]);
    expect(both.code).toBe(2);
    expect(lastLine(both.stderr)).toMatch(/give one of --inputs and --inputs-list/);
  });

  it('reports every sample with its reads and flags the ones under the thresholds', async () => {
    // Prepare
    const { paired, small, noisy } = runs();
    const out = join(dir, 'qc-out');

    // Act
    const result = await runProgram(FASTQ_QC_REPORT, [
      '--batch=HK3H3BBXY <lane 1>',
      `--inputs=${JSON.stringify([`${paired}/`, small, noisy])}`,
      '--min-reads=1000',
      '--min-mean-quality=28',
      '--max-n-rate=0.01',
      `--out=${out}`,
    ]);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = await readJson<QcReport>(join(out, 'report.json'));
    expect(report).toMatchObject({
      schema: 'gwm.qc-report/v1',
      batch: 'HK3H3BBXY <lane 1>',
      thresholds: { minReads: 1000, minMeanQuality: 28, maxNRate: 0.01 },
      summary: { samples: 3, flagged: 2, reads: 3000 + 300 + 1200, bases: (3000 + 300 + 1200) * 20 },
    });
    expect(Date.parse(report.generatedAt)).not.toBeNaN();
    expect(
      report.samples.map((row) => ({
        sample: row.sample,
        reads: row.reads,
        pairs: row.pairs,
        flags: row.flags.map((flag) => flag.code),
        source: row.source,
      })),
    ).toEqual([
      { sample: 'NA12878', reads: 3000, pairs: 1500, flags: [], source: `${paired}/` },
      { sample: 'NA19238', reads: 1200, pairs: null, flags: ['high-n-rate'], source: noisy },
      { sample: 'low<&>"sample', reads: 300, pairs: null, flags: ['low-reads'], source: small },
    ]);
    expect(report.samples[2]?.flags[0]?.message).toBe('300 reads, below the minimum of 1,000');

    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('low&lt;&amp;&gt;&quot;sample');
    expect(html).not.toContain('low<&>"sample');
    expect(html).toContain('HK3H3BBXY &lt;lane 1&gt;');
    expect(html).toContain('NA12878');
    expect(html).toContain('NA19238');
    expect(html).toMatch(/<svg[^>]*>/);
    expect(html.match(/<g class="row flagged">/g)).toHaveLength(2);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/\b(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
    expect(lastLine(result.stdout)).toContain('HK3H3BBXY <lane 1>: 3 samples, 2 flagged');
  });

  it('fails naming the input whose stats.json is missing', async () => {
    // Prepare
    const { paired } = runs();
    const missing = join(dir, 'runs', '1000009');

    // Act
    const result = await runProgram(FASTQ_QC_REPORT, [
      '--batch=B2',
      `--inputs=${paired},${missing}`,
      `--out=${join(dir, 'qc-missing-out')}`,
    ]);

    // Assess
    expect(result.code).toBe(1);
    expect(lastLine(result.stderr)).toBe(
      `fastq-qc-report: input ${missing}: no readable stats (${join(missing, 'out', 'stats.json')}: no such file)`,
    );
  });
});

describe('local workflow catalog', () => {
  const workflows = localWorkflows({ s3Endpoint: 'http://127.0.0.1:4569', region: 'eu-west-1' });
  const fastqStats = workflows[LOCAL_WORKFLOW_IDS.fastqStats];
  const fastqQcReport = workflows[LOCAL_WORKFLOW_IDS.fastqQcReport];
  const run = (parameters: Record<string, unknown>) => ({
    parameters,
    outputDir: '/runs/1000001/out',
    runId: '1000001',
  });

  it('maps fastq-stats parameters onto the program argv, and reads2 only when there is one', () => {
    // Act
    const paired = fastqStats?.args(
      run({
        reads1: 's3://lab-in/a_R1.fq.gz',
        reads2: 's3://lab-in/a_R2.fq.gz',
        sample_name: 'NA12878',
        min_quality: 30,
      }),
    );
    const single = fastqStats?.args(
      run({ reads1: 's3://lab-in/b.fq.gz', reads2: null, sample_name: '-odd' }),
    );

    // Assess
    expect(fastqStats?.command).toBe(process.execPath);
    expect(paired?.slice(0, 3)).toEqual([
      '--import',
      expect.stringMatching(/^file:\/\/.*\/tsx\/dist\/loader\.mjs$/),
      FASTQ_STATS,
    ]);
    expect(paired?.slice(3)).toEqual([
      '--sample=NA12878',
      '--reads1=s3://lab-in/a_R1.fq.gz',
      '--reads2=s3://lab-in/a_R2.fq.gz',
      '--min-quality=30',
      '--out=/runs/1000001/out',
    ]);
    expect(single?.slice(3)).toEqual([
      '--sample=-odd',
      '--reads1=s3://lab-in/b.fq.gz',
      '--out=/runs/1000001/out',
    ]);
    expect(fastqStats?.env).toMatchObject({
      GWM_S3_ENDPOINT: 'http://127.0.0.1:4569',
      AWS_ACCESS_KEY_ID: 'gwmlocal',
      AWS_SECRET_ACCESS_KEY: 'gwmlocal',
      AWS_REGION: 'eu-west-1',
    });
  });

  it('refuses fastq-stats parameters that are missing or of the wrong type', () => {
    expect(() => fastqStats?.args(run({ sample_name: 'NA12878' }))).toThrow(
      'fastq-stats: parameter "reads1" is required',
    );
    expect(() =>
      fastqStats?.args(run({ reads1: 's3://lab-in/a.fq', sample_name: 'S', min_quality: 'high' })),
    ).toThrow('fastq-stats: parameter "min_quality" must be an integer from 0 to 93, not "high"');
    expect(() => fastqStats?.args(run({ reads1: '/etc/passwd', sample_name: 'S' }))).toThrow(
      'fastq-stats: parameter "reads1" (/etc/passwd): expected an S3 URI of the form s3://bucket/key',
    );
    expect(() => fastqStats?.args(run({ reads1: 's3://lab-in/a.fq', sample_name: 7 }))).toThrow(
      'fastq-stats: parameter "sample_name" must be a string, not 7',
    );
  });

  it('maps fastq-qc-report parameters onto the program argv', () => {
    // Act
    const args = fastqQcReport?.args(
      run({
        sample_outputs: ['s3://out/fc/1000001/', 's3://out/fc/1000002/'],
        batch_name: 'HK3H3BBXY',
        min_reads: 1000,
        min_mean_quality: 28,
        max_n_rate: 0.01,
      }),
    );

    // Assess
    expect(args?.[2]).toBe(FASTQ_QC_REPORT);
    expect(args?.slice(3)).toEqual([
      '--batch=HK3H3BBXY',
      '--inputs=["s3://out/fc/1000001/","s3://out/fc/1000002/"]',
      '--min-reads=1000',
      '--min-mean-quality=28',
      '--max-n-rate=0.01',
      '--out=/runs/1000001/out',
    ]);
    expect(() => fastqQcReport?.args(run({ batch_name: 'B' }))).toThrow(
      /fastq-qc-report: parameter "sample_outputs" .* or "sample_outputs_list" is required/,
    );
    expect(
      fastqQcReport?.args(run({ sample_outputs_list: 's3://out/qc/sample-outputs.txt', batch_name: 'B' })),
    ).toContain('--inputs-list=s3://out/qc/sample-outputs.txt');
    expect(() => fastqQcReport?.args(run({ sample_outputs: [], batch_name: 'B' }))).toThrow(
      'lists no run outputs',
    );
  });

  it('keeps the profiles exactly as their JSON files say', async () => {
    // Prepare
    const files = await Promise.all(
      ['fastq-stats.json', 'fastq-qc-report.json'].map((file) =>
        readJson<unknown>(
          fileURLToPath(new URL(`../../examples/workflows/profiles/${file}`, import.meta.url)),
        ),
      ),
    );

    // Assess
    expect(LOCAL_PROFILES).toEqual(files);
    expect(LOCAL_PROFILES.map((profile) => [profile.name, profile.workflow.id])).toEqual([
      ['fastq-stats', LOCAL_WORKFLOW_IDS.fastqStats],
      ['fastq-qc-report', LOCAL_WORKFLOW_IDS.fastqQcReport],
    ]);
  });

  it('turns a manifest with a paired and a single-end sample into program arguments through the profiles', () => {
    // Prepare: the single-end sample has no fastq2; the profile's reads2 is the optional {{sample.fastq2?}}
    const context: ManifestContext = {
      limits: DEFAULT_MANIFEST_LIMITS,
      allowedReadPrefixes: ['s3://gwm-local-inputs/'],
      allowedWritePrefixes: ['s3://gwm-local-results/'],
      profiles: new Map(LOCAL_PROFILES.map((profile) => [profile.name, profile])),
      batch: { id: 'batch-1', defaultName: 'fc1' },
    };
    const manifest = {
      schemaVersion: 'gwm.manifest/v1',
      batch: { name: 'FC1' },
      defaults: { profile: 'fastq-stats', outputUri: 's3://gwm-local-results/FC1/' },
      samples: [
        {
          id: 'NA12878',
          inputs: {
            fastq1: 's3://gwm-local-inputs/NA12878_R1.fq.gz',
            fastq2: 's3://gwm-local-inputs/NA12878_R2.fq.gz',
          },
        },
        {
          id: 'NA12891',
          inputs: { fastq1: 's3://gwm-local-inputs/NA12891.fq.gz' },
        },
      ],
      qc: { profile: 'fastq-qc-report', outputUri: 's3://gwm-local-results/FC1/qc/' },
    };
    const text = JSON.stringify(manifest);

    // Act
    const result = parseManifest({ text, sizeBytes: text.length }, context);

    // Assess
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.plan.samples[1]?.parameters).toEqual({
      reads1: 's3://gwm-local-inputs/NA12891.fq.gz',
      sample_name: 'NA12891',
      min_quality: 20,
    });
    const argv = result.plan.samples.map((sample) => fastqStats?.args(run(sample.parameters)).slice(3));
    expect(argv).toEqual([
      [
        '--sample=NA12878',
        '--reads1=s3://gwm-local-inputs/NA12878_R1.fq.gz',
        '--reads2=s3://gwm-local-inputs/NA12878_R2.fq.gz',
        '--min-quality=20',
        '--out=/runs/1000001/out',
      ],
      [
        '--sample=NA12891',
        '--reads1=s3://gwm-local-inputs/NA12891.fq.gz',
        '--min-quality=20',
        '--out=/runs/1000001/out',
      ],
    ]);
    const qc = result.plan.qc;
    if (qc === undefined) throw new Error('no QC run planned');
    const rendered = renderTemplate(qc.parameterTemplate, {
      batch: {
        id: 'batch-1',
        name: 'FC1',
        sampleOutputUris: ['s3://gwm-local-results/FC1/1000001/'],
        sampleOutputsListUri: 's3://gwm-local-results/FC1/qc/gwm/batch-1/qc-1/sample-outputs.txt',
      },
    });
    if (!rendered.ok) throw new Error(JSON.stringify(rendered.problems));
    expect(fastqQcReport?.args(run(rendered.value)).slice(3)).toEqual([
      '--batch=FC1',
      '--inputs-list=s3://gwm-local-results/FC1/qc/gwm/batch-1/qc-1/sample-outputs.txt',
      '--min-reads=1000',
      '--min-mean-quality=28',
      '--max-n-rate=0.01',
      '--out=/runs/1000001/out',
    ]);
  });
});

describe('fastq-stats on S3', { timeout: CHILD_TIMEOUT_MS }, () => {
  let server: S3rverInstance;
  let endpoint: string;

  beforeAll(async () => {
    s3rverAccount.DUMMY_ACCOUNT.createKeyPair('gwmlocal', 'gwmlocal');
    server = new S3rver({ port: 0, address: '127.0.0.1', directory: join(dir, 's3'), silent: true });
    const address = await server.run();
    endpoint = `http://127.0.0.1:${address.port}`;
  }, CHILD_TIMEOUT_MS);
  afterAll(async () => {
    await server?.close();
  });

  it('reads a gzipped FASTQ from the local S3 with the catalog’s argv and environment', async () => {
    // Prepare
    const client = new S3Client({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
    const fastq = syntheticFastq({ seed: 21, reads: 800, readLength: 75, gzip: true });
    const expected = countBases(syntheticFastq({ seed: 21, reads: 800, readLength: 75 }).toString('ascii'));
    try {
      await client.send(new CreateBucketCommand({ Bucket: 'gwm-local-inputs' }));
      await client.send(
        new PutObjectCommand({
          Bucket: 'gwm-local-inputs',
          Key: 'FC1/NA12878_S1_R1_001.fastq.gz',
          Body: fastq,
        }),
      );
    } finally {
      client.destroy();
    }
    const workflow = localWorkflows({ s3Endpoint: endpoint })[LOCAL_WORKFLOW_IDS.fastqStats];
    if (workflow === undefined) throw new Error('fastq-stats is not in the catalog');
    const outputDir = join(dir, 's3-run', 'out');
    const args = workflow.args({
      parameters: {
        reads1: 's3://gwm-local-inputs/FC1/NA12878_S1_R1_001.fastq.gz',
        sample_name: 'NA12878',
        min_quality: 25,
      },
      outputDir,
      runId: '1000001',
    });

    // Act
    const result = await runProcess(workflow.command, args, workflow.env);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const stats = await readJson<FastqStatsDocument>(join(outputDir, 'stats.json'));
    expect(stats).toMatchObject({ sample: 'NA12878', minQuality: 25, paired: false });
    expect(stats.files).toEqual([
      expect.objectContaining({
        uri: 's3://gwm-local-inputs/FC1/NA12878_S1_R1_001.fastq.gz',
        gzipped: true,
        reads: 800,
        bases: 60_000,
        gcBases: expected.gc,
        nBases: 0,
      }),
    ]);
  });
});
