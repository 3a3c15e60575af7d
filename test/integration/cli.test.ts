import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type Batch, batchIdFor, NO_COUNTS, sha256Hex } from '../../domain/batch.js';
import type { Launch } from '../../domain/launch.js';
import { launchItemKey } from '../../functions/adapters/console-edit.js';
import type { Entities } from '../../functions/adapters/entities.js';
import { gwmIn } from '../support/cli-runner.js';
import { CLI_BUCKETS, type CliStack, startCliStack } from '../support/cli-stack.js';
import { aBatch as aBatchOf, aLaunch } from '../support/launch-factory.js';
import type { TestTable } from '../support/local-aws.js';

const { manifests: MANIFESTS, inputs: INPUTS, results: RESULTS } = CLI_BUCKETS;
const _root = resolve(import.meta.dirname, '../..');

let tmp: string;
let stateDir: string;
let runsDir: string;
let s3: S3Client;
let table: TestTable;
let entities: Entities;
let batches: CliStack['batches'];
let launches: CliStack['launches'];

/** `gwm <args>` in this process, against the local stack described in the test's state folder. */
const gwm = gwmIn(() => stateDir);

function aBatch(overrides: Partial<Batch> & { batchId: string }): Batch {
  return aBatchOf({
    name: overrides.batchId,
    sourceUri: `s3://${MANIFESTS}/manifests/${overrides.batchId}.json`,
    contentSha256: 'seeded',
    counts: NO_COUNTS,
    ...overrides,
  });
}

/** A launch of `batchId` for `sampleId`, as the launch factory builds it. */
function launchOf(batchId: string, sampleId: string, overrides: Partial<Launch> = {}): Launch {
  return aLaunch({ batchId, sampleId, launchId: `${batchId}/${sampleId}`, batchName: batchId, ...overrides });
}

async function seed(batch: Batch, items: Launch[]): Promise<void> {
  expect(await batches.create(batch)).toBe('written');
  await launches.putMany(items);
}

async function rawItem(launch: { batchId: string; launchId: string }) {
  const { pk, sk } = launchItemKey(entities, launch);
  const { Item } = await table.client.send(
    new GetItemCommand({
      TableName: table.tableName,
      Key: { pk: { S: pk }, sk: { S: sk } },
      ConsistentRead: true,
    }),
  );
  return Item;
}

/**
 * Seeds `launch` in a batch of its own, runs `gwm <command> <launchId>`, and gives what the command
 * printed with the launch's stored item before and after.
 */
async function commandOnOne(command: 'retry' | 'cancel', launch: Launch, batch: Partial<Batch> = {}) {
  await seed(aBatch({ batchId: launch.batchId, ...batch }), [launch]);
  const before = await rawItem(launch);
  const result = await gwm([command, launch.launchId]);
  return { result, before, after: await rawItem(launch) };
}

/** Expects `gwm <command>` to refuse `launch` with `message` (exit 2) and to leave its status as it was. */
async function expectRefusedUnchanged(command: 'retry' | 'cancel', launch: Launch, message: string) {
  const { result, after } = await commandOnOne(command, launch);
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(message);
  expect(after?.status).toEqual({ S: launch.status });
}

/** The stored status of the launch of each of `sampleIds` in batch `batchId`. */
function storedStatuses(batchId: string, sampleIds: string[]): Promise<(string | undefined)[]> {
  return Promise.all(
    sampleIds.map(async (id) => (await rawItem({ batchId, launchId: `${batchId}/${id}` }))?.status?.S),
  );
}

async function objectKeys(prefix: string): Promise<string[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: MANIFESTS, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key ?? '');
}

let stack: CliStack | undefined;

beforeAll(async () => {
  stack = await startCliStack(inject('dynamodbEndpoint'));
  ({ tmp, stateDir, runsDir, s3, table, entities, batches, launches } = stack);
});

afterAll(async () => {
  await stack?.stop();
});

