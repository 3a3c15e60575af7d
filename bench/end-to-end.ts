/**
 * End to end on the embedded runtime: a whole batch (1,000 samples by default) uploaded as a
 * manifest, registered, launched at the paced StartRun rate, tracked from the engine's run status
 * events to the end, and notified; then the same batch driven by the polling baseline
 * (bench/polling-baseline.ts). Runs are simulated by the local engine on a compressed timetable
 * (`--compression` simulated seconds per real second), so six-hour runs take seconds.
 * Each contender runs in a child process of its own (a fresh stack, a fresh engine); with
 * `--rounds` above 1 the figures judged are the medians of the rounds.
 * Usage: npm run bench [-- --samples 1000 --hours 6 --compression 720 --rate 20 --json]
 * See docs/benchmark.md for what each figure means.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { type Batch, batchIdFor, sha256Hex } from '../domain/batch.js';
import { forEachConcurrently } from '../domain/concurrency.js';
import { RUN_TAGS } from '../domain/run-request.js';
import { makeBatchRepository } from '../functions/adapters/batch-repository.js';
import { loadConfig } from '../functions/adapters/config.js';
import { makeDocumentClient } from '../functions/adapters/dependencies.js';
import { makeEntities } from '../functions/adapters/entities.js';
import { makeLaunchRepository } from '../functions/adapters/launch-repository.js';
import type { EngineOperation } from '../infra/local/engine/index.js';
import { readOutbox } from '../infra/local/outbox-notifier.js';
import { type LocalStack, startLocalStack } from '../infra/local/stack.js';
import { finishedAndNotified, waitForBatch } from '../infra/local/wait.js';
import {
  type BaselineFigures,
  BENCH_ROLE_ARN,
  BENCH_WORKFLOW_ID,
  planFor,
  runPollingBaseline,
  type SimulationSettings,
  sampleIds,
  simulatedWorkflow,
  TERMINAL_STATUSES,
} from './polling-baseline.js';
import {
  fmt,
  fmtMs,
  fmtSeconds,
  increment,
  median,
  type Summary,
  summarize,
  sumValues,
  table,
} from './stats.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '1000' },
    hours: { type: 'string', default: '6' },
    compression: { type: 'string', default: '720' },
    rate: { type: 'string', default: '20' },
    burst: { type: 'string', default: '2' },
    'engine-rate': { type: 'string' },
    'fail-rate': { type: 'string', default: '0.01' },
    seed: { type: 'string', default: 'gwm-bench' },
    rounds: { type: 'string', default: '1' },
    'timeout-s': { type: 'string' },
    'baseline-workers': { type: 'string', default: '2' },
    'skip-baseline': { type: 'boolean', default: false },
    diagnose: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

interface Settings extends SimulationSettings {
  samples: number;
  rate: number;
  burst: number;
  engineRate: number;
  rounds: number;
  timeoutMs: number;
  baselineWorkers: number;
  skipBaseline: boolean;
  diagnose: boolean;
}

function readSettings(): Settings {
  const number = (name: string, text: string | undefined, check: (n: number) => boolean) => {
    const value = Number(text);
    if (text === undefined || !Number.isFinite(value) || !check(value)) {
      throw new Error(`--${name} ${text} is not valid`);
    }
    return value;
  };
  const positive = (n: number) => n > 0;
  const samples = number('samples', values.samples, (n) => Number.isInteger(n) && n > 0);
  const hours = number('hours', values.hours, positive);
  const compression = number('compression', values.compression, positive);
  const rate = number('rate', values.rate, positive);
  const burst = number('burst', values.burst, (n) => Number.isInteger(n) && n > 0);
  // Above gwm's pace by the bucket's burst and a margin: a token bucket lets through at most
  // rate + burst calls in any second, and the engine counts a rolling second.
  const engineRate = number(
    'engine-rate',
    values['engine-rate'] ?? String(Math.ceil(rate * 1.1) + burst + 1),
    positive,
  );
  // Launching at the paced rate, then the longest run (STARTING up to 15 min, RUNNING + 10 %), three times over.
  const expectedS = samples / rate + (hours * 3600 * 1.1 + 900) / compression;
  const timeoutMs =
    number('timeout-s', values['timeout-s'] ?? String(Math.ceil(60 + 3 * expectedS)), positive) * 1000;
  return {
    samples,
    hours,
    compression,
    rate,
    burst,
    engineRate,
    failRate: number('fail-rate', values['fail-rate'], (n) => n >= 0 && n <= 1),
    seed: values.seed ?? 'gwm-bench',
    rounds: number('rounds', values.rounds, (n) => Number.isInteger(n) && n > 0),
    timeoutMs,
    baselineWorkers: number(
      'baseline-workers',
      values['baseline-workers'],
      (n) => Number.isInteger(n) && n > 0,
    ),
    skipBaseline: values['skip-baseline'] ?? false,
    diagnose: values.diagnose ?? false,
  };
}

/** Epoch milliseconds with sub-millisecond precision (comparable with the engine's Date times). */
const now = () => performance.timeOrigin + performance.now();
const progress = (line: string) => process.stderr.write(`${line}\n`);

