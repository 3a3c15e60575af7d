import type { Batch } from '../../domain/batch.js';
import type { EngineOperation } from '../../infra/local/engine/index.js';
import type { Timings } from '../launcher-timings.js';
import type { Summary } from '../stats.js';

// What gwm's contender measures (bench/end-to-end/measure-gwm.ts) and the report prints.

export const WRITE_COMMANDS = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];
export const READ_COMMANDS = ['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems'];

export interface GwmFigures {
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
  launcherTimings?: Timings;
  wallMs: number;
}