describe('gwm without a local stack', () => {
  it('exits 5 and says how to start one', async () => {
    const empty = join(tmp, 'no-stack');
    await mkdir(empty, { recursive: true });

    const result = await gwm(['status', 'anything'], { dir: empty });

    expect(result.code).toBe(5);
    expect(result.stderr).toContain(
      'no local stack is running: start one with `gwm up` (or use --stack <name> for a deployed stack)',
    );
    expect(result.stdout).toBe('');
  });
});

describe('gwm submit', () => {
  const sheet = (rows: string[]) => ['sample,fastq_1,fastq_2,lane', ...rows].join('\n');

  it('converts a sample sheet, uploads it and prints the batch id the intake will give it', async () => {
    // Prepare
    const file = join(tmp, 'FC-CLI-1.csv');
    await writeFile(
      file,
      sheet([
        `NA12878,s3://${INPUTS}/FC-CLI-1/NA12878_R1.fastq.gz,s3://${INPUTS}/FC-CLI-1/NA12878_R2.fastq.gz,L001`,
        `NA12891,s3://${INPUTS}/FC-CLI-1/NA12891_R1.fastq.gz,,"L001,L002"`,
      ]),
    );

    // Act
    const result = await gwm([
      'submit',
      file,
      '--workflow',
      'fastq-stats',
      '--qc-workflow',
      'fastq-qc-report',
    ]);

    // Assess
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const key = 'manifests/FC-CLI-1.json';
    const object = await s3.send(new GetObjectCommand({ Bucket: MANIFESTS, Key: key }));
    const body = (await object.Body?.transformToString('utf-8')) ?? '';
    expect(JSON.parse(body)).toEqual({
      schemaVersion: 'gwm.manifest/v1',
      batch: { name: 'FC-CLI-1' },
      defaults: { profile: 'fastq-stats', outputUri: `s3://${RESULTS}/FC-CLI-1/` },
      samples: [
        {
          id: 'NA12878',
          inputs: {
            fastq1: `s3://${INPUTS}/FC-CLI-1/NA12878_R1.fastq.gz`,
            fastq2: `s3://${INPUTS}/FC-CLI-1/NA12878_R2.fastq.gz`,
          },
          parameters: { lane: 'L001' },
        },
        {
          id: 'NA12891',
          inputs: { fastq1: `s3://${INPUTS}/FC-CLI-1/NA12891_R1.fastq.gz` },
          // The profile's reads2 is the optional {{sample.fastq2?}}: a single-end row needs nothing more.
          parameters: { lane: 'L001,L002' },
        },
      ],
      qc: { profile: 'fastq-qc-report' },
    });
    const batchId = batchIdFor(MANIFESTS, key, sha256Hex(body));
    expect(result.stdout).toContain(`Uploaded s3://${MANIFESTS}/${key} (2 sample(s))`);
    expect(result.stdout).toContain(`Batch id: ${batchId}`);
    expect(result.stdout).toContain(`gwm status ${batchId} --watch`);
  });

  it('lists every problem of a sample sheet by row and column and uploads nothing', async () => {
    // Prepare: row 3 reads outside the allowed buckets, row 4 repeats row 2's sample, row 5 has no FASTQ
    const file = join(tmp, 'FC-BAD.csv');
    await writeFile(
      file,
      sheet([
        `S1,s3://${INPUTS}/bad/S1_R1.fq.gz,s3://${INPUTS}/bad/S1_R2.fq.gz,L1`,
        `S2,s3://somebody-elses-bucket/S2_R1.fq.gz,s3://${INPUTS}/bad/S2_R2.fq.gz,L1`,
        `S1,s3://${INPUTS}/bad/S1b_R1.fq.gz,,L2`,
        'S4,,,L2',
      ]),
    );

    const result = await gwm([
      'submit',
      file,
      '--workflow',
      'fastq-stats',
      '--output',
      `s3://${INPUTS}/out/`,
    ]);

    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines[0]).toBe(`${file} has 4 problem(s); nothing was uploaded:`);
    expect(lines.slice(1).map((line) => line.trim().split(/\s{2,}/))).toEqual([
      [
        'option --output',
        'WRITE_PREFIX_NOT_ALLOWED',
        `s3://${INPUTS}/out/ is not under a prefix this deployment may write (s3://${RESULTS}/)`,
      ],
      [
        'row 3, column fastq_1',
        'READ_PREFIX_NOT_ALLOWED',
        `s3://somebody-elses-bucket/S2_R1.fq.gz is not under a prefix this deployment may read (s3://${INPUTS}/, s3://${RESULTS}/)`,
      ],
      ['row 4, column sample', 'DUPLICATE_SAMPLE_ID', 'sample id "S1" is already used by sample 0 at row 2'],
      ['row 5, column fastq_1', 'SCHEMA', 'the first FASTQ file is missing'],
    ]);
    expect(await objectKeys('manifests/FC-BAD')).toEqual([]);
  });

  it('refuses a sample sheet without --workflow, and a JSON manifest with sample-sheet options', async () => {
    const file = join(tmp, 'FC-CLI-1.csv');
    const json = join(tmp, 'manifest.json');
    await writeFile(json, '{}');

    const noWorkflow = await gwm(['submit', file]);
    const jsonWithOptions = await gwm(['submit', json, '--name', 'X']);

    expect(noWorkflow.code).toBe(2);
    expect(noWorkflow.stderr).toContain('a sample sheet needs --workflow <profile>');
    expect(jsonWithOptions.code).toBe(2);
    expect(jsonWithOptions.stderr).toContain('--name applies to sample sheets (.csv, .tsv)');
  });

  it('checks a JSON manifest with its JSON paths', async () => {
    const file = join(tmp, 'broken.json');
    await writeFile(
      file,
      JSON.stringify({
        schemaVersion: 'gwm.manifest/v1',
        defaults: { profile: 'fastq-stats', outputUri: `s3://${RESULTS}/x/` },
        samples: [{ id: 'A 1', inputs: { fastq1: `s3://${INPUTS}/a.fq.gz` } }],
      }),
    );

    const result = await gwm(['submit', file]);

    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/\$\.samples\[0\]\.id\s+SCHEMA\s+a sample id has 1-64 letters/);
    expect(await objectKeys('manifests/broken')).toEqual([]);
  });
});

