/**
 * A poller process of the polling baseline (bench/polling-baseline.ts forks it): one SFNB
 * execution per sample it is given, all at once, StartRun then Wait and GetRun until the run ends,
 * each step reported to the main process.
 */

import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetRunCommand, OmicsClient, StartRunCommand } from '@aws-sdk/client-omics';
import { backoffMs } from '../domain/backoff.js';
import { localOmicsClientConfig } from '../infra/local/engine/index.js';
import { now } from './harness.js';
import { BENCH_ROLE_ARN, BENCH_WORKFLOW_ID, TERMINAL_STATUSES } from './simulated-workflow.js';

const THROTTLE_BACKOFF_BASE_MS = 1_000;
const THROTTLE_BACKOFF_MAX_MS = 20_000;

/** What the main process gives each worker. */
export interface WorkerInput {
  endpoint: string;
  sampleIds: string[];
  waitMs: number;
  compression: number;
  /** Epoch milliseconds. */
  deadline: number;
}

/** Messages from a worker: one per sample whose loop ended, then its totals. */
export type WorkerMessage =
  | { type: 'started'; sampleId: string }
  | { type: 'throttled' }
  | { type: 'connectionRetry' }
  | {
      type: 'finished';
      sampleId: string;
      runId: string;
      status: string;
      /** Epoch milliseconds (sub-millisecond), comparable across processes. */
      seenAt: number;
      /** The answer came this long after the poll's place on the timetable (this machine's lag). */
      lagMs: number;
      stopTime?: number;
    }
  | { type: 'unfinished'; sampleId: string; reason: string }
  | {
      type: 'done';
      intervalsSimSeconds: number[];
      getRunMs: number[];
      lateMs: number[];
      skippedPolls: number;
    };

function isStaleConnection(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** A poller process: one SFNB execution per sample it was given, all at once. */
async function pollerWorker(input: WorkerInput): Promise<void> {
  const post = (message: WorkerMessage) => process.send?.(message);
  // One connection per execution would be closer to Lambda; the SDK's default of 50 sockets
  // would queue hundreds of pollers behind each other and inflate their detection delay.
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const omics = new OmicsClient({
    ...localOmicsClientConfig(input.endpoint),
    requestHandler: { httpAgent: agent },
  });
  const intervals: number[] = [];
  const getRunMs: number[] = [];
  const lateMs: number[] = [];
  let skippedPolls = 0;

  async function startRun(sampleId: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        const answer = await omics.send(
          new StartRunCommand({
            workflowId: BENCH_WORKFLOW_ID,
            roleArn: BENCH_ROLE_ARN,
            name: `baseline-${sampleId}`,
            outputUri: 's3://bench-results/baseline/',
            storageType: 'DYNAMIC',
            parameters: { sample: sampleId, fastq: `s3://bench-inputs/fc/${sampleId}.fastq.gz` },
            tags: { 'bench:sample': sampleId },
          }),
        );
        if (!answer.id) throw new Error('StartRun answered without a run id');
        post({ type: 'started', sampleId });
        return answer.id;
      } catch (error) {
        if (isStaleConnection(error)) {
          post({ type: 'connectionRetry' });
          continue;
        }
        if ((error as Error).name !== 'ThrottlingException') throw error;
        post({ type: 'throttled' });
        if (Date.now() > input.deadline)
          throw new Error(`still throttled at the deadline (${attempt} calls)`);
        const ceiling = backoffMs(attempt, {
          baseMs: THROTTLE_BACKOFF_BASE_MS,
          maxMs: THROTTLE_BACKOFF_MAX_MS,
        });
        await sleep(Math.random() * ceiling);
      }
    }
  }

  async function getRun(runId: string) {
    for (;;) {
      try {
        return await omics.send(new GetRunCommand({ id: runId }));
      } catch (error) {
        if (!isStaleConnection(error)) throw error;
        post({ type: 'connectionRetry' });
      }
    }
  }

  async function execute(sampleId: string): Promise<void> {
    let runId: string;
    try {
      runId = await startRun(sampleId);
    } catch (error) {
      post({ type: 'unfinished', sampleId, reason: `StartRun: ${(error as Error).message}` });
      return;
    }
    // Each Wait is counted from the previous poll's place on the timetable, not from when this
    // machine got round to it: compressed 720 times, a GetRun that takes 30 ms here would add
    // 22 s to every 300 s loop, where on AWS it adds a fraction of a second. A poll that is more
    // than a whole Wait late is skipped (never more polls than the timetable).
    let scheduled = now() + input.waitMs;
    let lastPoll: number | undefined;
    for (;;) {
      if (Date.now() > input.deadline) {
        post({ type: 'unfinished', sampleId, reason: 'still polling at the deadline' });
        return;
      }
      const ahead = scheduled - now();
      if (ahead > 0) await sleep(ahead);
      const asked = now();
      lateMs.push(asked - scheduled);
      const run = await getRun(runId);
      const seenAt = now();
      getRunMs.push(seenAt - asked);
      if (lastPoll !== undefined) intervals.push(((seenAt - lastPoll) / 1000) * input.compression);
      lastPoll = seenAt;
      const status = run.status ?? 'UNKNOWN';
      if (TERMINAL_STATUSES.has(status)) {
        post({
          type: 'finished',
          sampleId,
          runId,
          status,
          seenAt,
          lagMs: seenAt - scheduled,
          stopTime: run.stopTime?.getTime(),
        });
        return;
      }
      scheduled += input.waitMs;
      while (scheduled < now()) {
        scheduled += input.waitMs;
        skippedPolls += 1;
      }
    }
  }

  try {
    await Promise.all(input.sampleIds.map(execute));
  } finally {
    omics.destroy();
    agent.destroy();
  }
  // The figures are large (one number per GetRun): disconnect only once they are on their way.
  const done: WorkerMessage = {
    type: 'done',
    intervalsSimSeconds: intervals,
    getRunMs,
    lateMs,
    skippedPolls,
  };
  await new Promise<void>((resolve, reject) =>
    process.send?.(done, (error: Error | null) => (error ? reject(error) : resolve())),
  );
  process.disconnect?.();
}

process.once('message', (input: WorkerInput) => {
  pollerWorker(input).catch((error) => {
    console.error(error);
    process.exit(1);
  });
});
