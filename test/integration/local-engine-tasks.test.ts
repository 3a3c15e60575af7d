import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CancelRunCommand,
  GetRunTaskCommand,
  ListRunTasksCommand,
  type OmicsClient,
  StartRunCommand,
  type StartRunCommandInput,
} from '@aws-sdk/client-omics';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunTask } from '../../domain/cost/types.js';
import type { WorkflowEngine } from '../../domain/ports.js';
import { LOCAL_WORKFLOW_IDS } from '../../examples/workflows/catalog.js';
import { corruptFastq, syntheticFastq } from '../../examples/workflows/synthetic-fastq.js';
import type { LocalEngine, LocalRun, LocalWorkflow } from '../../infra/local/engine/index.js';
import { useLocalEngines } from '../support/local-engines.js';
import { waitFor } from '../support/wait-for.js';

const INPUT_BUCKET = 'gwm-tasks-input';
const OUTPUT_BUCKET = 'gwm-tasks-output';
const SIMULATED = '3000100';
const SILENT_PROGRAM = '3000200';
const SIMULATED_LONG = '3000300';
const STEP_THEN_WAIT = '3000400';

/** A simulated run of 600 ms RUNNING with two tasks, the second failing, the run completing. */
const simulatedWorkflows: Record<string, LocalWorkflow> = {
  [SIMULATED]: {
    name: 'simulated-align-call',
    simulate: () => ({
      startingMs: 20,
      runningMs: 600,
      status: 'COMPLETED',
      tasks: [
        { name: 'align', startMs: 0, runningMs: 300, cpus: 8, memoryGiB: 64 },
        {
          name: 'call',
          startMs: 300,
          runningMs: 250,
          cpus: 2,
          memoryGiB: 12,
          status: 'FAILED',
          failureReason: 'call ran out of reference',
        },
      ],
    }),
  },
  // A program that reports no tasks: it ran as one task, asking for what the workflow declares.
  [SILENT_PROGRAM]: {
    name: 'silent',
    command: process.execPath,
    args: () => ['-e', 'setTimeout(() => {}, 150)'],
    resources: { cpus: 4, memoryGiB: 30 },
  },
  // Reports one step, as a workflow program does through GWM_TASKS_FILE, and stays in it.
  [STEP_THEN_WAIT]: {
    name: 'step-then-wait',
    command: process.execPath,
    args: () => [
      '-e',
      'require("node:fs").appendFileSync(process.env.GWM_TASKS_FILE, JSON.stringify({ event: "start", task: "index", at: new Date().toISOString(), cpus: 2, memoryGiB: 16 }) + "\\n"); setTimeout(() => {}, 20_000)',
    ],
  },
  [SIMULATED_LONG]: {
    name: 'simulated-long',
    simulate: () => ({
      runningMs: 1_500,
      status: 'COMPLETED',
      tasks: [
        { name: 'first', startMs: 0, runningMs: 200, cpus: 1, memoryGiB: 6 },
        { name: 'second', startMs: 1_000, runningMs: 400, cpus: 16, memoryGiB: 32 },
      ],
    }),
  },
};

const engines = useLocalEngines({
  name: 'gwm-engine-tasks',
  inputBucket: INPUT_BUCKET,
  outputBucket: OUTPUT_BUCKET,
  extra: simulatedWorkflows,
});
const start = engines.start;

beforeAll(async () => {
  await engines.put('S1_R1.fastq.gz', syntheticFastq({ seed: 1, reads: 2_000, readLength: 100, gzip: true }));
  await engines.put('S1_R2.fastq.gz', syntheticFastq({ seed: 2, reads: 2_000, readLength: 100, gzip: true }));
  await engines.put('BAD_R1.fastq', corruptFastq({ seed: 3, reads: 9, readLength: 36 }));
});

let folders = 0;
function runsFolder(): string {
  folders += 1;
  return engines.path(`runs-${folders}`);
}

function request(workflowId: string, parameters: Record<string, string> = {}): StartRunCommandInput {
  return {
    workflowId,
    roleArn: 'arn:aws:iam::123456789012:role/gwm-local',
    outputUri: `s3://${OUTPUT_BUCKET}/runs/`,
    parameters,
    storageType: 'DYNAMIC',
    requestId: `tasks-${workflowId}-${JSON.stringify(parameters)}-${folders}`,
  };
}

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
function ended(engine: LocalEngine, runId: string): () => LocalRun | undefined {
  return () => engine.runs().find((run) => run.id === runId && TERMINAL.has(run.status));
}