describe('gwm submit of a manifest that was rejected', () => {
  it('uploads the identical file again, for the intake to check it again, and says so', async () => {
    // Prepare: the same bytes were rejected before (say, a profile was missing then)
    const file = join(tmp, 'FC-AGAIN.json');
    const text = JSON.stringify({
      schemaVersion: 'gwm.manifest/v1',
      batch: { name: 'FC-AGAIN' },
      defaults: { profile: 'fastq-stats', outputUri: `s3://${RESULTS}/FC-AGAIN/` },
      samples: [{ id: 'S1', inputs: { fastq1: `s3://${INPUTS}/FC-AGAIN/S1_R1.fastq.gz` } }],
    });
    await writeFile(file, text);
    const key = 'manifests/FC-AGAIN.json';
    const batchId = batchIdFor(MANIFESTS, key, sha256Hex(text));
    expect(await batches.create(aBatch({ batchId, status: 'REJECTED' }))).toBe('written');

    // Act
    const result = await gwm(['submit', file, '--json']);

    // Assess
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ batchId, uploaded: true, existingStatus: 'REJECTED' });
    expect(await objectKeys('manifests/FC-AGAIN')).toEqual([key]);
  });
});

describe('gwm status', () => {
  beforeAll(async () => {
    await seed(
      aBatch({
        batchId: 'st-mixed',
        name: 'FC-STATUS',
        status: 'COMPLETED_WITH_FAILURES',
        sampleCount: 2,
        counts: { ...NO_COUNTS, succeeded: 1, failed: 1 },
        notificationState: 'SENT',
        notifiedRound: 1,
      }),
      [
        launchOf('st-mixed', 'S1', { status: 'COMPLETED', runId: '501' }),
        launchOf('st-mixed', 'S2', { status: 'FAILED', runId: '502', failureReason: 'truncated FASTQ' }),
      ],
    );
    await seed(aBatch({ batchId: 'st-done', status: 'COMPLETED', counts: { ...NO_COUNTS, succeeded: 1 } }), [
      launchOf('st-done', 'S1', { status: 'COMPLETED', runId: '503' }),
    ]);
  });

  it('prints the batch and its launches as JSON, exit 4 when it finished with failures', async () => {
    const result = await gwm(['status', 'st-mixed', '--json']);

    expect(result.code).toBe(4);
    const document = JSON.parse(result.stdout);
    expect(document.batch).toMatchObject({
      batchId: 'st-mixed',
      name: 'FC-STATUS',
      status: 'COMPLETED_WITH_FAILURES',
    });
    expect(document.launchCounts).toEqual({ COMPLETED: 1, FAILED: 1 });
    expect(
      document.launches.map((launch: Launch) => [
        launch.sampleId,
        launch.status,
        launch.runId,
        launch.failureReason,
      ]),
    ).toEqual([
      ['S1', 'COMPLETED', '501', undefined],
      ['S2', 'FAILED', '502', 'truncated FASTQ'],
    ]);
  });

  it('finds a batch by its name, and exits 0 for a COMPLETED batch', async () => {
    const byName = await gwm(['status', 'FC-STATUS']);
    const done = await gwm(['status', 'st-done']);

    expect(byName.code).toBe(4);
    expect(byName.stdout).toContain('Batch FC-STATUS  st-mixed');
    expect(byName.stdout).toMatch(/S2\s*│\s*FAILED\s*│\s*1\s*│\s*502/);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('status        COMPLETED');
  });

  it('exits 3 for a batch that does not exist', async () => {
    const result = await gwm(['status', 'no-such-batch']);

    expect(result.code).toBe(3);
    expect(result.stderr).toContain('no batch has the id or name "no-such-batch"');
  });

  it('watches until the batch finishes, one line per change when not on a terminal', async () => {
    // Prepare: a running batch that finishes while it is watched
    await seed(aBatch({ batchId: 'st-watch', name: 'FC-WATCH' }), [
      launchOf('st-watch', 'S1', { status: 'RUNNING', runId: '601' }),
    ]);
    let polls = 0;
    const sleep = async () => {
      polls++;
      const launch = await launches.get('st-watch', 'st-watch/S1');
      const batch = await batches.get('st-watch');
      if (!launch || !batch) throw new Error('seeded items vanished');
      if (polls === 1) {
        await launches.replace(launch, { ...launch, status: 'COMPLETED', revision: launch.revision + 1 });
      } else if (polls === 2) {
        await batches.replace(batch, {
          ...batch,
          status: 'COMPLETED',
          counts: { ...NO_COUNTS, succeeded: 1 },
          revision: batch.revision + 1,
        });
      }
    };

    // Act
    const result = await gwm(['status', 'st-watch', '--watch', '--interval', '1'], { sleep });

    // Assess
    expect(result.code).toBe(0);
    expect(polls).toBe(2);
    const changes = result.stdout
      .split('\n')
      .filter((line) => /^\d{4}-/.test(line))
      .map((line) => line.slice(22));
    expect(changes).toEqual([
      'batch FC-WATCH: ACTIVE, 0/1 samples finished, QC NONE',
      'S1  RUNNING',
      'S1  COMPLETED',
      'batch FC-WATCH: COMPLETED, 1/1 samples finished, QC NONE',
    ]);
    expect(result.stdout).toContain('Batch FC-WATCH  st-watch');
  });
});

