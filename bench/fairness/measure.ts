import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { RUN_TAGS } from '../../domain/run-request.js';
import type { LaunchOrder } from '../../domain/scheduling/fair-share.js';
import { makeBatchRepository } from '../../functions/adapters/batch-repository.js';
import { makeDocumentClient } from '../../functions/adapters/dependencies.js';
import { makeEntities } from '../../functions/adapters/entities.js';
import { makeLaunchRepository } from '../../functions/adapters/launch-repository.js';
import { type LocalStack, startLocalStack } from '../../infra/local/stack.js';
import { finishedAndNotified, listBatchLaunches } from '../../infra/local/wait.js';
import { BENCH_WORKFLOW_ID, simulatedWorkflow } from '../polling-baseline.js';
import { fmt } from '../stats.js';
import { instrumentLauncher } from './diagnose.js';
import type { BatchRecord, LaunchRecord, ModeRecord, RunRecord } from './figures.js';
import { type PlannedBatch, planBatches, prepare, uploadOnSchedule } from './scenario.js';
import type { Settings } from './settings.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// One launch order on a fresh embedded runtime: the three uploads, every launch started and its
// run finished, then the engine's runs and the table's launch and batch items, as they are.

/** Epoch milliseconds with sub-millisecond precision (comparable with the engine's Date times). */
export const now = () => performance.timeOrigin + performance.now();
export const progress = (line: string) => process.stderr.write(`${line}\n`);

export async function measureMode(settings: Settings, mode: LaunchOrder): Promise<ModeRecord> {
  const stateDir = await mkdtemp(join(tmpdir(), 'gwm-fairness-'));
  let startRunCalls = 0;
  let stack: LocalStack | undefined;
  // Stopped from outside (Ctrl-C, the parent's guard): no DynamoDB Local or state folder left behind.
  const stopOnSignal = () => {
    void (stack?.stop() ?? Promise.resolve())
      .then(() => rm(stateDir, { recursive: true, force: true }))
      .finally(() => process.exit(130));
  };
  process.once('SIGTERM', stopOnSignal);
  process.once('SIGINT', stopOnSignal);
  const startedAt = now();
  try {
    stack = await startLocalStack({
      stateDir,
      persist: false,
      writeEndpointsFile: false,
      dynamoTuning: 'throughput',
      workflows: () => ({ [BENCH_WORKFLOW_ID]: simulatedWorkflow(settings) }),
      profiles: [],
      reconcileEveryMs: 0,
      settings: {
        STARTRUN_RATE_PER_SECOND: String(settings.rate),
        STARTRUN_BURST: String(settings.burst),
        LAUNCH_ORDER: mode,
      },
      engineStartRunRatePerSecond: settings.engineRate,
      log: (level, message, details) => {
        if (level !== 'info')
          progress(`stack ${level}: ${message} ${details ? JSON.stringify(details) : ''}`);
      },
      onEngineRequest: (operation) => {
        if (operation === 'StartRun') startRunCalls += 1;
      },
    });
    const running = stack;
    const launcherTimings = settings.diagnose ? instrumentLauncher(running, now) : undefined;
    const batches = planBatches(settings, running.endpoints);
    await prepare(running, batches);
    startRunCalls = 0;

    // The bench reads the table through a client of its own, so its reads are not gwm's.
    const observerClient = new DynamoDBClient({
      endpoint: running.endpoints.dynamodbEndpoint,
      region: running.endpoints.region,
      credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
    });
    const entities = makeEntities(makeDocumentClient(observerClient), running.endpoints.tableName);
    const observer = { batches: makeBatchRepository(entities), launches: makeLaunchRepository(entities) };
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
      observerClient.destroy();
    }
  } finally {
    await stack?.stop();
    await rm(stateDir, { recursive: true, force: true });
    process.off('SIGTERM', stopOnSignal);
    process.off('SIGINT', stopOnSignal);
  }
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
