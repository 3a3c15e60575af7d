import { readFileSync } from 'node:fs';
import type { EventBridgeEvent, ScheduledEvent } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { Batch } from '../../domain/batch.js';
import { ManifestGoneError } from '../../domain/errors.js';
import { effectiveStatus, type Launch } from '../../domain/launch.js';
import { METRICS } from '../../domain/metrics.js';
import type { Notice } from '../../domain/notifications.js';
import type { BatchRepository, LaunchRepository, RunDetails, WorkflowEngine } from '../../domain/ports.js';
import { RUN_IN_FLIGHT_STATUSES } from '../../domain/scheduling/launch-queue.js';
import { waitingSinceOf } from '../../domain/scheduling/waiting.js';
import type { Team } from '../../domain/teams/team.js';
import type { CompletionDeps } from '../../domain/use-cases/aggregator.js';
import { RECONCILED_STATUSES, type ReconcilerDeps } from '../../domain/use-cases/reconciler.js';
import { makeMemoryTelemetry } from '../../functions/adapters/telemetry.js';
import { makeAggregatorSweep } from '../../functions/aggregator-sweep.js';
import { makeIntakeSweep } from '../../functions/intake-sweep.js';
import { makeReconcilerHandler } from '../../functions/reconciler.js';
import { makeRestoreTrackerSweep } from '../../functions/restore-tracker-sweep.js';
import { runScheduledRepairs } from '../../functions/scheduled-repairs.js';
import { makeTrackerHandler } from '../../functions/tracker.js';
import { aBatch, aLaunch } from '../support/launch-factory.js';
import { memoryRestores } from '../support/memory-restores.js';

/** Batches in a map, with the conditional replace and the SENDING index the resume relies on. */
function memoryBatches(initial: Batch[]): BatchRepository & { items: Map<string, Batch> } {
  const items = new Map(initial.map((batch) => [batch.batchId, batch]));
  return {
    items,
    async get(batchId) {
      return items.get(batchId);
    },
    async create() {
      return 'conflict';
    },
    async replace(expected, next) {
      const current = items.get(expected.batchId);
      if (current?.revision !== expected.revision || current.status !== expected.status) return 'conflict';
      items.set(next.batchId, next);
      return 'written';
    },
    async listRecent() {
      return { items: [] };
    },
    async listOpen() {
      return {
        items: [...items.values()].filter((batch) =>
          ['REGISTERED', 'ACTIVE', 'QC_RUNNING'].includes(batch.status),
        ),
      };
    },
    async listUnfinishedRegistrations() {
      return {
        items: [...items.values()].filter((batch) => ['REGISTERING', 'REGISTERED'].includes(batch.status)),
      };
    },
    async listHeld() {
      return { items: [...items.values()].filter((batch) => batch.status === 'HELD_OVER_BUDGET') };
    },
    async listSending() {
      return { items: [...items.values()].filter((batch) => batch.notificationState === 'SENDING') };
    },
  };
}

const completedEvent: { time: string; detail: { runId: string; uuid: string; status: string } } = JSON.parse(
  readFileSync(new URL('../fixtures/omics-run-status-completed.json', import.meta.url), 'utf8'),
);

/** Launches kept in a map, with the conditional replace and the status index the use cases rely on. */
function memoryLaunches(initial: Launch[]): LaunchRepository & { items: Map<string, Launch> } {
  const items = new Map(initial.map((launch) => [launch.launchId, launch]));
  return {
    items,
    async get(_batchId, launchId) {
      return items.get(launchId);
    },
    async putMany(launches) {
      for (const launch of launches) items.set(launch.launchId, launch);
    },
    async replace(expected, next) {
      const current = items.get(expected.launchId);
      if (current?.revision !== expected.revision || current.status !== expected.status) return 'conflict';
      items.set(next.launchId, next);
      return 'written';
    },
    async findByRunId(runId) {
      return [...items.values()].filter((launch) => launch.runId === runId);
    },
    async listByStatus(status, range, page = {}) {
      // The index's order, and a cursor that is the last key read (as DynamoDB's is).
      const key = (launch: Launch) => `${launch.updatedAt}|${launch.launchId}`;
      const matching = [...items.values()]
        .filter((launch) => launch.status === status && (!range.to || launch.updatedAt <= range.to))
        .filter((launch) => !page.cursor || key(launch) > page.cursor)
        .sort((a, b) => key(a).localeCompare(key(b)));
      const found = matching.slice(0, page.limit ?? matching.length);
      const last = found.at(-1);
      return { items: found, cursor: last && found.length < matching.length ? key(last) : undefined };
    },
    async listByBatch() {
      return { items: [] };
    },
    async listBySample() {
      return { items: [] };
    },
    async listByWorkflow() {
      return { items: [] };
    },
    async listByTeam() {
      return { items: [] };
    },
  };
}