describe('gwm history', () => {
  beforeAll(async () => {
    await seed(aBatch({ batchId: 'h-one', name: 'FC-H1', createdAt: '2026-10-01T08:00:00.000Z' }), [
      launchOf('h-one', 'HG001', {
        batchName: 'FC-H1',
        workflowId: '3000001',
        status: 'FAILED',
        createdAt: '2026-10-01T08:00:00.000Z',
        updatedAt: '2026-10-01T09:00:00.000Z',
        failureReason: 'reads, "quoted"',
        runId: '701',
      }),
      launchOf('h-one', 'HG002', {
        batchName: 'FC-H1',
        workflowId: '3000001',
        status: 'COMPLETED',
        createdAt: '2026-10-01T08:00:00.000Z',
        updatedAt: '2026-10-01T09:30:00.000Z',
      }),
    ]);
    await seed(aBatch({ batchId: 'h-two', name: 'FC-H2', createdAt: '2026-10-03T08:00:00.000Z' }), [
      launchOf('h-two', 'HG001', {
        batchName: 'FC-H2',
        workflowId: '3000001',
        status: 'COMPLETED',
        attempt: 2,
        attempts: [{ attempt: 1, status: 'FAILED', runId: '801', failureReason: 'spot reclaimed' }],
        createdAt: '2026-10-03T08:00:00.000Z',
        updatedAt: '2026-10-03T10:00:00.000Z',
        runId: '802',
      }),
      launchOf('h-two', 'HG003', {
        batchName: 'FC-H2',
        workflowId: '3000002',
        status: 'FAILED',
        createdAt: '2026-10-03T08:00:00.000Z',
        updatedAt: '2026-10-03T09:00:00.000Z',
      }),
    ]);
  });

  it("lists a batch's launches as a table", async () => {
    const result = await gwm(['history', '--batch', 'FC-H1']);

    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/HG001 .*3000001 .*FAILED .*701/);
    expect(result.stdout).toMatch(/HG002 .*3000001 .*COMPLETED/);
    expect(result.stdout).toContain('2 launch(es)');
  });

  it('lists every run of a sample across batches, earlier attempts included, as JSON', async () => {
    const result = await gwm(['history', '--sample', 'HG001', '--json']);

    expect(result.code).toBe(0);
    const rows = JSON.parse(result.stdout) as {
      batchName: string;
      attempt: number;
      status: string;
      current: boolean;
    }[];
    expect(
      rows.map((row) => `${row.batchName}#${row.attempt}:${row.status}${row.current ? '' : ' (earlier)'}`),
    ).toEqual(['FC-H2#2:COMPLETED', 'FC-H2#1:FAILED (earlier)', 'FC-H1#1:FAILED']);
  });

  it('lists launches of a workflow in a time range as CSV, with quoting', async () => {
    const result = await gwm([
      'history',
      '--workflow',
      '3000001',
      '--since',
      '2026-10-01',
      '--until',
      '2026-10-02',
      '--status',
      'failed',
      '--csv',
    ]);

    expect(result.code).toBe(0);
    const lines = result.stdout.split('\r\n');
    expect(lines[0]).toBe(
      'launchId,batchId,batchName,sampleId,workflowId,attempt,current,status,runId,createdAt,updatedAt,finishedAt,failureReason,costUsd,computeUsd,storageUsd,costEstimated,archivedInputs',
    );
    expect(lines.slice(1)).toEqual([
      'h-one/HG001,h-one,FC-H1,HG001,3000001,1,true,FAILED,701,2026-10-01T08:00:00.000Z,2026-10-01T09:00:00.000Z,,"reads, ""quoted""",,,,,',
      '',
    ]);
  });

  it('lists launches in a status by last update, and pages through with --limit', async () => {
    const query = ['history', '--status', 'FAILED', '--since', '2026-10-01', '--until', '2026-10-04'];
    const failed = await gwm([...query, '--json']);
    const limited = await gwm([...query, '--limit', '1', '--json']);

    expect(JSON.parse(failed.stdout).map((row: { launchId: string }) => row.launchId)).toEqual([
      'h-two/HG003',
      'h-one/HG001',
    ]);
    expect(JSON.parse(limited.stdout).map((row: { launchId: string }) => row.launchId)).toEqual([
      'h-two/HG003',
    ]);
  });

  it('lists recent batches without a filter, and refuses a malformed time', async () => {
    const recent = await gwm(['history', '--since', '2026-10-01', '--until', '2026-10-05', '--json']);
    const bad = await gwm(['history', '--since', 'last tuesday']);

    expect(recent.code).toBe(0);
    expect(JSON.parse(recent.stdout).map((row: { name: string }) => row.name)).toEqual(['FC-H2', 'FC-H1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--since "last tuesday": expected an ISO date or time');
  });
});

