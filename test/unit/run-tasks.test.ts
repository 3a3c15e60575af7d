import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  planTasks,
  processTasks,
  readTaskReport,
  simulatedTasks,
} from '../../infra/local/engine/run-tasks.js';
import { tempFolders } from '../support/temp-folders.js';

const folder = tempFolders('gwm-run-tasks-');

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, 0, ms));
const line = (value: Record<string, unknown>) => `${JSON.stringify(value)}\n`;

describe('a program’s reported tasks', () => {
  it('ends the task still open when the run is cancelled as CANCELLED, at the moment the program stopped', async () => {
    // Prepare: one step finished, the second was running when the program was stopped
    const dir = await folder();
    const file = join(dir, 'tasks.jsonl');
    await writeFile(
      file,
      [
        line({ event: 'start', task: 'a', at: at(100).toISOString(), cpus: 2, memoryGiB: 4 }),
        line({ event: 'stop', task: 'a', at: at(400).toISOString(), status: 'COMPLETED' }),
        line({ event: 'start', task: 'b', at: at(450).toISOString(), cpus: 1.5, memoryGiB: 9 }),
        // A torn last line (the program was killed while writing) is left out
        '{"event":"stop","task":"b","at":"2026-01',
      ].join(''),
    );

    // Act
    const report = await readTaskReport(file);
    const tasks = processTasks(
      { id: '1000001', startTime: at(0) },
      { name: 'prog' },
      report,
      { at: at(900), status: 'CANCELLED' },
      'us-east-1',
    );

    // Assess
    expect(tasks).toEqual([
      {
        taskId: '1000001000001',
        name: 'a',
        cpus: 2,
        memoryGiB: 4,
        gpus: 0,
        instanceType: 'omics.c.large',
        creationTime: at(100),
        startTime: at(100),
        status: 'COMPLETED',
        stopTime: at(400),
      },
      {
        taskId: '1000001000002',
        name: 'b',
        cpus: 2,
        memoryGiB: 9,
        gpus: 0,
        instanceType: 'omics.r.large',
        creationTime: at(450),
        startTime: at(450),
        status: 'CANCELLED',
        stopTime: at(900),
      },
    ]);
  });

  it('keeps a task whose request no instance type holds, without an instance type and saying why', () => {
    const tasks = processTasks(
      { id: '1000002', startTime: at(0) },
      { name: 'prog' },
      [{ event: 'start', task: 'huge', at: at(10), cpus: 512, memoryGiB: 64 }],
      { at: at(20), status: 'COMPLETED' },
      'us-east-1',
    );

    expect(tasks[0]).toMatchObject({ name: 'huge', status: 'COMPLETED', cpus: 512 });
    expect(tasks[0]?.instanceType).toBeUndefined();
    expect(tasks[0]?.statusMessage).toContain('No HealthOmics instance type in us-east-1 has 512 vCPUs');
  });

  it('lists no task for a running program that has reported nothing yet, and one task over the program once it ended silent', () => {
    const run = { id: '1000006', startTime: at(0) };
    const workflow = { name: 'silent', resources: { cpus: 4, memoryGiB: 30 } };

    const whileRunning = processTasks(run, workflow, [], undefined, undefined);
    const atTheEnd = processTasks(run, workflow, [], { at: at(700), status: 'COMPLETED' }, undefined);

    expect(whileRunning).toEqual([]);
    expect(atTheEnd).toMatchObject([
      {
        name: 'silent',
        status: 'COMPLETED',
        startTime: at(0),
        stopTime: at(700),
        instanceType: 'omics.r.xlarge',
      },
    ]);
  });

  it('has no tasks for a program that never started', () => {
    expect(
      processTasks({ id: '1000003' }, { name: 'prog' }, [], { at: at(5), status: 'FAILED' }, undefined),
    ).toEqual([]);
  });
});

describe('a simulated run’s tasks', () => {
  const outcome = {
    runningMs: 1_000,
    status: 'COMPLETED' as const,
    tasks: [
      { name: 'one', startMs: 0, runningMs: 400, cpus: 4, memoryGiB: 8 },
      { name: 'two', startMs: 500, runningMs: 500, cpus: 4, memoryGiB: 8 },
    ],
  };

  it('refuses a timetable with a task outside the RUNNING phase, or a request no type holds', () => {
    expect(() =>
      planTasks(
        { ...outcome, tasks: [{ name: 'late', startMs: 900, runningMs: 200 }] },
        { name: 'w' },
        undefined,
      ),
    ).toThrow('task late (900 ms + 200 ms) does not fit');
    expect(() =>
      planTasks(
        { ...outcome, tasks: [{ name: 'big', startMs: 0, runningMs: 1, cpus: 500 }] },
        { name: 'w' },
        undefined,
      ),
    ).toThrow('task big: No HealthOmics instance type has 500 vCPUs');
  });

  it('gives a run that declares no tasks one task over its RUNNING phase, ending as the run does', () => {
    const planned = planTasks(
      { runningMs: 300, status: 'FAILED', failureReason: 'boom' },
      { name: 'sim', resources: { cpus: 2, memoryGiB: 16 } },
      undefined,
    );

    const tasks = simulatedTasks(
      { id: '1000004', startTime: at(0) },
      planned,
      { at: at(310), status: 'FAILED' },
      at(310),
    );

    expect(tasks).toMatchObject([
      {
        name: 'sim',
        status: 'FAILED',
        failureReason: 'boom',
        instanceType: 'omics.r.large',
        stopTime: at(300),
      },
    ]);
  });

  it('ends the task a cancel interrupted as CANCELLED and leaves out the task that never started', () => {
    const planned = planTasks(outcome, { name: 'w' }, undefined);

    const tasks = simulatedTasks(
      { id: '1000005', startTime: at(0) },
      planned,
      { at: at(250), status: 'CANCELLED' },
      at(250),
    );

    expect(
      tasks.map(({ name, status, stopTime, instanceType }) => ({ name, status, stopTime, instanceType })),
    ).toEqual([{ name: 'one', status: 'CANCELLED', stopTime: at(250), instanceType: 'omics.c.xlarge' }]);
  });
});