const WRITE_COMMANDS = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];
const READ_COMMANDS = ['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems'];

interface GwmFigures {
  samples: number;
  batchId: string;
  batchStatus: string;
  /** Upload (PutObject sent) -> the batch item read back ACTIVE (polled every 50 ms). */
  uploadToActiveMs: number;
  /** Upload -> registration began (batch createdAt): S3 notification, manifest read and parsed. */
  uploadToRegisteringMs: number;
  /** Batch createdAt -> registeredAt: inputs checked, every launch item written, the batch flipped. */
  registeringMs: number;
  /** Upload -> the first run accepted by the engine. */
  uploadToFirstRunMs: number;
  /** Upload -> the batch finished and its notification sent. */
  uploadToDoneMs: number;
  /** The last run's terminal event -> the batch finished and notified (polled every 250 ms). */
  lastRunToDoneMs: number;
  registrationItemsPerSecond: number;
  startRun: {
    accepted: number;
    calls: number;
    throttled: number;
    /** (accepted - 1) / (last accepted - first accepted). */
    achievedRate: number;
    spanMs: number;
    /** Most runs accepted within any one second (the engine's quota is per rolling second). */
    maxInAnySecond: number;
    /** Between consecutive StartRun calls (1000 / rate when the launcher keeps up with the bucket). */
    gapMs: Summary;
  };
  checks: {
    lost: number;
    duplicated: number;
    /** Runs whose gwm:launch-id tag names no sample of the batch. */
    strayRuns: number;
    /** Samples whose launch or run did not end as simulated. */
    wrongOutcome: number;
    expectedFailed: number;
    counts: Batch['counts'] | undefined;
    /** Notifications about this batch in the outbox (SNS + EventBridge). */
    snsMessages: number;
    eventBridgeEntries: number;
  };
  latency: {
    all: Summary;
    byStatus: Record<string, Summary>;
    emitted: number;
    handled: number;
    outcomes: Record<string, number>;
  };
  engineCalls: Record<EngineOperation, number>;
  notifications: { snsPublish: number; putEventsEntries: number };
  dynamo: {
    byCommand: Record<string, number>;
    itemsWritten: Record<string, number>;
    /** Request sent -> answer handled, as the handlers wait for it (their event loop included). */
    latencyMs: Record<string, Summary>;
  };
  /** Launches whose RUNNING phase outlasts the reconciler's RUNNING threshold (it is off here). */
  reconcilerProjection: { thresholdMinutes: number; launchesOverThreshold: number };
  /**
   * The process running gwm's handlers (not DynamoDB Local's JVM), upload to done: how busy its
   * event loop was (0..1; near 1, events and launches wait for the CPU) and the CPU it used.
   */
  gwmProcess: { eventLoopUtilization: number; cpuSeconds: number };
  /** With --diagnose: the launcher's calls on its ports, by method (calls, total ms, conflicts). */
  launcherTimings?: Record<string, { calls: number; ms: number; conflicts: number }>;
  wallMs: number;
}