describe('gwm retry', () => {
  it('sets RETRY with a plain UpdateItem, as the console does, and says what happens next', async () => {
    // Prepare
    const failed = launchOf('r-one', 'S1', {
      status: 'FAILED',
      runId: '901',
      updatedAt: '2026-11-20T11:00:00.000Z',
    });

    // Act
    const { result, before, after } = await commandOnOne('retry', failed, {
      status: 'COMPLETED_WITH_FAILURES',
    });

    // Assess: only `status` changed; revision, times and the status index keys are as they were
    expect(result.code).toBe(0);
    expect(after?.status).toEqual({ S: 'RETRY' });
    expect({ ...after, status: undefined }).toEqual({ ...before, status: undefined });
    expect(after?.gsi4pk).toEqual(before?.gsi4pk);
    expect(result.stdout).toContain('Retry requested for r-one/S1: status FAILED → RETRY.');
    expect(result.stdout).toContain(
      'the launcher starts attempt 2 with a new request id; attempt 1 (run 901)',
    );
    expect(result.stdout).toContain('it reopens (round 2)');
    expect(result.stdout).toContain('gwm status r-one --watch');
  });

  it('refuses a launch that is still running, and changes nothing', async () => {
    await expectRefusedUnchanged(
      'retry',
      launchOf('r-run', 'S1', { status: 'RUNNING', runId: '902' }),
      'r-run/S1 is RUNNING: only FAILED, CANCELLED, DELETED or LAUNCH_FAILED launches can be retried',
    );
  });

  it('retries every failed, cancelled and launch-failed sample of a batch and prints the count', async () => {
    await seed(aBatch({ batchId: 'r-batch', sampleCount: 5 }), [
      launchOf('r-batch', 'A', { status: 'FAILED' }),
      launchOf('r-batch', 'B', { status: 'CANCELLED' }),
      launchOf('r-batch', 'C', { status: 'LAUNCH_FAILED' }),
      launchOf('r-batch', 'D', { status: 'COMPLETED' }),
      launchOf('r-batch', 'E', { status: 'RUNNING' }),
      launchOf('r-batch', '_qc', { kind: 'QC', status: 'FAILED' }),
    ]);

    const result = await gwm(['retry', '--batch', 'r-batch', '--failed']);

    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Retry requested for 3 launch(es) of batch r-batch (r-batch).');
    const statuses = await storedStatuses('r-batch', ['A', 'B', 'C', 'D', 'E', '_qc']);
    expect(statuses).toEqual(['RETRY', 'RETRY', 'RETRY', 'COMPLETED', 'RUNNING', 'FAILED']);
  });

  it('needs --failed with --batch, and exits 3 for an unknown launch', async () => {
    const noFailed = await gwm(['retry', '--batch', 'r-batch']);
    const unknown = await gwm(['retry', 'r-batch/NOPE']);

    expect(noFailed.code).toBe(2);
    expect(noFailed.stderr).toContain('retry a whole batch with --batch <batch> --failed');
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain('has no launch for sample "NOPE"');
  });
});

