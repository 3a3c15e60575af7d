import { setTimeout as sleep } from 'node:timers/promises';
import { RUN_TAGS } from '../../domain/run-request.js';
import type { LaunchOrder } from '../../domain/scheduling/fair-share.js';
import type { LocalStack } from '../../infra/local/stack.js';
import { finishedAndNotified, listBatchLaunches } from '../../infra/local/wait.js';
import { now, observeTable, progress, withBenchStack } from '../harness.js';
import { instrumentLauncher } from '../launcher-timings.js';
import { BENCH_WORKFLOW_ID, simulatedWorkflow } from '../simulated-workflow.js';
import { fmt } from '../stats.js';
import type { BatchRecord, LaunchRecord, ModeRecord, RunRecord } from './figures.js';
import { type PlannedBatch, planBatches, prepare, uploadOnSchedule } from './scenario.js';
import type { Settings } from './settings.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// One launch order on a fresh embedded runtime: the three uploads, every launch started and its
// run finished, then the engine's runs and the table's launch and batch items, as they are.

export function measureMode(settings: Settings, mode: LaunchOrder): Promise<ModeRecord> {
  let startRunCalls = 0;
  const startedAt = now();
  const options = {
    workflows: () => ({ [BENCH_WORKFLOW_ID]: simulatedWorkflow(settings) }),
    settings: { LAUNCH_ORDER: mode },
    onEngineRequest: (operation: string) => {
      if (operation === 'StartRun') startRunCalls += 1;
    },
  };
  return withBenchStack('gwm-fairness', settings, options, async (running) => {
    const launcherTimings = settings.diagnose ? instrumentLauncher(running, now) : undefined;
    const batches = planBatches(settings, running.endpoints);
    await prepare(running, batches);
    startRunCalls = 0;

    const observer = observeTable(running);
    try {
      const deadline = Date.now() + settings.timeoutMs;
      const uploads = uploadOnSchedule(running, batches, now, (batch) =>
        progress(`${mode}: team ${batch.team.name} uploads ${fmt(batch.sampleIds.length)} samples`),
      );
      const uploadedAt = await uploads;
      const origin = uploadedAt.a;
      let finished = false;
      let lastProgress = 0;
      for (;;) {
        const states = await Promise.all(batches.map((batch) => observer.batches.get(batch.batchId)));
        finished = states.every((batch) => finishedAndNotified({ batch, launches: [] }));
        if (finished || Date.now() > deadline) break;
        if (now() - lastProgress >= 10_000) {
          lastProgress = now();
          progress(`${mode} ${fmt((now() - origin) / 1000)} s: ${startedLine(running, batches)}`);
        }
        await sleep(1_000);
      }
      progress(`${mode} ${fmt((now() - origin) / 1000)} s: ${startedLine(running, batches)}`);
      if (!finished) progress(`${mode}: not every batch finished within the timeout; counting what there is`);
      // Deliveries still in flight (late events, duplicates) land before anything is counted.
      const settleStartedAt = now();
      const settled = await settle(running, deadline + 120_000);
      const settleMs = now() - settleStartedAt;

      const runs: RunRecord[] = running.engine.runs().map((run) => ({
        runId: run.id,
        launchId: run.tags[RUN_TAGS.launchId],
        attempt: Number(run.tags[RUN_TAGS.attempt]),
        createdAt: run.creationTime.getTime(),
      }));
      const launches: LaunchRecord[] = [];
      const records: BatchRecord[] = [];
      for (const batch of batches) {
        const item = await observer.batches.get(batch.batchId);
        for (const launch of await listBatchLaunches(observer.launches, batch.batchId)) {
          launches.push({
            launchId: launch.launchId,
            attempt: launch.attempt,
            status: launch.status,
            runId: launch.runId,
          });
        }
        records.push({
          key: batch.key,
          team: batch.team.name,
          weight: batch.team.weight,
          priority: batch.priority,
          batchId: batch.batchId,
          launchIds: batch.launchIds,
          uploadedAt: uploadedAt[batch.key],
          createdAt: Date.parse(item?.createdAt ?? ''),
          registeredAt: Date.parse(item?.registeredAt ?? ''),
          status: item?.status ?? 'not registered',
        });
      }
      return {
        mode,
        rate: settings.rate,
        batches: records,
        runs,
        launches,
        startRunCalls,
        finished,
        settled,
        settleMs,
        wallMs: now() - startedAt,
        launcherTimings,
      };
    } finally {
      observer.close();
    }
  });
}

/**
 * Waits until the stream consumers have handled every record so far. The stack gives up after a
 * minute each time; a launcher that fell behind on the runs' status records may need longer.
 */
async function settle(stack: LocalStack, until: number): Promise<boolean> {
  for (;;) {
    try {
      await stack.settle({ costs: false });
      return true;
    } catch (error) {
      if ((error as { code?: string }).code !== 'SETTLE_TIMEOUT' || Date.now() > until) {
        progress(`not settled: ${(error as Error).message}`);
        return false;
      }
      progress(`still settling: ${(error as Error).message}`);
    }
  }
}

/** Runs started so far, per team (from the engine's runs). */
function startedLine(stack: LocalStack, batches: readonly PlannedBatch[]): string {
  const counts = new Map<string, number>();
  for (const run of stack.engine.runs()) {
    const batchId = run.tags[RUN_TAGS.batchId] ?? '';
    counts.set(batchId, (counts.get(batchId) ?? 0) + 1);
  }
  return batches
    .map(
      (batch) =>
        `${batch.team.name} ${fmt(counts.get(batch.batchId) ?? 0)}/${fmt(batch.sampleIds.length)} started`,
    )
    .join(', ');
}