/** Every task of the run through the adapter (the SDK's ListRunTasks), one page of `maxResults` at a time. */
async function allTasks(adapter: WorkflowEngine, runId: string, maxResults: number) {
  const tasks: RunTask[] = [];
  let pages = 0;
  let startingToken: string | undefined;
  do {
    const page = await adapter.listRunTasks(runId, { startingToken, maxResults });
    expect(page.tasks.length).toBeLessThanOrEqual(maxResults);
    tasks.push(...page.tasks);
    pages += 1;
    startingToken = page.nextToken;
  } while (startingToken !== undefined);
  return { tasks, pages };
}

/** Starts a run of `workflowId` through the SDK's StartRun and gives its id. */
async function startRun(
  client: OmicsClient,
  workflowId: string,
  parameters: Record<string, string> = {},
): Promise<string> {
  const made = await client.send(new StartRunCommand(request(workflowId, parameters)));
  return made.id ?? '';
}

/** The `keys` of each task, the fields a test compares. */
function fieldsOf<K extends keyof RunTask>(tasks: RunTask[], ...keys: K[]): Pick<RunTask, K>[] {
  return tasks.map((task) => Object.fromEntries(keys.map((key) => [key, task[key]])) as Pick<RunTask, K>);
}

const ms = (iso: string | undefined) => (iso === undefined ? Number.NaN : Date.parse(iso));