describe('gwm cancel', () => {
  it('sets CANCEL with a plain UpdateItem, as the console does, and says what happens next', async () => {
    // Prepare
    const running = launchOf('c-one', 'S1', { status: 'RUNNING', runId: '911' });

    // Act
    const { result, before, after } = await commandOnOne('cancel', running);

    // Assess: only `status` changed
    expect(result.code).toBe(0);
    expect(after?.status).toEqual({ S: 'CANCEL' });
    expect({ ...after, status: undefined }).toEqual({ ...before, status: undefined });
    expect(result.stdout).toContain('Cancel requested for c-one/S1: status RUNNING → CANCEL.');
    expect(result.stdout).toContain('asks HealthOmics to cancel run 911');
  });

  it('refuses a finished launch, and changes nothing', async () => {
    await expectRefusedUnchanged(
      'cancel',
      launchOf('c-done', 'S1', { status: 'COMPLETED', runId: '912' }),
      'c-done/S1 is COMPLETED: only a launch that has not finished can be cancelled',
    );
  });

  it('cancels every launch of a batch that has not finished', async () => {
    await seed(aBatch({ batchId: 'c-batch', sampleCount: 3 }), [
      launchOf('c-batch', 'A', { status: 'QUEUED' }),
      launchOf('c-batch', 'B', { status: 'RUNNING', runId: '913' }),
      launchOf('c-batch', 'C', { status: 'FAILED' }),
    ]);

    const result = await gwm(['cancel', '--batch', 'c-batch', '--json']);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ batchId: 'c-batch', count: 2 });
    const statuses = await storedStatuses('c-batch', ['A', 'B', 'C']);
    expect(statuses).toEqual(['CANCEL', 'CANCEL', 'FAILED']);
  });
});