function engineAnswering(getRun: (runId: string) => Promise<RunDetails | undefined>): WorkflowEngine {
  return {
    getRun,
    async startRun() {
      throw new Error('no run is started here');
    },
    async listRunsByName() {
      return [];
    },
    async listRunTasks() {
      return { tasks: [] };
    },
    async cancelRun() {
      throw new Error('no run is cancelled here');
    },
  };
}

const logs = { tail: async (runId: string) => ({ location: `run/${runId}`, lines: ['exit 1'] }) };

describe('the tracker', () => {
  const eventTime = Date.parse(completedEvent.time);
  const submitted = aLaunch({
    status: 'SUBMITTED',
    runId: completedEvent.detail.runId,
    runUuid: completedEvent.detail.uuid,
    statusHistory: [{ status: 'SUBMITTED', at: completedEvent.time, source: 'gwm' }],
  });

  function tracker(launch: Launch, details?: RunDetails) {
    const telemetry = makeMemoryTelemetry();
    const handler = makeTrackerHandler({
      telemetry,
      tracker: {
        launches: memoryLaunches([launch]),
        engine: engineAnswering(async () => details),
        logs,
        logLines: 10,
        now: () => new Date(eventTime + 42_000),
      },
    });
    return { telemetry, handle: (event: unknown) => handler(event as EventBridgeEvent<string, unknown>) };
  }

  it('times a status from the event to its write (ms) and counts the completed run', async () => {
    // Prepare
    const { telemetry, handle } = tracker(submitted);
    // Act
    await handle(completedEvent);
    // Assess
    expect(telemetry.timings.get(METRICS.statusLatency)).toEqual([42_000]);
    expect(telemetry.get(METRICS.statusApplied)).toBe(1);
    expect(telemetry.get(METRICS.runsCompleted)).toBe(1);
    expect(telemetry.get(METRICS.runsFailed)).toBe(0);
  });

  it('does not time an event it ignores', async () => {
    // Prepare
    const { telemetry, handle } = tracker(submitted);
    await handle(completedEvent);
    // Act
    await handle(completedEvent);
    // Assess
    expect(telemetry.timings.get(METRICS.statusLatency)).toEqual([42_000]);
    expect(telemetry.get(METRICS.statusIgnored)).toBe(1);
    expect(telemetry.get(METRICS.runsCompleted)).toBe(1);
  });

  it('counts a failed run and logs the reason HealthOmics gives', async () => {
    // Prepare
    const failureReason = 'WORKFLOW_RUN_FAILED: task align exited with 137';
    const { telemetry, handle } = tracker(submitted, {
      runId: completedEvent.detail.runId,
      runUuid: completedEvent.detail.uuid,
      status: 'FAILED',
      failureReason,
      tags: {},
    });
    const info = vi.spyOn(telemetry.logger, 'info');
    // Act
    await handle({ ...completedEvent, detail: { ...completedEvent.detail, status: 'FAILED' } });
    // Assess
    expect(telemetry.get(METRICS.runsFailed)).toBe(1);
    expect(telemetry.get(METRICS.runsCompleted)).toBe(0);
    expect(info).toHaveBeenCalledWith(
      'status applied',
      expect.objectContaining({ to: 'FAILED', failureReason, runId: completedEvent.detail.runId }),
    );
  });
});