describe('local engine run tasks (ListRunTasks, GetRunTask)', () => {
  it('reports the steps a fastq-stats run ran as tasks, one page at a time, with instance types and real times inside the run', async () => {
    // Prepare
    const { engine, client, adapter } = await start(runsFolder());
    const runId = await startRun(client, LOCAL_WORKFLOW_IDS.fastqStats, {
      reads1: `s3://${INPUT_BUCKET}/S1_R1.fastq.gz`,
      reads2: `s3://${INPUT_BUCKET}/S1_R2.fastq.gz`,
      sample_name: 'S1',
    });
    const run = await waitFor(ended(engine, runId), 'the fastq-stats run to end', 30_000);

    // Act
    const { tasks, pages } = await allTasks(adapter, runId, 1);
    const details = await adapter.getRun(runId);

    // Assess
    expect(run.status).toBe('COMPLETED');
    expect(pages).toBe(3);
    // Each step completed on omics.c.large with one CPU and no GPU, not from the run cache
    const step = { status: 'COMPLETED', cpus: 1, gpus: 0, instanceType: 'omics.c.large', cacheHit: false };
    expect(fieldsOf(tasks, 'name', 'status', 'cpus', 'memory', 'gpus', 'instanceType', 'cacheHit')).toEqual([
      { name: 'measure_reads1', ...step, memory: 2 },
      { name: 'measure_reads2', ...step, memory: 2 },
      { name: 'summarize', ...step, memory: 1 },
    ]);
    expect(new Set(tasks.map((task) => task.taskId)).size).toBe(3);
    expect(details?.usage).toMatchObject({ runId, workflowType: 'PRIVATE', storageType: 'DYNAMIC' });
    const runStart = ms(details?.usage?.startTime);
    const runStop = ms(details?.usage?.stopTime);
    expect(runStop).toBeGreaterThan(runStart);
    for (const task of tasks) {
      expect(ms(task.startTime)).toBeGreaterThanOrEqual(runStart);
      expect(ms(task.stopTime)).toBeGreaterThanOrEqual(ms(task.startTime));
      expect(ms(task.stopTime)).toBeLessThanOrEqual(runStop);
    }
    // The steps ran one after the other, as the program runs them
    const [first, second, third] = tasks;
    expect(ms(second?.startTime)).toBeGreaterThanOrEqual(ms(first?.stopTime));
    expect(ms(third?.startTime)).toBeGreaterThanOrEqual(ms(second?.stopTime));
  }, 60_000);

  it('reports the two steps of a fastq-qc-report run, each on the instance type its request needs', async () => {
    // Prepare: a sample run whose stats are where HealthOmics would have exported them
    const { engine, client, adapter } = await start(runsFolder());
    const sample = await startRun(client, LOCAL_WORKFLOW_IDS.fastqStats, {
      reads1: `s3://${INPUT_BUCKET}/S1_R1.fastq.gz`,
      sample_name: 'S1',
    });
    const sampleRun = await waitFor(ended(engine, sample), 'the sample run to end', 30_000);
    await engines.s3().client.send(
      new PutObjectCommand({
        Bucket: OUTPUT_BUCKET,
        Key: `runs/${sampleRun.id}/out/stats.json`,
        Body: await readFile(join(sampleRun.outputDir, 'stats.json')),
      }),
    );
    const qc = await startRun(client, LOCAL_WORKFLOW_IDS.fastqQcReport, {
      sample_outputs: sampleRun.runOutputUri,
      batch_name: 'B1',
    });
    const qcRun = await waitFor(ended(engine, qc), 'the QC run to end', 30_000);

    // Act
    const { tasks } = await allTasks(adapter, qcRun.id, 1);

    // Assess
    expect(qcRun.status).toBe('COMPLETED');
    expect(fieldsOf(tasks, 'name', 'status', 'cpus', 'memory', 'instanceType')).toEqual([
      { name: 'collect_stats', status: 'COMPLETED', cpus: 2, memory: 4, instanceType: 'omics.c.large' },
      { name: 'render_report', status: 'COMPLETED', cpus: 1, memory: 8, instanceType: 'omics.m.large' },
    ]);
  }, 60_000);

  it('answers GetRunTask with the task, its failure reason and log stream, and ResourceNotFoundException for an unknown task or run', async () => {
    // Prepare: a run whose first step fails on a malformed FASTQ
    const { engine, client, adapter } = await start(runsFolder());
    const runId = await startRun(client, LOCAL_WORKFLOW_IDS.fastqStats, {
      reads1: `s3://${INPUT_BUCKET}/BAD_R1.fastq`,
      sample_name: 'BAD',
    });
    await waitFor(ended(engine, runId), 'the failing run to end', 30_000);
    const { tasks } = await allTasks(adapter, runId, 100);

    // Act
    const got = await client.send(new GetRunTaskCommand({ id: runId, taskId: tasks[0]?.taskId ?? '' }));
    const unknownTask = client.send(new GetRunTaskCommand({ id: runId, taskId: '999999999' }));
    const unknownRun = adapter.listRunTasks('9999999', { maxResults: 10 });

    // Assess
    expect(tasks.map((task) => [task.name, task.status])).toEqual([['measure_reads1', 'FAILED']]);
    expect(got).toMatchObject({
      taskId: tasks[0]?.taskId,
      name: 'measure_reads1',
      status: 'FAILED',
      instanceType: 'omics.c.large',
      logStream: `arn:aws:logs:us-east-1:123456789012:log-group:/aws/omics/WorkflowLog:log-stream:run/${runId}/task/${tasks[0]?.taskId}`,
    });
    expect(got.failureReason).toContain(
      'BAD reads1 line 20: quality line length 35 differs from sequence length 36',
    );
    expect(got.startTime?.toISOString()).toBe(tasks[0]?.startTime);
    await expect(unknownTask).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(unknownRun).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  }, 60_000);

  it('keeps the tasks of ended runs across an engine restart', async () => {
    // Prepare
    const runsDir = runsFolder();
    const first = await start(runsDir);
    const runId = await startRun(first.client, SILENT_PROGRAM);
    await waitFor(ended(first.engine, runId), 'the run to end', 30_000);
    const before = await allTasks(first.adapter, runId, 100);
    await first.engine.stop();

    // Act
    const second = await start(runsDir);
    const after = await allTasks(second.adapter, runId, 1);

    // Assess: one task for a program that reported none, asking for the workflow's resources
    expect(after.tasks).toEqual(before.tasks);
    expect(after.tasks).toMatchObject([
      { name: 'silent', status: 'COMPLETED', cpus: 4, memory: 30, instanceType: 'omics.r.xlarge' },
    ]);
    const details = await second.adapter.getRun(runId);
    expect(ms(after.tasks[0]?.startTime)).toBeGreaterThanOrEqual(ms(details?.usage?.startTime));
    expect(ms(after.tasks[0]?.stopTime)).toBeLessThanOrEqual(ms(details?.usage?.stopTime));
  }, 60_000);

  it('places a simulated run’s tasks on its timetable: listed once started, RUNNING until their time is up, then as declared', async () => {
    // Prepare
    const { engine, client, adapter } = await start(runsFolder());
    const runId = await startRun(client, SIMULATED);
    await waitFor(
      () => engine.runs().find((run) => run.id === runId && run.status === 'RUNNING'),
      'the run to be RUNNING',
      30_000,
    );

    // Act
    const early = await adapter.listRunTasks(runId, { maxResults: 10 });
    await waitFor(ended(engine, runId), 'the simulated run to end', 30_000);
    const { tasks } = await allTasks(adapter, runId, 1);
    const failed = await client.send(new GetRunTaskCommand({ id: runId, taskId: tasks[1]?.taskId ?? '' }));
    const completedOnly = await client.send(new ListRunTasksCommand({ id: runId, status: 'COMPLETED' }));
    const details = await adapter.getRun(runId);

    // Assess
    expect(early.tasks.map((task) => [task.name, task.status, task.stopTime])).toEqual([
      ['align', 'RUNNING', undefined],
    ]);
    expect(fieldsOf(tasks, 'name', 'status', 'cpus', 'memory', 'instanceType')).toEqual([
      { name: 'align', status: 'COMPLETED', cpus: 8, memory: 64, instanceType: 'omics.r.2xlarge' },
      { name: 'call', status: 'FAILED', cpus: 2, memory: 12, instanceType: 'omics.r.large' },
    ]);
    const [align, call] = tasks;
    expect(ms(align?.stopTime) - ms(align?.startTime)).toBe(300);
    expect(ms(call?.startTime)).toBe(ms(align?.stopTime));
    expect(ms(call?.stopTime) - ms(call?.startTime)).toBe(250);
    expect(ms(align?.startTime)).toBe(ms(details?.usage?.startTime));
    expect(ms(call?.stopTime)).toBeLessThanOrEqual(ms(details?.usage?.stopTime));
    expect(failed.failureReason).toBe('call ran out of reference');
    expect(completedOnly.items?.map((item) => item.name)).toEqual(['align']);
  }, 30_000);

  it('carries a simulated run’s timetable of tasks across a restart in the middle of the run', async () => {
    // Prepare: the engine stops while the first task is done and the second has not started
    const runsDir = runsFolder();
    const first = await start(runsDir);
    const runId = await startRun(first.client, SIMULATED_LONG);
    await waitFor(
      async () => {
        const page = await first.adapter.listRunTasks(runId, { maxResults: 10 });
        return page.tasks[0]?.status === 'COMPLETED' ? page : undefined;
      },
      'the first task to complete',
      30_000,
    );
    await first.engine.stop();

    // Act
    const second = await start(runsDir);
    await waitFor(ended(second.engine, runId), 'the carried-on run to end', 30_000);
    const { tasks } = await allTasks(second.adapter, runId, 1);

    // Assess
    expect(fieldsOf(tasks, 'name', 'status', 'instanceType')).toEqual([
      { name: 'first', status: 'COMPLETED', instanceType: 'omics.m.large' },
      { name: 'second', status: 'COMPLETED', instanceType: 'omics.c.4xlarge' },
    ]);
    expect(ms(tasks[1]?.startTime) - ms(tasks[0]?.startTime)).toBe(1_000);
  }, 30_000);

  it('lists a program’s step as RUNNING while it runs, and CANCELLED at the moment the program stopped when the run is cancelled', async () => {
    // Prepare
    const { engine, client, adapter } = await start(runsFolder());
    const runId = await startRun(client, STEP_THEN_WAIT);
    const running = await waitFor(
      async () => {
        const page = await adapter.listRunTasks(runId, { maxResults: 10 });
        return page.tasks.length > 0 ? page.tasks : undefined;
      },
      'the step to be listed',
      30_000,
    );

    // Act
    await client.send(new CancelRunCommand({ id: runId }));
    await waitFor(ended(engine, runId), 'the cancelled run to end', 30_000);
    const { tasks } = await allTasks(adapter, runId, 10);
    const details = await adapter.getRun(runId);

    // Assess
    expect(running).toMatchObject([{ name: 'index', status: 'RUNNING', instanceType: 'omics.r.large' }]);
    expect(running[0]?.stopTime).toBeUndefined();
    expect(details?.status).toBe('CANCELLED');
    expect(tasks).toMatchObject([{ taskId: running[0]?.taskId, name: 'index', status: 'CANCELLED' }]);
    expect(ms(tasks[0]?.stopTime)).toBeGreaterThan(ms(tasks[0]?.startTime));
    expect(ms(tasks[0]?.stopTime)).toBeLessThanOrEqual(ms(details?.usage?.stopTime));
  }, 30_000);
});