describe('gwm logs', () => {
  it("shows the stored reason and excerpt, then the end of the local run's log", async () => {
    // Prepare
    await mkdir(join(runsDir, '4242'), { recursive: true });
    const log = Array.from({ length: 100 }, (_, i) => `line ${i + 1}`).join('\n');
    await writeFile(join(runsDir, '4242', 'run.log'), `${log}\n`);
    await mkdir(join(runsDir, '4241'), { recursive: true });
    await writeFile(join(runsDir, '4241', 'run.log'), 'first attempt started\nkilled\n');
    await seed(aBatch({ batchId: 'l-one' }), [
      launchOf('l-one', 'S1', {
        status: 'FAILED',
        attempt: 2,
        runId: '4242',
        failureReason: 'fastq-stats exited with status 3',
        logLocation: join(runsDir, '4242', 'run.log'),
        logExcerpt: 'line 99\nline 100',
        attempts: [{ attempt: 1, status: 'CANCELLED', runId: '4241', failureReason: 'cancelled by ana' }],
      }),
    ]);

    // Act
    const current = await gwm(['logs', 'l-one/S1', '--lines', '3']);
    const earlier = await gwm(['logs', 'l-one/S1', '--attempt', '1']);
    const missing = await gwm(['logs', 'l-one/S1', '--attempt', '7']);

    // Assess
    expect(current.code).toBe(0);
    expect(current.stdout).toContain('failure reason  fastq-stats exited with status 3');
    expect(current.stdout).toContain('Log excerpt stored when the run failed:\n  line 99\n  line 100\n');
    expect(current.stdout).toContain(
      `Last 3 line(s) of ${join(runsDir, '4242', 'run.log')}:\n  line 98\n  line 99\n  line 100\n`,
    );
    expect(earlier.code).toBe(0);
    expect(earlier.stdout).toContain('attempt 1 (earlier; current is 2)');
    expect(earlier.stdout).toContain('failure reason  cancelled by ana');
    expect(earlier.stdout).toContain('  first attempt started\n  killed\n');
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('l-one/S1 has no attempt 7 (attempts kept: 1, 2)');
  });
});