/** The gwm half: one fresh local stack, one batch. */
async function measureGwm(settings: Settings): Promise<GwmFigures> {
  const stateDir = await mkdtemp(join(tmpdir(), 'gwm-bench-'));
  const ids = sampleIds(settings.samples);
  const plans = new Map(ids.map((id) => [id, planFor(settings, id)]));
  const engineCalls: Record<EngineOperation, number> = {
    StartRun: 0,
    GetRun: 0,
    ListRuns: 0,
    CancelRun: 0,
    ListRunTasks: 0,
    GetRunTask: 0,
  };
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
      },
      engineStartRunRatePerSecond: settings.engineRate,
      log: (level, message, details) => {
        if (level !== 'info')
          progress(`stack ${level}: ${message} ${details ? JSON.stringify(details) : ''}`);
      },
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
    });
    const running = stack;
    const launcherTimings = settings.diagnose ? instrumentLauncher(running) : undefined;
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

    // The bench reads the table through a client of its own, so its polling is not counted as gwm's.
    const observerClient = new DynamoDBClient({
      endpoint: running.endpoints.dynamodbEndpoint,
      region: running.endpoints.region,
      credentials: { accessKeyId: 'gwmlocal', secretAccessKey: 'gwmlocal' },
    });
    const entities = makeEntities(makeDocumentClient(observerClient), running.endpoints.tableName);
    const observer = { batches: makeBatchRepository(entities), launches: makeLaunchRepository(entities) };

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
 * Times the launcher's calls on its ports (repository, engine, pacer) by wrapping them where the
 * launcher reads them: the tracker and the aggregator keep their own, unwrapped references.
 */
function instrumentLauncher(
  stack: LocalStack,
): Record<string, { calls: number; ms: number; conflicts: number }> {
  const timings: Record<string, { calls: number; ms: number; conflicts: number }> = {};
  const launcher = stack.deps.launcher as unknown as Record<string, unknown>;
  for (const port of ['launches', 'engine', 'pacer']) {
    const target = launcher[port] as Record<string, unknown>;
    launcher[port] = new Proxy(target, {
      get(object, property, receiver) {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const startedAt = now();
          let result: unknown;
          try {
            result = await value.apply(object, args);
            return result;
          } finally {
            const key = `${port}.${String(property)}`;
            const entry = timings[key] ?? { calls: 0, ms: 0, conflicts: 0 };
            timings[key] = entry;
            entry.calls += 1;
            entry.ms += now() - startedAt;
            if (result === 'conflict') entry.conflicts += 1;
          }
        };
      },
    });
  }
  return timings;
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
    batch: { name: 'BENCH-E2E', team: 'bench' },
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

// ---------------------------------------------------------------------------------------------
// The parent: runs each contender in a child process, prints and judges the figures.

type ChildResult = { kind: 'gwm'; figures: GwmFigures } | { kind: 'baseline'; figures: BaselineFigures };

function inChild(kind: 'gwm' | 'baseline', settings: Settings): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(
      fileURLToPath(import.meta.url),
      [...process.argv.slice(2), '--child', kind],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    let result: ChildResult | undefined;
    // The child has its own deadline and stops its stack; this one is for a child that hangs.
    const guard = setTimeout(() => {
      progress(`${kind}: no answer ${fmtSeconds(settings.timeoutMs + 60_000)} after it started; stopping it`);
      child.kill('SIGTERM');
    }, settings.timeoutMs + 60_000);
    child.once('message', (message) => {
      result = message as ChildResult;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(guard);
      if (code === 0 && result) resolve(result);
      else reject(new Error(`the ${kind} run failed (exit code ${code})`));
    });
  });
}

