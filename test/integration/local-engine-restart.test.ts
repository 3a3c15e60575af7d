import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetRunCommand,
  ListRunsCommand,
  StartRunCommand,
  type StartRunCommandInput,
} from '@aws-sdk/client-omics';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type LocalWorkflow,
  RUN_STORE_FILE,
  type RunStatusChangeEvent,
  readRunStore,
} from '../../infra/local/engine/index.js';
import { startEngineAndClient } from '../support/local-engines.js';
import { processIsGone, waitFor } from '../support/wait-for.js';

const workflows: Record<string, LocalWorkflow> = {
  // A simulated run of a second and a half in RUNNING
  '2000100': {
    name: 'simulated',
    simulate: () => ({ startingMs: 50, runningMs: 1_500, status: 'COMPLETED' }),
  },
  '2000200': {
    name: 'sleeps',
    command: process.execPath,
    args: () => ['-e', 'setTimeout(() => {}, 30_000)'],
  },
  '2000400': { name: 'simulated-long', simulate: () => ({ runningMs: 60_000, status: 'COMPLETED' }) },
  '2000300': { name: 'quick', command: process.execPath, args: () => ['-e', 'console.log("done")'] },
};

function request(overrides: Partial<StartRunCommandInput> = {}): StartRunCommandInput {
  return {
    workflowId: '2000100',
    roleArn: 'arn:aws:iam::123456789012:role/gwm-local',
    outputUri: 's3://gwm-local/runs/',
    name: 'restart-1',
    requestId: 'launch-1/1',
    tags: { 'gwm:launch-id': 'launch-1', 'gwm:attempt': '1' },
    ...overrides,
  };
}

const open: Array<{ stop: () => Promise<void> }> = [];
const folders: string[] = [];

async function start(runsDir: string, events: RunStatusChangeEvent[]) {
  const started = await startEngineAndClient({
    workflows,
    runsDir,
    emit: (event) => void events.push(event),
  });
  open.push(started);
  return started;
}

async function runsFolder(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'gwm-engine-restart-'));
  folders.push(folder);
  return folder;
}

/** An engine on a fresh runs folder that has been sent StartRun for a run of `workflowId`. */
async function firstEngineStarted(workflowId: string) {
  const runsDir = await runsFolder();
  const first = await start(runsDir, []);
  const made = await first.client.send(new StartRunCommand(request({ workflowId })));
  return { runsDir, first, made };
}

afterEach(async () => {
  for (const { stop } of open.splice(0)) await stop();
  for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
});

describe('local engine restarted on the same runs folder', () => {
  it('answers a requestId sent again after the restart with the run it made, and keeps the run for GetRun and ListRuns', async () => {
    // Prepare
    const { runsDir, first, made } = await firstEngineStarted('2000300');
    await waitFor(
      () => first.engine.runs().find((run) => run.status === 'COMPLETED'),
      'the first run to complete',
    );
    await first.engine.stop();

    // Act
    const events: RunStatusChangeEvent[] = [];
    const second = await start(runsDir, events);
    const again = await second.client.send(new StartRunCommand(request({ workflowId: '2000300' })));
    const listed = await second.client.send(new ListRunsCommand({}));
    const got = await second.client.send(new GetRunCommand({ id: made.id }));

    // Assess
    expect(again.id).toBe(made.id);
    expect(again.status).toBe('COMPLETED');
    expect(listed.items?.map((item) => item.id)).toEqual([made.id]);
    expect(got).toMatchObject({ status: 'COMPLETED', tags: { 'gwm:launch-id': 'launch-1' } });
    // The first engine stopped cleanly: nothing is sent again
    expect(events).toEqual([]);
  });

  it('carries a simulated run on after the restart, on its timetable, to COMPLETED with its events', async () => {
    // Prepare: the first engine stops while the run is RUNNING
    const runsDir = await runsFolder();
    const firstEvents: RunStatusChangeEvent[] = [];
    const first = await start(runsDir, firstEvents);
    const made = await first.client.send(new StartRunCommand(request()));
    await waitFor(
      () => firstEvents.find((event) => event.detail.status === 'RUNNING'),
      'the run to be RUNNING',
    );
    await first.engine.stop();

    // Act
    const events: RunStatusChangeEvent[] = [];
    const second = await start(runsDir, events);
    const done = await waitFor(
      () => events.find((event) => event.detail.status === 'COMPLETED'),
      'the run to complete',
    );

    // Assess
    expect(done.detail.runId).toBe(made.id);
    expect(events.map((event) => event.detail.status)).toEqual(['STOPPING', 'COMPLETED']);
    expect(second.engine.runs()).toHaveLength(1);
    const got = await second.client.send(new GetRunCommand({ id: made.id }));
    expect(got.status).toBe('COMPLETED');
  });

  it('stops at once while a simulated run it carried on is still running, and leaves it to the next engine', async () => {
    // Prepare
    const { runsDir, first, made } = await firstEngineStarted('2000400');
    await waitFor(() => first.engine.runs().find((run) => run.status === 'RUNNING'), 'the run to be RUNNING');
    await first.engine.stop();
    const second = await start(runsDir, []);
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Act
    const began = Date.now();
    await second.engine.stop();

    // Assess
    expect(Date.now() - began).toBeLessThan(2_000);
    expect((await readRunStore(runsDir)).map((run) => [run.id, run.status])).toEqual([[made.id, 'RUNNING']]);
  });

  it('ends a run whose program it had to stop FAILED "engine restarted", with its event, and leaves no process behind', async () => {
    // Prepare
    const { runsDir, first, made } = await firstEngineStarted('2000200');
    const pid = await waitFor(() => first.engine.runs()[0]?.pid, 'the workflow process');

    // Act
    await first.engine.stop();
    const stoppedWithEngine = processIsGone(pid);
    const events: RunStatusChangeEvent[] = [];
    const second = await start(runsDir, events);
    const failed = await waitFor(
      () => events.find((event) => event.detail.status === 'FAILED'),
      'the FAILED event',
    );

    // Assess
    expect(stoppedWithEngine).toBe(true);
    expect(failed.detail.runId).toBe(made.id);
    const got = await second.client.send(new GetRunCommand({ id: made.id }));
    expect(got).toMatchObject({ status: 'FAILED', failureReason: 'engine restarted' });
    expect((await readRunStore(runsDir)).map((run) => [run.id, run.status])).toEqual([[made.id, 'FAILED']]);
  });

  it('sends the last status of its runs again when the engine before it did not stop cleanly (kill -9)', async () => {
    // Prepare: a run completed; the store made to look as a killed engine leaves it (no stop line)
    const { runsDir, first, made } = await firstEngineStarted('2000300');
    await waitFor(() => first.engine.runs().find((run) => run.status === 'COMPLETED'), 'the run to complete');
    await first.engine.stop();
    const file = join(runsDir, RUN_STORE_FILE);
    const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line !== '');
    expect(lines.at(-1)).toContain('"kind":"stop"');
    await writeFile(file, `${lines.slice(0, -1).join('\n')}\n`);

    // Act
    const events: RunStatusChangeEvent[] = [];
    await start(runsDir, events);
    const resent = await waitFor(() => events[0], 'the status sent again');
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Assess
    expect(resent.detail).toMatchObject({ runId: made.id, status: 'COMPLETED' });
    expect(events).toHaveLength(1);
  });
});
