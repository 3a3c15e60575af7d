/**
 * The polling baseline the end-to-end benchmark compares gwm with (the simulated workflow both of
 * them run is bench/simulated-workflow.ts).
 *
 * The baseline is the public AWS HealthOmics orchestration sample
 * (aws-samples/aws-healthomics-modular-scalable-serverless-orchestration): one Step Functions
 * execution per sample of state machine SFNB,
 *
 *   TriggerAHOTask (StartRun) -> WaitForCompletion (Wait 300 s) -> CheckAHOTask (GetRun)
 *     -> CheckStatusChoice: COMPLETED or FAILED ends it, anything else goes back to the Wait,
 *
 * here as one async loop per sample, all started together (the sample's SFNA Map starts each
 * SFNB execution without waiting for it), spread over a few child processes, against the local
 * engine through the real @aws-sdk/client-omics. Differences from the sample, each in the
 * baseline's favour or needed to finish at all: StartRun is retried on ThrottlingException with
 * full-jitter backoff (1 s doubling to 20 s, real time: the engine's quota is per real second; the
 * sample has no Retry, so a throttled sample would simply fail); CANCELLED also ends the loop (the
 * sample would poll a cancelled run forever). The Wait is divided by the time compression, like
 * the runs, and kept on a timetable (see the poll loop).
 *
 * Usage alone (for a quick look): npx tsx bench/polling-baseline.ts --samples 50
 */

import { type ChildProcess, fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type EngineOperation, engineCallCounts, startLocalEngine } from '../infra/local/engine/index.js';
import { now } from './harness.js';
import type { WorkerInput, WorkerMessage } from './polling-baseline-worker.js';
import {
  BENCH_WORKFLOW_ID,
  planFor,
  type SimulationSettings,
  sampleIds,
  simulatedWorkflow,
  TERMINAL_STATUSES,
} from './simulated-workflow.js';
import { fmt, type Summary, summarize } from './stats.js';

export interface BaselineOptions extends SimulationSettings {
  samples: number;
  /** The engine's StartRun quota per rolling second (the same as in the gwm run). */
  engineStartRunRatePerSecond: number;
  /** The sample's Wait state, simulated seconds. */
  waitSeconds?: number;
  /**
   * Child processes the executions are spread over (the engine stays in this one). The SDK client
   * costs about 0.6 ms of CPU per call here, and a thousand pollers with a compressed Wait make
   * well over a thousand calls a second: one process would fall behind and stretch the Wait.
   */
  workers?: number;
  timeoutMs: number;
  /** A progress line every `progressEveryMs`. */
  progress?: (line: string) => void;
  progressEveryMs?: number;
}

export interface BaselineFigures {
  samples: number;
  /** From the first StartRun to the last sample's loop ending. */
  wallMs: number;
  /** HTTP requests the engine answered, by operation (throttled StartRuns included). */
  calls: Record<EngineOperation, number>;
  throttledStartRuns: number;
  /**
   * Calls sent again because a kept-alive connection was closed by the engine as the call left
   * (the SDK's default retry would do the same; the local client config turns it off).
   */
  connectionRetries: number;
  /** What the sample's Lambdas would publish: one SNS message per FAILED run, one at the end. */
  notifications: number;
  /** Samples whose StartRun failed for good (not throttling), or whose loop did not end in time. */
  unfinished: number;
  /** Samples with no run, and samples with more than one, per the engine. */
  lost: number;
  duplicated: number;
  /** Samples whose final status differs from the simulated outcome. */
  wrongOutcome: number;
  /** Terminal status in the engine's event -> the GetRun that saw it, simulated seconds. */
  detectionSimSeconds: Summary;
  /** Between one sample's consecutive GetRun answers, simulated seconds (300 on the timetable). */
  pollIntervalSimSeconds: Summary;
  /** One GetRun, request to answer, real milliseconds. */
  getRunMs: Summary;
  /** How late each GetRun was sent against its timetable, real milliseconds (a busy machine). */
  pollLateMs: Summary;
  /** Polls left out because the machine was more than a whole Wait behind. */
  skippedPolls: number;
  /**
   * Part of the detection delay that is this machine's, simulated seconds: the terminal GetRun's
   * answer came this long after its place on the timetable (×compression). On AWS: about 0.
   */
  terminalPollLagSimSeconds: Summary;
  /** Accepted StartRuns over the span from the first to the last, per second. */
  startRunRate: number;
}

