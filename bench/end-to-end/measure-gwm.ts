import { setTimeout as sleep } from 'node:timers/promises';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { type Batch, batchIdFor, sha256Hex } from '../../domain/batch.js';
import { forEachConcurrently } from '../../domain/concurrency.js';
import { RUN_TAGS } from '../../domain/run-request.js';
import { loadConfig } from '../../functions/adapters/config.js';
import { type EngineOperation, engineCallCounts } from '../../infra/local/engine/index.js';
import { readOutbox } from '../../infra/local/notifications/outbox-notifier.js';
import type { LocalStackOptions } from '../../infra/local/stack.js';
import { finishedAndNotified, waitForBatch } from '../../infra/local/wait.js';
import { now, observeTable, progress, withBenchStack } from '../harness.js';
import { instrumentLauncher } from '../launcher-timings.js';
import {
  BENCH_ROLE_ARN,
  BENCH_WORKFLOW_ID,
  planFor,
  sampleIds,
  simulatedWorkflow,
  TERMINAL_STATUSES,
} from '../simulated-workflow.js';
import { fmt, fmtSeconds, increment, type Summary, summarize } from '../stats.js';
import type { GwmFigures } from './figures.js';
import type { Settings } from './settings.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// gwm's contender: a batch through the embedded runtime, with every figure the report prints.

