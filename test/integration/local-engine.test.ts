import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CancelRunCommand,
  GetRunCommand,
  ListRunsCommand,
  type OmicsClient,
  StartRunCommand,
  type StartRunCommandInput,
} from '@aws-sdk/client-omics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunStatusEvent } from '../../domain/run-events.js';
import type {
  LocalEngine,
  LocalWorkflow,
  RunStatusChangeEvent,
  startLocalEngine,
} from '../../infra/local/engine/index.js';
import { startEngineAndClient } from '../support/local-engines.js';
import { processIsGone, waitFor } from '../support/wait-for.js';

const node = process.execPath;

/** Writes its argv (after the script) to out/argv.json, so a test sees exactly what the process received. */
const echoArgv: LocalWorkflow = {
  name: 'echo-argv',
  command: node,
  args: ({ parameters, outputDir }) => [
    '-e',
    'require("node:fs").writeFileSync(process.argv[1] + "/argv.json", JSON.stringify(process.argv.slice(1)))',
    outputDir,
    String(parameters.sample),
  ],
};

const workflows: Record<string, LocalWorkflow> = {
  '1000100': {
    name: 'fastq-stats',
    command: node,
    args: ({ outputDir, runId }) => [
      '-e',
      'require("node:fs").writeFileSync(process.argv[1] + "/stats.txt", "reads 42\\n"); console.log("ok", process.argv[2])',
      outputDir,
      runId,
    ],
  },
  '1000200': {
    name: 'always-fails',
    command: node,
    args: () => [
      '-e',
      'console.error("reading input"); console.error("boom: no reads in sample"); process.exit(3)',
    ],
  },
  '1000300': {
    name: 'sleeps',
    command: node,
    args: () => ['-e', 'setTimeout(() => {}, 10_000)'],
  },
  '1000400': echoArgv,
};

function runRequest(overrides: Partial<StartRunCommandInput> = {}): StartRunCommandInput {
  return {
    workflowId: '1000100',
    workflowType: 'PRIVATE',
    roleArn: 'arn:aws:iam::123456789012:role/gwm-local',
    outputUri: 's3://gwm-local/runs/',
    name: 'fc1-sample-1',
    parameters: { sample: 'sample-1' },
    tags: { batch: 'fc1' },
    storageType: 'DYNAMIC',
    ...overrides,
  };
}