describe('the reconciler', () => {
  const now = new Date('2026-11-20T20:00:00.000Z');
  const longAgo = '2026-11-20T08:00:00.000Z';
  const running = (sample: string, runId: string, updatedAt = longAgo) =>
    aLaunch({
      launchId: `b1/${sample}`,
      sampleId: sample,
      status: 'RUNNING',
      runId,
      updatedAt,
      statusHistory: [{ status: 'RUNNING', at: updatedAt, source: 'event' }],
    });

  function reconciler(
    launches: Launch[],
    getRun: (runId: string) => Promise<RunDetails | undefined>,
    batches: Batch[] = [],
    send: (notice: Notice) => Promise<void> = async () => {},
    teams: Team[] = [],
  ) {
    const telemetry = makeMemoryTelemetry();
    const repository = memoryLaunches(launches);
    const engine = engineAnswering(getRun);
    const restoreDeps = {
      restores: memoryRestores(),
      restorer: {
        restore: async (): Promise<'started'> => {
          throw new Error('this manifest has no archived input');
        },
      },
      settings: { tier: 'Bulk' as const, days: 7, minuteMs: 60_000 },
      now: () => now,
      concurrency: 1,
    };
    const deps: ReconcilerDeps = {
      launches: repository,
      engine,
      logs,
      logLines: 10,
      now: () => now,
      engineReads: { acquire: async () => {} },
      launcher: {
        launches: repository,
        engine,
        pacer: { acquire: async () => {} },
        roleArn: 'arn:aws:iam::123456789012:role/gwm-omics-service',
        leaseMs: 300_000,
        retry: { attempts: 1, baseDelayMs: 1, maxDelayMs: 1 },
        now: () => now,
        sleep: async () => {},
        newClaimToken: () => 'claim',
        random: () => 0.5,
        restores: restoreDeps,
        registration: { awaitRegistered: async () => 'registered' as const, isRegistered: async () => true },
      },
      staleAfterMs: Object.fromEntries(
        RECONCILED_STATUSES.map((status) => [status, 60 * 60_000]),
      ) as ReconcilerDeps['staleAfterMs'],
      maxLaunches: 2,
    };
    const batchRepository = memoryBatches(batches);
    const completion: CompletionDeps = {
      launches: repository,
      batches: batchRepository,
      ledger: {
        get: async () => {
          throw new Error('resending a notification counts nothing');
        },
        record: async () => {
          throw new Error('resending a notification counts nothing');
        },
      },
      notifier: { send },
      objects: { putText: async () => {} },
      now: () => now,
    };
    const launchesNow = () => [...repository.items.values()];
    const handler = makeReconcilerHandler({
      telemetry,
      reconciler: deps,
      // The status index and the launch queue, as the launches in the map would fill them.
      waiting: {
        launches: {
          async listWaiting(status) {
            const items = launchesNow()
              .filter((launch) => effectiveStatus(launch) === status)
              .map((launch) => ({
                status,
                ...(launch.team !== undefined && { team: launch.team }),
                waitingSince: waitingSinceOf(launch) ?? launch.updatedAt,
              }));
            return { items };
          },
        },
        teams: { list: async () => teams },
        queue: {
          inFlight: async (team, limit) =>
            launchesNow()
              .filter((launch) => launch.team === team && RUN_IN_FLIGHT_STATUSES.has(launch.status))
              .map((launch) => launch.launchId)
              .slice(0, limit),
        },
        teamLimits: true,
        startRatePerSecond: 1,
        marginMs: 15 * 60_000,
        maxRead: 1_000,
        now: () => now,
      },
    });
    const intakeSweep = makeIntakeSweep({
      telemetry,
      registrations: {
        intake: {
          batches: completion.batches,
          launches: repository,
          profiles: { list: async () => [], get: async () => undefined, put: async () => {} },
          teams: {
            list: async () => [],
            get: async () => undefined,
            put: async () => {},
            remove: async () => false,
          },
          defaultTeam: 'default',
          limits: { maxSamples: 10, maxBytes: 1_000 },
          allowedReadPrefixes: ['s3://lab-inputs/'],
          allowedWritePrefixes: ['s3://lab-results/'],
          now: () => now,
          leaseMs: 60_000,
          chunkSize: 10,
          releaseConcurrency: 1,
          inputs: { inspect: async () => new Map() },
          restores: restoreDeps,
          historyLaunches: 100,
        },
        manifests: {
          read: async (bucket, key) => {
            throw new ManifestGoneError(`s3://${bucket}/${key} no longer exists`);
          },
        },
        newOwner: () => 'reconciler',
        options: { quietForMs: 10 * 60_000, max: 10 },
      },
    });
    const restoreSweep = makeRestoreTrackerSweep({
      telemetry,
      restores: {
        tracker: { restores: restoreDeps.restores, launches: repository, now: () => now, concurrency: 1 },
        request: restoreDeps,
        inputs: { inspect: async () => new Map() },
        waitingQuietMs: 60_000,
        max: 10,
      },
    });
    const aggregatorSweep = makeAggregatorSweep({
      telemetry,
      completion,
      notificationResume: { staleAfterMs: 15 * 60_000, max: 10 },
      batchRecount: { quietForMs: 60 * 60_000, max: 10 },
    });
    const run = () =>
      runScheduledRepairs(
        { reconciler: handler, intakeSweep, restoreTrackerSweep: restoreSweep, aggregatorSweep },
        {} as ScheduledEvent,
      );
    return { telemetry, run, batches: batchRepository };
  }

  it('reports stale launches left for the next run and those it could not reconcile', async () => {
    // Prepare: three stale runs, room for two; the engine answers one and fails on the other.
    const { telemetry, run } = reconciler(
      [
        running('NA12878', '1001', '2026-11-20T07:00:00.000Z'),
        running('NA12891', '1002', '2026-11-20T07:30:00.000Z'),
        running('NA12892', '1003'),
      ],
      async (runId) => {
        if (runId === '1002') throw new Error('ThrottlingException: Rate exceeded');
        return { runId, status: 'COMPLETED', runOutputUri: `s3://lab-results/${runId}/`, tags: {} };
      },
    );
    // Act
    const report = await run();
    // Assess
    expect(report.leftForNextRun).toBe(1);
    expect(telemetry.get(METRICS.reconcilerChecked)).toBe(2);
    expect(telemetry.get(METRICS.reconcilerRepairs)).toBe(1);
    expect(telemetry.get(METRICS.runsCompleted)).toBe(1);
    expect(telemetry.get(METRICS.reconcilerLeft)).toBe(1);
    expect(telemetry.get(METRICS.reconcilerErrors)).toBe(1);
  });

  it('counts the batch notifications it sends again, and those that fail again as errors', async () => {
    // Prepare: two batches a stopped sender left SENDING an hour ago; the topic refuses one of them.
    const stuck = (batchId: string) =>
      aBatch({
        batchId,
        status: 'COMPLETED',
        sampleCount: 1,
        counts: { succeeded: 1, failed: 0, cancelled: 0, launchFailed: 0, deleted: 0 },
        notifiedRound: 1,
        notificationState: 'SENDING',
        notificationAt: '2026-11-20T19:00:00.000Z',
        finishedAt: '2026-11-20T19:00:00.000Z',
      });
    const sent: Notice[] = [];
    const { telemetry, run } = reconciler(
      [],
      async () => undefined,
      [stuck('b1'), stuck('b2')],
      async (notice) => {
        if (notice.kind === 'batch-completed' && notice.batchId === 'b2')
          throw new Error('SNS: KMS key disabled');
        sent.push(notice);
      },
    );
    const warn = vi.spyOn(telemetry.logger, 'warn');
    // Act
    const result = await run();
    // Assess
    expect(sent.map((notice) => notice.kind === 'batch-completed' && notice.batchId)).toEqual(['b1']);
    expect(result.notifications.resent).toEqual(['b1']);
    expect(telemetry.get(METRICS.notificationsResent)).toBe(1);
    expect(telemetry.get(METRICS.notificationsSent)).toBe(1);
    expect(telemetry.get(METRICS.reconcilerErrors)).toBe(1);
    expect(warn).toHaveBeenCalledWith(
      'batch notification not sent',
      expect.objectContaining({ batchId: 'b2', message: expect.stringContaining('KMS key disabled') }),
    );
  });

  it('counts a stalled registration whose manifest is gone as not reconciled, and says to upload it again', async () => {
    // Prepare: a batch registered an hour ago whose release never happened; its manifest was deleted
    const stalled = aBatch({ batchId: 'b9', status: 'REGISTERED', updatedAt: '2026-11-20T19:00:00.000Z' });
    const { telemetry, run } = reconciler([], async () => undefined, [stalled]);
    const error = vi.spyOn(telemetry.logger, 'error');
    // Act
    const result = await run();
    // Assess
    expect(result.registrations.unresumable).toEqual([
      expect.objectContaining({ batchId: 'b9', reason: 'gone', status: 'REGISTERED' }),
    ]);
    expect(telemetry.get(METRICS.registrationsResumed)).toBe(0);
    expect(telemetry.get(METRICS.reconcilerErrors)).toBe(1);
    expect(error).toHaveBeenCalledWith(
      'registration cannot be resumed; upload the manifest again',
      expect.objectContaining({ batchId: 'b9', sourceUri: stalled.sourceUri }),
    );
  });

  it('goes on to the recount when the registrations cannot even be listed', async () => {
    // Prepare: a quiet open batch; the listing of registrations fails (a batch item a console edit broke)
    const open = aBatch({ batchId: 'b3', status: 'ACTIVE', updatedAt: '2026-11-20T08:00:00.000Z' });
    const { telemetry, run, batches } = reconciler([], async () => undefined, [open]);
    batches.listUnfinishedRegistrations = async () => {
      throw new Error('batch b4 cannot be read: status: Invalid option');
    };
    // Act
    const result = await run();
    // Assess
    expect(result.registrations.errors).toEqual([
      { batchId: '?', message: expect.stringContaining('batch b4 cannot be read') },
    ]);
    expect(telemetry.get(METRICS.reconcilerErrors)).toBe(1);
    expect(result.batches.checked).toBe(1);
  });

  it('reports zero stuck launches on a run with nothing stale, so every run is a data point', async () => {
    // Prepare
    const { telemetry, run } = reconciler(
      [running('NA12878', '1001', '2026-11-20T19:55:00.000Z')],
      async () => {
        throw new Error('a fresh launch is never looked up');
      },
    );
    // Act
    await run();
    // Assess
    expect(telemetry.counters.get(METRICS.reconcilerLeft)).toBe(0);
    expect(telemetry.counters.get(METRICS.reconcilerErrors)).toBe(0);
    expect(telemetry.counters.get(METRICS.reconcilerChecked)).toBe(0);
    expect(telemetry.counters.get(METRICS.notificationsResent)).toBe(0);
  });

  it('sends the launches waiting per status and the oldest age of each, and how overdue the oldest startable one is', async () => {
    // Prepare: lab-a runs its one allowed run and has a launch waiting an hour (re-queued since,
    // which does not reset its wait); lab-b has no limit and two launches waiting
    const at = (time: string) => `2026-11-20T${time}:00.000Z`;
    const waiting = (
      sample: string,
      team: string,
      status: 'QUEUED' | 'THROTTLED',
      since: string,
      updatedAt = since,
    ) =>
      aLaunch({
        launchId: `b1/${sample}`,
        sampleId: sample,
        team,
        status,
        updatedAt: at(updatedAt),
        statusHistory: [
          { status: 'REGISTERED', at: at('18:00'), source: 'gwm' },
          { status: 'QUEUED', at: at(since), source: 'gwm' },
          ...(status === 'THROTTLED' ? [{ status, at: at(since), source: 'gwm' as const }] : []),
        ],
      });
    const team = (name: string, maxInFlight?: number): Team => ({
      name,
      readPrefixes: [],
      writePrefixes: [],
      weight: 1,
      ...(maxInFlight !== undefined && { maxInFlight }),
    });
    const { telemetry, run } = reconciler(
      [
        { ...running('A0', '2001', at('19:58')), team: 'lab-a' },
        waiting('A1', 'lab-a', 'QUEUED', '19:00', '19:30'),
        waiting('B1', 'lab-b', 'QUEUED', '19:40'),
        waiting('B2', 'lab-b', 'THROTTLED', '19:50'),
      ],
      async () => {
        throw new Error('nothing here is stale');
      },
      [],
      async () => {},
      [team('lab-a', 1), team('lab-b')],
    );
    // Act
    const result = await run();
    // Assess
    const sent = (name: string) =>
      telemetry.measures
        .filter((measure) => measure.name === name)
        .map(({ value, dimensions }) => ({ value, dimensions }));
    expect(sent(METRICS.launchesWaiting)).toEqual([
      { value: 2, dimensions: { status: 'QUEUED' } },
      { value: 1, dimensions: { status: 'THROTTLED' } },
    ]);
    expect(sent(METRICS.oldestWaitingAge)).toEqual([
      { value: 3_600, dimensions: { status: 'QUEUED' } },
      { value: 600, dimensions: { status: 'THROTTLED' } },
    ]);
    // lab-a's launch waits for its own run, not for the launcher: the oldest startable is B1,
    // 1,200 s against 2 launches at 1/s plus the 900 s margin.
    expect(telemetry.get(METRICS.launchesOverdue)).toBe(1_200 - (2 + 900));
    expect(result.waiting?.heldTeams).toEqual(['lab-a']);
    expect(telemetry.get(METRICS.reconcilerErrors)).toBe(0);
  });
});