async function child(kind: string) {
  const settings = readSettings();
  const result: ChildResult =
    kind === 'gwm'
      ? { kind: 'gwm', figures: await measureGwm(settings) }
      : {
          kind: 'baseline',
          figures: await runPollingBaseline({
            ...settings,
            engineStartRunRatePerSecond: settings.engineRate,
            workers: settings.baselineWorkers,
            timeoutMs: settings.timeoutMs,
            progress,
          }),
        };
  const send = process.send?.bind(process);
  // Run by hand (to profile one contender), the figures go to stdout.
  if (!send) return console.log(JSON.stringify(result, null, 2));
  await new Promise<void>((resolve, reject) =>
    send(result, undefined, undefined, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

interface Round {
  gwm: GwmFigures;
  baseline?: BaselineFigures;
  gwmWallMs: number;
  baselineWallMs?: number;
}

interface Target {
  name: string;
  value: string;
  target: string;
  pass: boolean;
}

const perSample = (count: number, samples: number) => count / samples;

function gwmCallsPerSample(figures: GwmFigures): number {
  return (
    perSample(sumValues(figures.engineCalls), figures.samples) +
    perSample(figures.notifications.snsPublish + figures.notifications.putEventsEntries, figures.samples)
  );
}

function baselineCallsPerSample(figures: BaselineFigures): number {
  return perSample(sumValues(figures.calls) + figures.notifications, figures.samples);
}

function printRound(index: number, round: Round, settings: Settings) {
  const { gwm, baseline } = round;
  const n = gwm.samples;
  const out: string[] = [];
  out.push('');
  out.push(
    `== round ${index}: gwm ${fmtSeconds(round.gwmWallMs)}${round.baselineWallMs ? `, baseline ${fmtSeconds(round.baselineWallMs)}` : ''} wall time ==`,
  );
  out.push('');
  out.push('gwm, embedded runtime');
  out.push(
    table([
      [
        'batch',
        `${gwm.batchStatus} (${fmt(gwm.checks.counts?.succeeded ?? 0)} succeeded, ${fmt(gwm.checks.counts?.failed ?? 0)} failed; ${fmt(gwm.checks.expectedFailed)} failures simulated)`,
      ],
      [
        'upload -> batch ACTIVE',
        `${fmtMs(gwm.uploadToActiveMs)}  = ${fmt(gwm.registrationItemsPerSecond)} items/s registered, every launch launchable`,
      ],
      [
        '  of which: S3 event, manifest read / inputs checked, items written / after the flip (release pass)',
        `${fmtMs(gwm.uploadToRegisteringMs)} / ${fmtMs(gwm.registeringMs)} / ${fmtMs(gwm.uploadToActiveMs - gwm.uploadToRegisteringMs - gwm.registeringMs)}`,
      ],
      ['upload -> first run accepted', fmtMs(gwm.uploadToFirstRunMs)],
      ['upload -> batch done and notified', fmtSeconds(gwm.uploadToDoneMs)],
      ['last run finished -> batch done and notified', fmtMs(gwm.lastRunToDoneMs)],
      [
        'gwm process, upload -> done',
        `event loop ${fmt(100 * gwm.gwmProcess.eventLoopUtilization)} % busy, ${fmt(gwm.gwmProcess.cpuSeconds, 1)} CPU s (DynamoDB Local not included)`,
      ],
    ]),
  );
  out.push('');
  out.push('StartRun pacing (first to last accepted StartRun)');
  out.push(
    table([
      [
        'achieved / configured',
        `${gwm.startRun.achievedRate.toFixed(2)} / ${settings.rate} per s = ${fmt((100 * gwm.startRun.achievedRate) / settings.rate, 1)} %`,
      ],
      [
        'accepted runs / StartRun calls',
        `${fmt(gwm.startRun.accepted)} / ${fmt(gwm.startRun.calls)} (${fmt(gwm.startRun.throttled)} throttled by the engine)`,
      ],
      [
        'gap between StartRun calls (p50 / p90 / max)',
        `${fmtMs(gwm.startRun.gapMs.p50)} / ${fmtMs(gwm.startRun.gapMs.p90)} / ${fmtMs(gwm.startRun.gapMs.max)} (${fmtMs(1000 / settings.rate)} at the configured rate)`,
      ],
      [
        'most accepted in any 1 s',
        `${gwm.startRun.maxInAnySecond} (engine quota ${settings.engineRate}/s, gwm burst ${settings.burst})`,
      ],
      [
        'launches lost / duplicated',
        `${gwm.checks.lost} / ${gwm.checks.duplicated} (stray runs ${gwm.checks.strayRuns})`,
      ],
      ['launches not ending as simulated', String(gwm.checks.wrongOutcome)],
      [
        'notifications about the batch',
        `${gwm.checks.snsMessages} SNS, ${gwm.checks.eventBridgeEntries} EventBridge (1 each expected)`,
      ],
    ]),
  );
  if (gwm.launcherTimings) {
    out.push('');
    out.push('launcher, per launch (--diagnose): time in each call on its ports, sequential per record');
    const rows: string[][] = [['call', 'per launch', 'mean', 'ms per launch', 'conflicts']];
    let totalMs = 0;
    for (const [name, entry] of Object.entries(gwm.launcherTimings)) {
      totalMs += entry.ms;
      rows.push([
        name,
        fmt(entry.calls / gwm.startRun.accepted, 2),
        fmtMs(entry.ms / entry.calls),
        fmt(entry.ms / gwm.startRun.accepted, 1),
        fmt(entry.conflicts),
      ]);
    }
    rows.push(['total', '', '', fmt(totalMs / gwm.startRun.accepted, 1), '']);
    out.push(table(rows));
  }
  out.push('');
  out.push('status latency: engine event emitted -> tracker handled it (and wrote the launch)');
  const latencyRows: string[][] = [['status', 'events', 'p50', 'p90', 'p99', 'max']];
  const row = (name: string, s: Summary) => [
    name,
    fmt(s.count),
    fmtMs(s.p50),
    fmtMs(s.p90),
    fmtMs(s.p99),
    fmtMs(s.max),
  ];
  for (const status of ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'COMPLETED', 'FAILED', 'CANCELLED']) {
    const s = gwm.latency.byStatus[status];
    if (s) latencyRows.push(row(status, s));
  }
  latencyRows.push(row('all', gwm.latency.all));
  out.push(table(latencyRows));
  out.push(
    `  events emitted ${fmt(gwm.latency.emitted)}, handled ${fmt(gwm.latency.handled)}; outcomes: ${Object.entries(
      gwm.latency.outcomes,
    )
      .map(([kind, count]) => `${kind} ${fmt(count)}`)
      .join(', ')}`,
  );
  out.push('');
  out.push('control-plane calls per sample');
  const callRows: string[][] = [['operation', 'calls', 'per sample']];
  for (const [operation, count] of Object.entries(gwm.engineCalls)) {
    callRows.push([`HealthOmics ${operation}`, fmt(count), fmt(perSample(count, n), 3)]);
  }
  callRows.push([
    'SNS Publish',
    fmt(gwm.notifications.snsPublish),
    fmt(perSample(gwm.notifications.snsPublish, n), 4),
  ]);
  callRows.push([
    'EventBridge PutEvents entries',
    fmt(gwm.notifications.putEventsEntries),
    fmt(perSample(gwm.notifications.putEventsEntries, n), 4),
  ]);
  callRows.push(['total', '', fmt(gwmCallsPerSample(gwm), 3)]);
  out.push(table(callRows));
  out.push(
    `  reconciler off here; on its schedule it would GetRun each launch RUNNING longer than ${gwm.reconcilerProjection.thresholdMinutes} min: ${fmt(gwm.reconcilerProjection.launchesOverThreshold)} launches, +${fmt(perSample(gwm.reconcilerProjection.launchesOverThreshold, n), 3)} GetRun per sample (projected, not measured)`,
  );
  out.push('');
  out.push('DynamoDB requests per sample (the handlers\u2019 client; stream reads not included)');
  const writes = WRITE_COMMANDS.filter((command) => gwm.dynamo.byCommand[command]);
  const reads = READ_COMMANDS.filter((command) => gwm.dynamo.byCommand[command]);
  const others = Object.keys(gwm.dynamo.byCommand).filter(
    (command) => !WRITE_COMMANDS.includes(command) && !READ_COMMANDS.includes(command),
  );
  const dynamoRows: string[][] = [['command', 'requests', 'per sample', 'items', 'latency p50', 'p99']];
  const dynamoRow = (command: string) => {
    const count = gwm.dynamo.byCommand[command] ?? 0;
    const items = gwm.dynamo.itemsWritten[command];
    const latency = gwm.dynamo.latencyMs[command];
    return [
      `  ${command}`,
      fmt(count),
      fmt(perSample(count, n), 2),
      items === undefined ? '' : fmt(items),
      latency ? fmtMs(latency.p50) : '',
      latency ? fmtMs(latency.p99) : '',
    ];
  };
  const total = (commands: string[]) =>
    commands.reduce((sum, command) => sum + (gwm.dynamo.byCommand[command] ?? 0), 0);
  dynamoRows.push(['writes', fmt(total(writes)), fmt(perSample(total(writes), n), 2), '']);
  for (const command of writes) dynamoRows.push(dynamoRow(command));
  dynamoRows.push(['reads', fmt(total(reads)), fmt(perSample(total(reads), n), 2), '']);
  for (const command of reads) dynamoRows.push(dynamoRow(command));
  if (others.length > 0) {
    dynamoRows.push(['other', fmt(total(others)), fmt(perSample(total(others), n), 2), '']);
    for (const command of others) dynamoRows.push(dynamoRow(command));
  }
  out.push(table(dynamoRows));

  if (baseline) {
    out.push('');
    out.push('polling baseline (Step Functions sample: StartRun, then Wait 300 s -> GetRun until terminal)');
    out.push(
      table([
        [
          'StartRun calls (throttled)',
          `${fmt(baseline.calls.StartRun)} (${fmt(baseline.throttledStartRuns)}), ${fmt(baseline.startRunRate, 2)} accepted/s`,
        ],
        ['GetRun calls', fmt(baseline.calls.GetRun)],
        ['notifications (1 per FAILED run + 1 at the end)', fmt(baseline.notifications)],
        ['calls per sample', fmt(baselineCallsPerSample(baseline), 2)],
        [
          'detection delay, simulated (mean / p50 / p99)',
          `${fmt(baseline.detectionSimSeconds.mean)} / ${fmt(baseline.detectionSimSeconds.p50)} / ${fmt(baseline.detectionSimSeconds.p99)} s`,
        ],
        [
          'poll interval achieved, simulated (mean / p99)',
          `${fmt(baseline.pollIntervalSimSeconds.mean, 1)} / ${fmt(baseline.pollIntervalSimSeconds.p99, 1)} s (300 s nominal)`,
        ],
        [
          'GetRun round trip; sent late vs its timetable (real, p50 / p99)',
          `${fmtMs(baseline.getRunMs.p50)} / ${fmtMs(baseline.getRunMs.p99)}; ${fmtMs(baseline.pollLateMs.p50)} / ${fmtMs(baseline.pollLateMs.p99)}`,
        ],
        [
          "  this machine's share of the detection delay (mean); polls skipped",
          `${fmt(baseline.terminalPollLagSimSeconds.mean, 1)} s simulated; ${fmt(baseline.skippedPolls)} skipped`,
        ],
        [
          'lost / duplicated / not as simulated / unfinished',
          `${baseline.lost} / ${baseline.duplicated} / ${baseline.wrongOutcome} / ${baseline.unfinished}`,
        ],
        ['connections retried (engine closed a kept-alive socket)', fmt(baseline.connectionRetries)],
      ]),
    );
    const behind = baselineBehind(baseline);
    if (behind) out.push(`  WARNING: ${behind}`);
    const gwmTerminalMeanMs = terminalLatency(gwm).mean;
    out.push('');
    out.push('gwm / baseline');
    out.push(
      table([
        [
          'calls per sample',
          `${fmt(gwmCallsPerSample(gwm), 3)} / ${fmt(baselineCallsPerSample(baseline), 2)} = 1/${fmt(baselineCallsPerSample(baseline) / gwmCallsPerSample(gwm), 1)}`,
        ],
        [
          'HealthOmics calls per sample, throttled StartRuns left out',
          `${fmt(perSample(sumValues(gwm.engineCalls) - gwm.startRun.throttled, n), 3)} / ${fmt(perSample(sumValues(baseline.calls) - baseline.throttledStartRuns, n), 2)} = 1/${fmt((sumValues(baseline.calls) - baseline.throttledStartRuns) / (sumValues(gwm.engineCalls) - gwm.startRun.throttled), 1)}`,
        ],
        [
          // Event delivery is not time-compressed: gwm's real delay is its delay on AWS too
          // (plus EventBridge's own delivery), while the baseline's scales with its 300 s Wait.
          'detection delay of terminal statuses (mean)',
          `${fmtMs(gwmTerminalMeanMs)} / ${fmt(baseline.detectionSimSeconds.mean)} s = ${(gwmTerminalMeanMs / 1000 / baseline.detectionSimSeconds.mean).toExponential(1)} (1/${fmt(baseline.detectionSimSeconds.mean / (gwmTerminalMeanMs / 1000))})`,
        ],
      ]),
    );
  }
  console.log(out.join('\n'));
}

/**
 * Whether the machine kept the baseline's compressed timetable. When it did not, the baseline made
 * fewer calls and saw terminal statuses later than it would on AWS.
 */
function baselineBehind(baseline: BaselineFigures): string | undefined {
  const polls = baseline.calls.GetRun + baseline.skippedPolls;
  const skipped = polls > 0 ? baseline.skippedPolls / polls : 0;
  const share = baseline.terminalPollLagSimSeconds.mean;
  if (skipped <= 0.01 && !(share > 15)) return undefined;
  return `this machine fell behind the baseline's timetable (${fmt(100 * skipped, 1)} % of polls skipped, ${fmt(share, 1)} s of its detection delay): its calls per sample are undercounted (the calls ratio is conservative) and its detection delay overstated`;
}

/** gwm's delay for terminal statuses, as the baseline's is measured (event -> state recorded). */
function terminalLatency(gwm: GwmFigures): Summary {
  const parts = ['COMPLETED', 'FAILED', 'CANCELLED']
    .map((status) => gwm.latency.byStatus[status])
    .filter((s): s is Summary => s !== undefined);
  const count = parts.reduce((sum, s) => sum + s.count, 0);
  const mean = parts.reduce((sum, s) => sum + s.mean * s.count, 0) / count;
  return {
    count,
    mean,
    p50: Number.NaN,
    p90: Number.NaN,
    p99: Number.NaN,
    max: Math.max(...parts.map((s) => s.max)),
  };
}

function judge(rounds: Round[], settings: Settings): Target[] {
  const m = (pick: (round: Round) => number) => median(rounds.map(pick));
  const p50 = m((round) => round.gwm.latency.all.p50);
  const p99 = m((round) => round.gwm.latency.all.p99);
  const pacing = m((round) => round.gwm.startRun.achievedRate / settings.rate);
  const lost = Math.max(...rounds.map((round) => round.gwm.checks.lost));
  const duplicated = Math.max(...rounds.map((round) => round.gwm.checks.duplicated));
  const wrong = Math.max(
    ...rounds.map((round) => round.gwm.checks.wrongOutcome + round.gwm.checks.strayRuns),
  );
  const notified = rounds.every(
    (round) => round.gwm.checks.snsMessages === 1 && round.gwm.checks.eventBridgeEntries === 1,
  );
  const unhandled = Math.max(...rounds.map((round) => round.gwm.latency.emitted - round.gwm.latency.handled));
  const targets: Target[] = [
    { name: 'status latency p50', value: fmtMs(p50), target: '< 50 ms', pass: p50 < 50 },
    { name: 'status latency p99', value: fmtMs(p99), target: '< 250 ms', pass: p99 < 250 },
    {
      name: 'every run status event handled',
      value: `${unhandled} not handled`,
      target: '0',
      pass: unhandled === 0,
    },
    {
      name: 'StartRun pacing',
      value: `${fmt(100 * pacing, 1)} % of ${settings.rate}/s`,
      target: '>= 95 %',
      pass: pacing >= 0.95,
    },
    {
      name: 'launches lost / duplicated',
      value: `${lost} / ${duplicated}`,
      target: '0 / 0',
      pass: lost === 0 && duplicated === 0,
    },
    {
      name: 'launches ending as simulated, no stray runs',
      value: `${wrong} wrong`,
      target: '0',
      pass: wrong === 0,
    },
    { name: 'one notification for the batch', value: notified ? 'yes' : 'no', target: 'yes', pass: notified },
  ];
  const withBaseline = rounds.filter((round) => round.baseline);
  if (withBaseline.length > 0) {
    const ratio = median(
      withBaseline.map((round) =>
        round.baseline ? gwmCallsPerSample(round.gwm) / baselineCallsPerSample(round.baseline) : Number.NaN,
      ),
    );
    targets.push({
      name: `calls per sample vs baseline (${settings.hours} h runs)`,
      value: `1/${fmt(1 / ratio, 1)}`,
      target: '<= 1/20',
      pass: ratio <= 1 / 20,
    });
  }
  return targets;
}

async function main() {
  const settings = readSettings();
  const load = () =>
    loadavg()
      .map((value) => value.toFixed(2))
      .join(' ');
  console.log(
    `${fmt(settings.samples)} samples, ${settings.hours} h runs (\u00b110 %, ${fmt(100 * settings.failRate, 1)} % FAILED, seed ${settings.seed}), compression ${settings.compression}x (a run \u2248 ${fmtSeconds((settings.hours * 3600 * 1000) / settings.compression)}), StartRun ${settings.rate}/s burst ${settings.burst} (engine quota ${settings.engineRate}/s), ${settings.rounds} round(s), timeout ${fmtSeconds(settings.timeoutMs)} per run`,
  );
  console.log(`machine load average (1, 5, 15 min) at start: ${load()}`);
  const rounds: Round[] = [];
  for (let index = 1; index <= settings.rounds; index++) {
    let started = now();
    const gwm = await inChild('gwm', settings);
    const gwmWallMs = now() - started;
    if (gwm.kind !== 'gwm') throw new Error('unexpected child answer');
    let baseline: ChildResult | undefined;
    let baselineWallMs: number | undefined;
    if (!settings.skipBaseline) {
      started = now();
      try {
        baseline = await inChild('baseline', settings);
      } catch (error) {
        // What gwm measured is still worth reading.
        printRound(index, { gwm: gwm.figures, gwmWallMs }, settings);
        throw error;
      }
      baselineWallMs = now() - started;
    }
    const round: Round = {
      gwm: gwm.figures,
      baseline: baseline?.kind === 'baseline' ? baseline.figures : undefined,
      gwmWallMs,
      baselineWallMs,
    };
    rounds.push(round);
    printRound(index, round, settings);
  }
  const targets = judge(rounds, settings);
  console.log('');
  console.log(
    `targets${settings.rounds > 1 ? ` (medians of ${settings.rounds} rounds; checks: worst round)` : ''}`,
  );
  console.log(
    table(targets.map((target) => [target.name, target.value, target.target, target.pass ? 'PASS' : 'FAIL'])),
  );
  console.log(`machine load average (1, 5, 15 min) at the end: ${load()}`);
  const pass = targets.every((target) => target.pass);
  if (values.json) console.log(JSON.stringify({ settings, rounds, targets, pass }));
  process.exitCode = pass ? 0 : 1;
}

if (values.child) {
  child(values.child).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  // 1: a target missed; 2: the bench itself failed (a timeout, a crash).
  main().catch((error) => {
    console.error(error);
    process.exit(2);
  });
}