describe('local workflow engine, driven by the real HealthOmics client', () => {
  let runsDir: string;
  let engine: LocalEngine;
  let client: OmicsClient;
  const events: RunStatusChangeEvent[] = [];

  const eventsOf = (runId: string) => events.filter((event) => event.detail.runId === runId);
  const terminalEvent = (runId: string) =>
    waitFor(
      () =>
        eventsOf(runId).find((event) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(event.detail.status)),
      `a terminal event for run ${runId}`,
    );

  beforeAll(async () => {
    runsDir = await mkdtemp(join(tmpdir(), 'gwm-local-engine-'));
    ({ engine, client } = await startEngineAndClient({
      workflows,
      runsDir,
      region: 'us-west-2',
      accountId: '111122223333',
      emit: (event) => {
        events.push(event);
      },
    }));
  });

  afterAll(async () => {
    client?.destroy();
    await engine?.stop();
    if (runsDir) await rm(runsDir, { recursive: true, force: true });
  });

  it('listens on loopback only', () => {
    expect(engine.endpoint).toBe(`http://127.0.0.1:${engine.port}`);
  });

  it('runs a workflow to COMPLETED, emitting each status once, in order, with the real event envelope', async () => {
    // Act
    const started = await client.send(new StartRunCommand(runRequest()));
    const runId = started.id ?? '';
    await terminalEvent(runId);

    // Assert
    expect(started).toMatchObject({ status: 'PENDING', tags: { batch: 'fc1' } });
    expect(runId).toMatch(/^\d{7}$/);
    expect(started.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(started.arn).toBe(`arn:aws:omics:us-west-2:111122223333:run/${runId}`);
    const runEvents = eventsOf(runId);
    expect(runEvents.map((event) => event.detail.status)).toEqual([
      'PENDING',
      'STARTING',
      'RUNNING',
      'STOPPING',
      'COMPLETED',
    ]);
    const fixture = JSON.parse(
      await readFile(new URL('../fixtures/omics-run-status-completed.json', import.meta.url), 'utf8'),
    ) as { detail: Record<string, unknown> } & Record<string, unknown>;
    const completed = runEvents.at(-1);
    expect(Object.keys(completed ?? {}).sort()).toEqual(Object.keys(fixture).sort());
    expect(Object.keys(completed?.detail ?? {}).sort()).toEqual(Object.keys(fixture.detail).sort());
    expect(completed).toMatchObject({
      version: '0',
      'detail-type': 'Run Status Change',
      source: 'aws.omics',
      account: '111122223333',
      region: 'us-west-2',
      resources: [started.arn],
      detail: {
        omicsVersion: '1.0.0',
        arn: started.arn,
        status: 'COMPLETED',
        uuid: started.uuid,
        runId,
        runName: 'fc1-sample-1',
        runOutputUri: `s3://gwm-local/runs/${runId}/`,
        workflowId: '1000100',
        workflowName: 'fastq-stats',
      },
    });
    expect(completed?.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(new Set(runEvents.map((event) => event.id)).size).toBe(runEvents.length);
    expect(parseRunStatusEvent(completed)).toMatchObject({ ok: true, event: { runId, status: 'COMPLETED' } });
  });

  it('answers GetRun with the finished run, its output location and its log stream, and keeps its outputs and log', async () => {
    // Prepare
    const started = await client.send(new StartRunCommand(runRequest({ name: 'fc1-sample-2' })));
    const runId = started.id ?? '';
    await terminalEvent(runId);

    // Act
    const run = await client.send(new GetRunCommand({ id: runId }));

    // Assert
    expect(run).toMatchObject({
      id: runId,
      arn: started.arn,
      uuid: started.uuid,
      name: 'fc1-sample-2',
      status: 'COMPLETED',
      workflowId: '1000100',
      parameters: { sample: 'sample-1' },
      outputUri: 's3://gwm-local/runs/',
      runOutputUri: `s3://gwm-local/runs/${runId}/`,
      storageType: 'DYNAMIC',
      tags: { batch: 'fc1' },
      logLocation: { runLogStream: `run/${runId}` },
    });
    expect(run.creationTime).toBeInstanceOf(Date);
    expect(run.startTime).toBeInstanceOf(Date);
    expect(run.stopTime).toBeInstanceOf(Date);
    expect(run.failureReason).toBeUndefined();
    expect(await readFile(join(runsDir, runId, 'out', 'stats.txt'), 'utf8')).toBe('reads 42\n');
    expect(await readFile(join(runsDir, runId, 'run.log'), 'utf8')).toBe(`ok ${runId}\n`);
  });

  it('ends a run whose process exits non-zero FAILED, with the last stderr line as the failure reason', async () => {
    // Act
    const started = await client.send(
      new StartRunCommand(runRequest({ workflowId: '1000200', name: 'fc1-bad' })),
    );
    const runId = started.id ?? '';
    const terminal = await terminalEvent(runId);
    const run = await client.send(new GetRunCommand({ id: runId }));

    // Assert
    expect(terminal.detail.status).toBe('FAILED');
    expect(eventsOf(runId).map((event) => event.detail.status)).toEqual([
      'PENDING',
      'STARTING',
      'RUNNING',
      'STOPPING',
      'FAILED',
    ]);
    expect(run).toMatchObject({
      status: 'FAILED',
      failureReason: 'boom: no reads in sample',
      statusMessage: 'Workflow process ended with exit code 3',
    });
    expect(await readFile(join(runsDir, runId, 'run.log'), 'utf8')).toBe(
      'reading input\nboom: no reads in sample\n',
    );
  });

  it('answers a repeated requestId with the same run and starts no second process', async () => {
    // Prepare
    const request = runRequest({ workflowId: '1000400', name: 'fc1-idem', requestId: 'launch-42-attempt-1' });
    const before = engine.runs().length;

    // Act
    const first = await client.send(new StartRunCommand(request));
    const second = await client.send(new StartRunCommand(request));
    await terminalEvent(first.id ?? '');

    // Assert
    expect(second.id).toBe(first.id);
    expect(second.uuid).toBe(first.uuid);
    expect(engine.runs().length).toBe(before + 1);
    expect(eventsOf(first.id ?? '').filter((event) => event.detail.status === 'RUNNING')).toHaveLength(1);
    const matching = engine.runs().filter((run) => run.requestId === 'launch-42-attempt-1');
    expect(matching).toHaveLength(1);
  });

  it('passes a parameter full of shell syntax to the process as one argv element, untouched', async () => {
    // Prepare
    const hostile = '"; rm -rf / #\' $(touch pwned) `touch pwned2` && echo injected | cat > x';

    // Act
    const started = await client.send(
      new StartRunCommand(
        runRequest({ workflowId: '1000400', name: 'fc1-hostile', parameters: { sample: hostile } }),
      ),
    );
    const runId = started.id ?? '';
    const terminal = await terminalEvent(runId);

    // Assert
    expect(terminal.detail.status).toBe('COMPLETED');
    const outputDir = join(runsDir, runId, 'out');
    const argv = JSON.parse(await readFile(join(outputDir, 'argv.json'), 'utf8')) as unknown;
    expect(argv).toEqual([outputDir, hostile]);
    const runDir = join(runsDir, runId);
    expect(existsSync(join(runDir, 'pwned'))).toBe(false);
    expect(existsSync(join(runDir, 'pwned2'))).toBe(false);
    expect(existsSync(join(runDir, 'x'))).toBe(false);
  });

  it('cancels a running run: the process is killed and the run ends CANCELLED', async () => {
    // Prepare
    const started = await client.send(
      new StartRunCommand(runRequest({ workflowId: '1000300', name: 'fc1-slow' })),
    );
    const runId = started.id ?? '';
    await waitFor(
      () => eventsOf(runId).find((event) => event.detail.status === 'RUNNING'),
      'the slow run to be RUNNING',
    );
    const pid = engine.runs().find((run) => run.id === runId)?.pid;
    expect(pid).toBeTypeOf('number');

    // Act
    const startedCancel = Date.now();
    await client.send(new CancelRunCommand({ id: runId }));
    const terminal = await terminalEvent(runId);

    // Assert
    expect(terminal.detail.status).toBe('CANCELLED');
    expect(Date.now() - startedCancel).toBeLessThan(5000);
    expect(eventsOf(runId).map((event) => event.detail.status)).toEqual([
      'PENDING',
      'STARTING',
      'RUNNING',
      'STOPPING',
      'CANCELLED',
    ]);
    expect(processIsGone(pid ?? 0)).toBe(true);
    expect(await client.send(new GetRunCommand({ id: runId }))).toMatchObject({ status: 'CANCELLED' });
  });

  it('refuses to cancel a run that already ended, with ConflictException', async () => {
    // Prepare
    const started = await client.send(new StartRunCommand(runRequest({ name: 'fc1-done' })));
    await terminalEvent(started.id ?? '');

    // Act
    const error = await client
      .send(new CancelRunCommand({ id: started.id }))
      .catch((caught: unknown) => caught);

    // Assert
    expect(error).toMatchObject({ name: 'ConflictException', $metadata: { httpStatusCode: 409 } });
  });

  it('lists runs by name prefix, newest first, one page at a time', async () => {
    // Prepare
    const names = ['list-a-1', 'list-a-2', 'list-a-3', 'list-b-1'];
    const ids: string[] = [];
    for (const name of names) {
      const started = await client.send(new StartRunCommand(runRequest({ name })));
      ids.push(started.id ?? '');
    }
    await Promise.all(ids.map((id) => terminalEvent(id)));

    // Act
    const all = await client.send(new ListRunsCommand({ name: 'list-a-' }));
    const first = await client.send(new ListRunsCommand({ name: 'list-a-', maxResults: 2 }));
    const second = await client.send(
      new ListRunsCommand({ name: 'list-a-', maxResults: 2, startingToken: first.nextToken }),
    );
    const failed = await client.send(new ListRunsCommand({ status: 'FAILED' }));

    // Assert
    expect(all.items?.map((item) => item.name)).toEqual(['list-a-3', 'list-a-2', 'list-a-1']);
    expect(all.nextToken).toBeUndefined();
    expect(all.items?.[0]).toMatchObject({
      id: ids[2],
      arn: `arn:aws:omics:us-west-2:111122223333:run/${ids[2]}`,
      status: 'COMPLETED',
      workflowId: '1000100',
      storageType: 'DYNAMIC',
    });
    expect(all.items?.[0]?.creationTime).toBeInstanceOf(Date);
    expect(first.items?.map((item) => item.name)).toEqual(['list-a-3', 'list-a-2']);
    expect(first.nextToken).toBeTypeOf('string');
    expect(second.items?.map((item) => item.name)).toEqual(['list-a-1']);
    expect(second.nextToken).toBeUndefined();
    expect(failed.items?.every((item) => item.status === 'FAILED')).toBe(true);
  });

  it('rejects a StartRun without a role, for an unknown workflow, and a GetRun for an unknown run, with the service errors', async () => {
    // Act
    const noRole = await client
      .send(new StartRunCommand(runRequest({ roleArn: '' })))
      .catch((caught: unknown) => caught);
    const noWorkflow = await client
      .send(new StartRunCommand(runRequest({ workflowId: '9999999' })))
      .catch((caught: unknown) => caught);
    const noRun = await client.send(new GetRunCommand({ id: '9999999' })).catch((caught: unknown) => caught);

    // Assert
    expect(noRole).toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    expect(noWorkflow).toMatchObject({
      name: 'ResourceNotFoundException',
      $metadata: { httpStatusCode: 404 },
    });
    expect(noRun).toMatchObject({ name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 404 } });
  });
});

describe('local workflow engine pacing', () => {
  it('throttles StartRun above its rate with the ThrottlingException the SDK knows', async () => {
    // Prepare
    const runsDir = await mkdtemp(join(tmpdir(), 'gwm-local-engine-rate-'));
    const { engine, client, stop } = await startEngineAndClient({
      workflows,
      runsDir,
      startRunRatePerSecond: 2,
      emit: () => {},
    });
    try {
      // Act
      const results = [];
      for (const name of ['rate-1', 'rate-2', 'rate-3']) {
        results.push(
          await client.send(new StartRunCommand(runRequest({ name }))).catch((caught: unknown) => caught),
        );
      }

      // Assert
      expect(results[0]).toMatchObject({ status: 'PENDING' });
      expect(results[1]).toMatchObject({ status: 'PENDING' });
      expect(results[2]).toMatchObject({ name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });
      expect(engine.runs()).toHaveLength(2);
    } finally {
      await stop();
      await rm(runsDir, { recursive: true, force: true });
    }
  });

  it('numbers runs after the ones already in its runs folder, so a restarted engine never reuses an id', async () => {
    const runsDir = await mkdtemp(join(tmpdir(), 'gwm-local-engine-restart-'));
    try {
      // Prepare
      const first = await startEngineAndClient({ workflows, runsDir, emit: () => {} });
      let earlierId: string | undefined;
      try {
        earlierId = (await first.client.send(new StartRunCommand(runRequest()))).id;
      } finally {
        await first.stop();
      }
      const second = await startEngineAndClient({ workflows, runsDir, emit: () => {} });
      try {
        // Act
        const later = await second.client.send(new StartRunCommand(runRequest()));

        // Assert
        expect(Number(later.id)).toBe(Number(earlierId) + 1);
      } finally {
        await second.stop();
      }
    } finally {
      await rm(runsDir, { recursive: true, force: true });
    }
  });

  it('stops workflow processes that are still running when it stops, and leaves their runs to the next engine', async () => {
    // Prepare
    const runsDir = await mkdtemp(join(tmpdir(), 'gwm-local-engine-stop-'));
    const { engine, client, stop } = await startEngineAndClient({ workflows, runsDir, emit: () => {} });
    try {
      const started = await client.send(new StartRunCommand(runRequest({ workflowId: '1000300' })));
      const pid = await waitFor(
        () => engine.runs().find((run) => run.id === started.id)?.pid,
        'the process',
        8000,
      );

      // Act
      await engine.stop();

      // Assert: the run is left as it was, for the next engine on the runs folder to end
      expect(processIsGone(pid)).toBe(true);
      expect(engine.runs()[0]?.status).toBe('RUNNING');
    } finally {
      await stop();
      await rm(runsDir, { recursive: true, force: true });
    }
  });
});

describe('local workflow engine hooks', () => {
  let runsDir: string;
  let engine: LocalEngine | undefined;
  let client: OmicsClient | undefined;

  beforeAll(async () => {
    runsDir = await mkdtemp(join(tmpdir(), 'gwm-local-engine-hooks-'));
  });

  afterAll(async () => {
    client?.destroy();
    await engine?.stop();
    if (runsDir) await rm(runsDir, { recursive: true, force: true });
  });

  async function start(
    options: Partial<Parameters<typeof startLocalEngine>[0]>,
    events: RunStatusChangeEvent[],
  ) {
    client?.destroy();
    await engine?.stop();
    ({ engine, client } = await startEngineAndClient({
      workflows: {},
      runsDir,
      emit: (event) => {
        events.push(event);
      },
      ...options,
    }));
    return client;
  }

  async function finished(events: RunStatusChangeEvent[], runId: string) {
    return waitFor(
      () =>
        events.find(
          (event) =>
            event.detail.runId === runId &&
            ['COMPLETED', 'FAILED', 'CANCELLED'].includes(event.detail.status),
        ),
      `run ${runId} to finish`,
    );
  }

  it('gives a workflow program the environment it declares', async () => {
    // Prepare
    const events: RunStatusChangeEvent[] = [];
    const omics = await start(
      {
        workflows: {
          '2000100': {
            name: 'prints-env',
            command: node,
            args: ({ outputDir }) => [
              '-e',
              'require("node:fs").writeFileSync(process.argv[1] + "/env.txt", process.env.GWM_S3_ENDPOINT)',
              outputDir,
            ],
            env: { GWM_S3_ENDPOINT: 'http://127.0.0.1:4569' },
          },
        },
      },
      events,
    );

    // Act
    const { id } = await omics.send(
      new StartRunCommand(runRequest({ workflowId: '2000100', requestId: 'env-1' })),
    );
    await finished(events, id ?? '');

    // Assess
    const run = engine?.runs().find((candidate) => candidate.id === id);
    expect(await readFile(join(run?.outputDir ?? '', 'env.txt'), 'utf8')).toBe('http://127.0.0.1:4569');
  });

  it('exports outputs before COMPLETED, and fails the run when the export fails', async () => {
    // Prepare
    const events: RunStatusChangeEvent[] = [];
    const exported: string[] = [];
    const omics = await start(
      {
        workflows,
        exportOutputs: async (run) => {
          if (run.parameters.sample === 'unexportable') throw new Error('bucket gwm-results does not exist');
          // The event of the final status is not out yet while the outputs are copied
          expect(
            events.filter((event) => event.detail.runId === run.id).map((event) => event.detail.status),
          ).not.toContain('COMPLETED');
          exported.push(run.id);
        },
      },
      events,
    );

    // Act
    const good = await omics.send(new StartRunCommand(runRequest({ requestId: 'export-1' })));
    const bad = await omics.send(
      new StartRunCommand(runRequest({ requestId: 'export-2', parameters: { sample: 'unexportable' } })),
    );
    const goodEnd = await finished(events, good.id ?? '');
    const badEnd = await finished(events, bad.id ?? '');

    // Assess
    expect(goodEnd.detail.status).toBe('COMPLETED');
    expect(exported).toEqual([good.id]);
    expect(badEnd.detail.status).toBe('FAILED');
    const run = await omics.send(new GetRunCommand({ id: bad.id }));
    expect(run.failureReason).toBe("Could not export the run's outputs: bucket gwm-results does not exist");
  });

  it('runs a simulated workflow on its timetable, through the same statuses, and counts API calls', async () => {
    // Prepare
    const events: RunStatusChangeEvent[] = [];
    const calls: string[] = [];
    const omics = await start(
      {
        workflows: {
          '2000200': {
            name: 'simulated',
            simulate: ({ parameters }) =>
              parameters.sample === 'bad'
                ? { runningMs: 20, status: 'FAILED', failureReason: 'simulated: out of memory' }
                : { startingMs: 10, runningMs: 150, status: 'COMPLETED' },
          },
        },
        onRequest: (operation) => calls.push(operation),
      },
      events,
    );

    // Act
    const started = Date.now();
    const ok = await omics.send(
      new StartRunCommand(runRequest({ workflowId: '2000200', requestId: 'sim-1' })),
    );
    const bad = await omics.send(
      new StartRunCommand(
        runRequest({ workflowId: '2000200', requestId: 'sim-2', parameters: { sample: 'bad' } }),
      ),
    );
    await finished(events, ok.id ?? '');
    const elapsed = Date.now() - started;
    await finished(events, bad.id ?? '');
    await omics.send(new GetRunCommand({ id: ok.id }));
    await omics.send(new ListRunsCommand({}));

    // Assess
    const statuses = (runId: string) =>
      events.filter((event) => event.detail.runId === runId).map((event) => event.detail.status);
    expect(statuses(ok.id ?? '')).toEqual(['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'COMPLETED']);
    expect(statuses(bad.id ?? '')).toEqual(['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'FAILED']);
    expect(elapsed).toBeGreaterThanOrEqual(150);
    const failed = await omics.send(new GetRunCommand({ id: bad.id }));
    expect(failed.failureReason).toBe('simulated: out of memory');
    expect(calls).toEqual(['StartRun', 'StartRun', 'GetRun', 'ListRuns', 'GetRun']);
  });
});