/** The poller processes' module: each runs one loop per sample it is given. */
const WORKER_MODULE = fileURLToPath(new URL('./polling-baseline-worker.ts', import.meta.url));

/** Runs the baseline against a fresh local engine and returns what it measured. */
export async function runPollingBaseline(options: BaselineOptions): Promise<BaselineFigures> {
  const waitMs = ((options.waitSeconds ?? 300) / options.compression) * 1000;
  const ids = sampleIds(options.samples);
  const plans = new Map(ids.map((id) => [id, planFor(options, id)]));
  const calls = engineCallCounts();
  const terminalAt = new Map<string, number>();
  const runsDir = await mkdtemp(join(tmpdir(), 'gwm-bench-baseline-'));
  const engine = await startLocalEngine({
    workflows: { [BENCH_WORKFLOW_ID]: simulatedWorkflow(options) },
    runsDir,
    startRunRatePerSecond: options.engineStartRunRatePerSecond,
    emit: (event) => {
      if (TERMINAL_STATUSES.has(event.detail.status)) terminalAt.set(event.detail.runId, now());
    },
    onRequest: (operation) => {
      calls[operation] += 1;
    },
  });

  let throttled = 0;
  let connectionRetries = 0;
  let accepted = 0;
  let unfinished = 0;
  const detection: number[] = [];
  const intervals: number[] = [];
  const getRunMs: number[] = [];
  const lateMs: number[] = [];
  const terminalLag: number[] = [];
  let skippedPolls = 0;
  const finalStatus = new Map<string, string>();
  const workerCount = Math.max(1, Math.min(options.workers ?? 2, ids.length));
  const workers: ChildProcess[] = [];
  let cleaned: Promise<void> | undefined;
  const cleanUp = () => {
    cleaned ??= (async () => {
      clearInterval(timer);
      for (const worker of workers) if (worker.exitCode === null) worker.kill();
      await engine.stop();
      await rm(runsDir, { recursive: true, force: true });
    })();
    return cleaned;
  };
  const started = performance.now();
  const timer = setInterval(() => {
    options.progress?.(
      `baseline ${fmt((performance.now() - started) / 1000)} s: StartRun accepted ${fmt(accepted)}/${fmt(ids.length)} (throttled ${fmt(throttled)}), GetRun ${fmt(calls.GetRun)}, runs finished ${fmt(terminalAt.size)}, seen finished ${fmt(finalStatus.size)}`,
    );
  }, options.progressEveryMs ?? 5_000);
  // Stopped from outside (Ctrl-C, the parent's guard): no run folders or pollers left behind.
  const stopOnSignal = () => {
    void cleanUp().finally(() => process.exit(130));
  };
  process.once('SIGTERM', stopOnSignal);
  process.once('SIGINT', stopOnSignal);
  try {
    const deadline = Date.now() + options.timeoutMs;
    await Promise.all(
      Array.from({ length: workerCount }, (_, index) => {
        const input: WorkerInput = {
          endpoint: engine.endpoint,
          sampleIds: ids.filter((_, position) => position % workerCount === index),
          waitMs,
          compression: options.compression,
          deadline,
        };
        const worker = fork(WORKER_MODULE, [], {
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        workers.push(worker);
        worker.send(input);
        return new Promise<void>((resolve, reject) => {
          worker.on('message', (message: WorkerMessage) => {
            switch (message.type) {
              case 'started':
                accepted += 1;
                break;
              case 'throttled':
                throttled += 1;
                break;
              case 'connectionRetry':
                connectionRetries += 1;
                break;
              case 'finished': {
                const emittedAt = terminalAt.get(message.runId) ?? message.stopTime ?? Number.NaN;
                detection.push(((message.seenAt - emittedAt) / 1000) * options.compression);
                terminalLag.push((message.lagMs / 1000) * options.compression);
                finalStatus.set(message.sampleId, message.status);
                break;
              }
              case 'unfinished':
                unfinished += 1;
                options.progress?.(`baseline: ${message.sampleId} did not finish: ${message.reason}`);
                break;
              case 'done':
                for (const value of message.intervalsSimSeconds) intervals.push(value);
                for (const value of message.getRunMs) getRunMs.push(value);
                for (const value of message.lateMs) lateMs.push(value);
                skippedPolls += message.skippedPolls;
                resolve();
                break;
            }
          });
          worker.once('error', reject);
          worker.once('exit', (code) => {
            // After 'done' this changes nothing; before it, the worker's figures are missing.
            reject(new Error(`baseline worker exited with ${code} before sending its figures`));
          });
        });
      }),
    );
    const wallMs = performance.now() - started;

    const runs = engine.runs();
    const runsBySample = new Map<string, number>();
    for (const run of runs) {
      const sample = run.tags['bench:sample'] ?? '';
      runsBySample.set(sample, (runsBySample.get(sample) ?? 0) + 1);
    }
    const creation = runs.map((run) => run.creationTime.getTime()).sort((a, b) => a - b);
    const span = ((creation.at(-1) ?? 0) - (creation[0] ?? 0)) / 1000;
    let wrongOutcome = 0;
    for (const id of ids) {
      if (finalStatus.get(id) !== plans.get(id)?.status) wrongOutcome += 1;
    }
    const failedRuns = [...finalStatus.values()].filter((status) => status === 'FAILED').length;
    return {
      samples: ids.length,
      wallMs,
      calls,
      throttledStartRuns: throttled,
      connectionRetries,
      notifications: failedRuns + 1,
      unfinished,
      lost: ids.filter((id) => !runsBySample.has(id)).length,
      duplicated: ids.filter((id) => (runsBySample.get(id) ?? 0) > 1).length,
      wrongOutcome,
      detectionSimSeconds: summarize(detection),
      pollIntervalSimSeconds: summarize(intervals),
      getRunMs: summarize(getRunMs),
      pollLateMs: summarize(lateMs),
      skippedPolls,
      terminalPollLagSimSeconds: summarize(terminalLag),
      startRunRate: creation.length > 1 && span > 0 ? (creation.length - 1) / span : Number.NaN,
    };
  } finally {
    await cleanUp();
    process.off('SIGTERM', stopOnSignal);
    process.off('SIGINT', stopOnSignal);
  }
}

async function standalone() {
  const { values } = parseArgs({
    options: {
      samples: { type: 'string', default: '50' },
      hours: { type: 'string', default: '6' },
      compression: { type: 'string', default: '720' },
      'engine-rate': { type: 'string', default: '25' },
      'fail-rate': { type: 'string', default: '0.01' },
      seed: { type: 'string', default: 'gwm-bench' },
      'timeout-s': { type: 'string', default: '600' },
      workers: { type: 'string', default: '2' },
    },
  });
  const figures = await runPollingBaseline({
    samples: Number(values.samples),
    hours: Number(values.hours),
    compression: Number(values.compression),
    engineStartRunRatePerSecond: Number(values['engine-rate']),
    failRate: Number(values['fail-rate']),
    seed: values.seed,
    timeoutMs: Number(values['timeout-s']) * 1000,
    workers: Number(values.workers),
    progress: (line) => console.error(line),
  });
  console.log(JSON.stringify(figures, null, 2));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  standalone().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