export async function measureGwm(settings: Settings): Promise<GwmFigures> {
  const ids = sampleIds(settings.samples);
  const plans = new Map(ids.map((id) => [id, planFor(settings, id)]));
  const engineCalls = engineCallCounts();
  const dynamoCalls: Record<string, number> = {};
  const itemsWritten: Record<string, number> = {};
  const dynamoLatency: Record<string, number[]> = {};
  const startRunCalls: number[] = [];
  const emittedAt = new Map<string, { at: number; status: string }>();
  const latencies: number[] = [];
  const latencyByStatus: Record<string, number[]> = {};
  const outcomes: Record<string, number> = {};
  let emitted = 0;
  let handled = 0;
  let accepted = 0;
  let terminalEmitted = 0;
  let lastTerminalAt = 0;

  const startedAt = now();
  const options: Omit<LocalStackOptions, 'stateDir'> = {
    workflows: () => ({ [BENCH_WORKFLOW_ID]: simulatedWorkflow(settings) }),
    onEngineRequest: (operation) => {
      engineCalls[operation] += 1;
      if (operation === 'StartRun') startRunCalls.push(now());
    },
    onDynamoRequest: (command) => increment(dynamoCalls, command.replace(/Command$/, '')),
    onRunEvent: (event) => {
      emitted += 1;
      if (event.detail.status === 'PENDING') accepted += 1;
      if (TERMINAL_STATUSES.has(event.detail.status)) {
        terminalEmitted += 1;
        lastTerminalAt = now();
      }
      emittedAt.set(event.id, { at: now(), status: event.detail.status });
    },
    onRunEventHandled: (event, outcome) => {
      const handledAt = now();
      handled += 1;
      increment(outcomes, outcome.kind === 'ignored' ? `ignored:${outcome.reason}` : outcome.kind);
      const start = emittedAt.get(event.id);
      if (!start) return;
      const ms = handledAt - start.at;
      latencies.push(ms);
      const list = latencyByStatus[start.status] ?? [];
      list.push(ms);
      latencyByStatus[start.status] = list;
    },
  };
  return withBenchStack('gwm-bench', settings, options, async (running) => {
    const launcherTimings = settings.diagnose ? instrumentLauncher(running, now) : undefined;
    // Items per batch write, beside the stack's own count of requests by command.
    running.dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        const sentAt = now();
        const input = args.input as {
          RequestItems?: Record<string, unknown>;
          TransactItems?: unknown[];
        };
        // BatchWriteItem lists requests per table; BatchGetItem has an object ({ Keys }) there.
        for (const requests of Object.values(input.RequestItems ?? {})) {
          if (Array.isArray(requests)) increment(itemsWritten, 'BatchWriteItem', requests.length);
        }
        if (Array.isArray(input.TransactItems) && input.TransactItems.some((item) => hasWrite(item))) {
          increment(itemsWritten, 'TransactWriteItems', input.TransactItems.length);
        }
        try {
          return await next(args);
        } finally {
          const command = (context.commandName ?? 'unknown').replace(/Command$/, '');
          const list = dynamoLatency[command] ?? [];
          list.push(now() - sentAt);
          dynamoLatency[command] = list;
        }
      },
      { step: 'initialize', name: 'benchItemCounter' },
    );

    const observer = observeTable(running);
    try {
      const { manifestBucket, inputBucket, outputBucket } = running.endpoints;
      const text = manifest(ids, inputBucket, outputBucket);
      const key = `bench/e2e-${settings.samples}.json`;
      const batchId = batchIdFor(manifestBucket, key, sha256Hex(text));
      // The inputs exist before the upload, as a lab's do: intake checks each one in S3.
      await forEachConcurrently(ids, 16, async (id) => {
        for (const read of inputKeys(id)) {
          await running.s3.send(new PutObjectCommand({ Bucket: inputBucket, Key: read, Body: `@${id}\n` }));
        }
      });
      // Only what the batch causes is counted: table creation and start-up requests are not.
      for (const name of Object.keys(dynamoCalls)) delete dynamoCalls[name];
      for (const name of Object.keys(engineCalls)) engineCalls[name as EngineOperation] = 0;
      for (const name of Object.keys(dynamoLatency)) delete dynamoLatency[name];

      const deadline = Date.now() + settings.timeoutMs;
      const elu = performance.eventLoopUtilization();
      const cpu = process.cpuUsage();
      const uploadAt = now();
      await running.s3.send(new PutObjectCommand({ Bucket: manifestBucket, Key: key, Body: text }));

      let lastProgress = now();
      let status = 'not registered';
      const report = () => {
        progress(
          `gwm ${fmt((now() - uploadAt) / 1000)} s: batch ${status}, StartRun accepted ${fmt(accepted)}/${fmt(ids.length)} (calls ${fmt(engineCalls.StartRun)}), runs finished ${fmt(terminalEmitted)}, events handled ${fmt(handled)}/${fmt(emitted)}`,
        );
        lastProgress = now();
      };
      // Fine-grained until ACTIVE (the registration figure), then coarse: the polling must not
      // compete with the stack for the CPU it measures.
      let activeAt = Number.NaN;
      let batch: Batch | undefined;
      for (;;) {
        batch = await observer.batches.get(batchId);
        status = batch?.status ?? 'not registered';
        if (batch && batch.status !== 'REGISTERING' && batch.status !== 'REGISTERED') {
          activeAt = now();
          break;
        }
        if (Date.now() > deadline)
          throw new Error(`batch ${batchId} not ACTIVE within the timeout (${status})`);
        await sleep(50);
      }
      if (batch?.status === 'REJECTED')
        throw new Error(`the bench manifest was rejected: ${JSON.stringify(batch.problems)}`);
      report();
      let doneAt = Number.NaN;
      for (;;) {
        batch = await observer.batches.get(batchId);
        status = batch?.status ?? 'gone';
        if (finishedAndNotified({ batch, launches: [] })) {
          doneAt = now();
          break;
        }
        if (Date.now() > deadline) {
          report();
          throw new Error(
            `batch ${batchId} did not finish within ${fmtSeconds(settings.timeoutMs)} (${status})`,
          );
        }
        if (now() - lastProgress >= 5_000) report();
        await sleep(250);
      }
      report();
      const busy = performance.eventLoopUtilization(elu).utilization;
      const cpuUsed = process.cpuUsage(cpu);
      const final = await waitForBatch(observer, batchId, {
        timeoutMs: Math.max(1_000, deadline - Date.now()),
      });
      // Deliveries still in flight (duplicates, late non-terminal events) finish before counting.
      // Cost collection is not waited for: nothing here counts it, and paced under the engine's
      // read quota it takes minutes for a thousand runs.
      await running.settle({ costs: false });
      const wallMs = now() - startedAt;

      // Runs, by the launch they were started for.
      const runs = running.engine.runs();
      const expected = new Map(ids.map((id) => [`${batchId}/${id}`, id]));
      const runsByLaunch = new Map<string, typeof runs>();
      let strayRuns = 0;
      for (const run of runs) {
        const launchId = run.tags[RUN_TAGS.launchId];
        if (!launchId || !expected.has(launchId)) {
          strayRuns += 1;
          continue;
        }
        runsByLaunch.set(launchId, [...(runsByLaunch.get(launchId) ?? []), run]);
      }
      const launchesById = new Map(final.launches.map((launch) => [launch.sampleId, launch]));
      let lost = 0;
      let duplicated = 0;
      let wrongOutcome = 0;
      for (const [launchId, sampleId] of expected) {
        const found = runsByLaunch.get(launchId) ?? [];
        if (found.length === 0) lost += 1;
        if (found.length > 1) duplicated += 1;
        const planned = plans.get(sampleId)?.status;
        const launch = launchesById.get(sampleId);
        if (launch?.status !== planned || found.some((run) => run.status !== planned)) wrongOutcome += 1;
      }
      const creation = runs.map((run) => run.creationTime.getTime()).sort((a, b) => a - b);
      const first = creation[0] ?? Number.NaN;
      const last = creation.at(-1) ?? Number.NaN;
      let maxInAnySecond = 0;
      for (let start = 0, end = 0; end < creation.length; end++) {
        while ((creation[end] ?? 0) - (creation[start] ?? 0) >= 1000) start++;
        maxInAnySecond = Math.max(maxInAnySecond, end - start + 1);
      }

      const outbox = await readOutbox(running.endpoints.outboxDir);
      const aboutBatch = (line: unknown) => JSON.stringify(line).includes(batchId);
      const config = loadConfig({
        TABLE_NAME: 'bench',
        ALLOWED_READ_PREFIXES: 's3://bench/',
        ALLOWED_WRITE_PREFIXES: 's3://bench/',
        OMICS_ROLE_ARN: BENCH_ROLE_ARN,
      });
      const thresholdMinutes = config.RECONCILE_AFTER_MINUTES_RUNNING;
      const byStatus: Record<string, Summary> = {};
      for (const [name, list] of Object.entries(latencyByStatus)) byStatus[name] = summarize(list);
      return {
        samples: ids.length,
        batchId,
        batchStatus: final.batch?.status ?? 'missing',
        uploadToActiveMs: activeAt - uploadAt,
        uploadToRegisteringMs: Date.parse(final.batch?.createdAt ?? '') - uploadAt,
        registeringMs: Date.parse(final.batch?.registeredAt ?? '') - Date.parse(final.batch?.createdAt ?? ''),
        uploadToFirstRunMs: first - uploadAt,
        uploadToDoneMs: doneAt - uploadAt,
        lastRunToDoneMs: doneAt - lastTerminalAt,
        registrationItemsPerSecond: ids.length / ((activeAt - uploadAt) / 1000),
        startRun: {
          accepted: runs.length,
          calls: engineCalls.StartRun,
          throttled: engineCalls.StartRun - runs.length,
          achievedRate: creation.length > 1 ? (creation.length - 1) / ((last - first) / 1000) : Number.NaN,
          spanMs: last - first,
          maxInAnySecond,
          gapMs: summarize(startRunCalls.slice(1).map((at, index) => at - (startRunCalls[index] ?? at))),
        },
        checks: {
          lost,
          duplicated,
          strayRuns,
          wrongOutcome,
          expectedFailed: [...plans.values()].filter((plan) => plan.status === 'FAILED').length,
          counts: final.batch?.counts,
          snsMessages: outbox.sns.filter(aboutBatch).length,
          eventBridgeEntries: outbox.events.filter(aboutBatch).length,
        },
        latency: { all: summarize(latencies), byStatus, emitted, handled, outcomes },
        engineCalls: { ...engineCalls },
        notifications: { snsPublish: outbox.sns.length, putEventsEntries: outbox.events.length },
        dynamo: {
          byCommand: { ...dynamoCalls },
          itemsWritten: { ...itemsWritten },
          latencyMs: Object.fromEntries(
            Object.entries(dynamoLatency).map(([command, list]) => [command, summarize(list)]),
          ),
        },
        reconcilerProjection: {
          thresholdMinutes,
          launchesOverThreshold: [...plans.values()].filter(
            (plan) => (plan.runningMs / 1000) * settings.compression > thresholdMinutes * 60,
          ).length,
        },
        gwmProcess: {
          eventLoopUtilization: busy,
          cpuSeconds: (cpuUsed.user + cpuUsed.system) / 1e6,
        },
        launcherTimings,
        wallMs,
      };
    } finally {
      observer.close();
    }
  });
}

function hasWrite(item: unknown): boolean {
  return (
    typeof item === 'object' && item !== null && ['Put', 'Update', 'Delete'].some((kind) => kind in item)
  );
}

/** The native manifest: raw workflow id, no QC; the `sample` parameter picks the simulated plan. */
function inputKeys(id: string): [string, string] {
  return [`bench/${id}_L001_R1_001.fastq.gz`, `bench/${id}_L001_R2_001.fastq.gz`];
}

function manifest(ids: string[], inputBucket: string, outputBucket: string): string {
  return JSON.stringify({
    schemaVersion: 'gwm.manifest/v1',
    batch: { name: 'BENCH-E2E' },
    defaults: {
      workflow: { id: BENCH_WORKFLOW_ID, type: 'PRIVATE' },
      outputUri: `s3://${outputBucket}/bench/`,
      storageType: 'DYNAMIC',
      tags: { project: 'bench' },
    },
    samples: ids.map((id) => ({
      id,
      inputs: {
        fastq1: `s3://${inputBucket}/${inputKeys(id)[0]}`,
        fastq2: `s3://${inputBucket}/${inputKeys(id)[1]}`,
      },
      parameters: { sample: id },
    })),
  });
}