describe('gwm workflows', () => {
  it('adds a valid profile and lists it', async () => {
    const file = join(tmp, 'trim.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'trim-reads',
        description: 'Adapter trimming',
        workflow: { id: '9100001', type: 'PRIVATE', version: '2.1' },
        parameterTemplate: { in1: '{{sample.fastq1}}', in2: '{{sample.fastq2}}' },
      }),
    );

    const added = await gwm(['workflows', 'add', file]);
    const listed = await gwm(['workflows', 'list', '--json']);
    const shown = await gwm(['workflows', 'show', 'trim-reads']);

    expect(added.code).toBe(0);
    expect(added.stdout).toContain('Added workflow profile trim-reads (workflow 9100001)');
    expect(JSON.parse(listed.stdout).map((profile: { name: string }) => profile.name)).toEqual([
      'fastq-qc-report',
      'fastq-stats',
      'trim-reads',
    ]);
    expect(JSON.parse(shown.stdout)).toEqual({
      name: 'trim-reads',
      description: 'Adapter trimming',
      workflow: { id: '9100001', type: 'PRIVATE', version: '2.1' },
      parameterTemplate: { in1: '{{sample.fastq1}}', in2: '{{sample.fastq2}}' },
      defaults: {},
    });
  });

  it('refuses an invalid profile with every problem at its path, and saves nothing', async () => {
    const file = join(tmp, 'bad-profile.json');
    await writeFile(
      file,
      JSON.stringify({
        name: 'Bad Name',
        workflow: { id: 'abc' },
        parameterTemplate: { reads: '{{sample.fastq1}}', owner: '{{batch.owner}}' },
      }),
    );

    const result = await gwm(['workflows', 'add', file]);
    const listed = await gwm(['workflows', 'list', '--json']);
    const missing = await gwm(['workflows', 'show', 'nope']);

    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${file} is not a valid workflow profile (3 problem(s)):`);
    expect(result.stderr).toMatch(/\$\.name\s+SCHEMA\s+expected a profile name/);
    expect(result.stderr).toMatch(/\$\.workflow\.id\s+SCHEMA\s+expected a numeric workflow id/);
    expect(result.stderr).toMatch(
      /\$\.parameterTemplate\.owner\s+UNKNOWN_TEMPLATE_FIELD\s+unknown template field/,
    );
    expect(result.stderr).toContain('Nothing was saved.');
    expect(JSON.parse(listed.stdout)).toHaveLength(3);
    expect(missing.code).toBe(3);
  });
});

describe('gwm submit --wait', () => {
  it('waits for the intake to register the batch, then watches it to the end', async () => {
    // Prepare: the intake is played by the test: it registers the batch on the first poll
    const file = join(tmp, 'FC-WAIT.csv');
    await writeFile(file, `sample,fastq_1\nW1,s3://${INPUTS}/w/W1.fq.gz\n`);
    const dry = await gwm(['submit', file, '--workflow', 'fastq-stats', '--dry-run', '--json']);
    const { batchId } = JSON.parse(dry.stdout) as { batchId: string };
    let polls = 0;
    const sleep = async () => {
      polls++;
      if (polls === 1) {
        await seed(
          aBatch({ batchId, name: 'FC-WAIT', status: 'FAILED', counts: { ...NO_COUNTS, launchFailed: 1 } }),
          [launchOf(batchId, 'W1', { status: 'LAUNCH_FAILED', failureReason: 'no such workflow' })],
        );
      }
    };

    // Act
    const result = await gwm(['submit', file, '--workflow', 'fastq-stats', '--wait', '--json'], { sleep });

    // Assess
    expect(dry.code).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ uploaded: false, dryRun: true, samples: 1 });
    expect(result.code).toBe(4);
    const document = JSON.parse(result.stdout);
    expect(document).toMatchObject({ batchId, key: 'manifests/FC-WAIT.json', uploaded: true, samples: 1 });
    expect(document.status.batch.status).toBe('FAILED');
    expect(document.status.launches[0]).toMatchObject({ sampleId: 'W1', failureReason: 'no such workflow' });
    await expect(
      s3.send(new HeadObjectCommand({ Bucket: MANIFESTS, Key: 'manifests/FC-WAIT.json' })),
    ).resolves.toBeDefined();
  });
});
