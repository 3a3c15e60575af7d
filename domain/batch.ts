import { createHash } from 'node:crypto';
import type { BatchCost, BatchEstimate } from './cost/types.js';
import type { ArchivedInput } from './launch.js';
import type {
  ManifestFormat,
  ManifestProblem,
  NotificationSettings,
  QcLaunchSpec,
} from './manifest/types.js';
import type { BatchPriority } from './teams/team.js';

/**
 * REGISTERING: launch items are being written (under a lease). REGISTERED: every launch item is
 * written; launches are being released to the launcher. ACTIVE: every launch is launchable.
 * QC_RUNNING: every sample finished and the QC run was started. COMPLETED,
 * COMPLETED_WITH_FAILURES, FAILED: done (a retried sample reopens the batch: ACTIVE, next round).
 * REJECTED: the manifest was invalid; nothing was launched.
 * HELD_OVER_BUDGET: every launch item is written, but the batch's estimated cost is over its
 * budget: nothing is released until a person raises the budget (or rejects the batch).
 */
export type BatchStatus =
  | 'REGISTERING'
  | 'REGISTERED'
  | 'ACTIVE'
  | 'QC_RUNNING'
  | 'COMPLETED'
  | 'COMPLETED_WITH_FAILURES'
  | 'FAILED'
  | 'REJECTED'
  | 'HELD_OVER_BUDGET';

export const BATCH_STATUSES: readonly BatchStatus[] = [
  'REGISTERING',
  'REGISTERED',
  'ACTIVE',
  'QC_RUNNING',
  'COMPLETED',
  'COMPLETED_WITH_FAILURES',
  'FAILED',
  'REJECTED',
  'HELD_OVER_BUDGET',
];

/** Registered and not finished: the batches the reconciler's recount looks at. */
export const OPEN_BATCH_STATUSES = [
  'REGISTERED',
  'ACTIVE',
  'QC_RUNNING',
] as const satisfies readonly BatchStatus[];

/**
 * Registration started and not finished: the batches the reconciler resumes when their intake
 * stopped for good (every delivery of the upload event failed).
 */
export const UNFINISHED_REGISTRATION_STATUSES = [
  'REGISTERING',
  'REGISTERED',
] as const satisfies readonly BatchStatus[];

/** Registered, held before release: what the reconciler's budget step looks at. */
export const HELD_BATCH_STATUSES = ['HELD_OVER_BUDGET'] as const satisfies readonly BatchStatus[];

/**
 * The statuses the batch index of unfinished work holds (see the `open` index): what the recount
 * looks at, what the registration resume looks at and what the budget step looks at, each
 * listing only its own.
 */
export const INDEXED_BATCH_STATUSES = [
  'REGISTERING',
  ...OPEN_BATCH_STATUSES,
  ...HELD_BATCH_STATUSES,
] as const satisfies readonly BatchStatus[];

/** Samples that finished, by outcome; kept on the batch item, each attempt counted once. */
export interface BatchCounts {
  succeeded: number;
  failed: number;
  cancelled: number;
  launchFailed: number;
  deleted: number;
}

export const QC_STATES = [
  'NONE',
  'WAITING',
  'RUNNING',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'SKIPPED',
] as const;
export type QcState = (typeof QC_STATES)[number];

/** OFF: the manifest turned the batch notification off (`notifications.onBatchCompleted`). */
export const NOTIFICATION_STATES = ['SENDING', 'SENT', 'OFF'] as const;
export type NotificationState = (typeof NOTIFICATION_STATES)[number];

export interface Batch {
  batchId: string;
  name: string;
  format?: ManifestFormat;
  sourceUri: string;
  sourceVersionId?: string;
  sourceETag?: string;
  contentSha256: string;
  /** The team it was uploaded under (teams/<team>/), or the deployment's default team. */
  team?: string;
  /** Who the manifest says submitted it (`batch.submitter`). */
  submitter?: string;
  /** Who uploaded the manifest: the S3 event's `userIdentity.principalId`. */
  submittedBy?: string;
  /** Its place in the team's launch queue; a person may edit it while launches wait. */
  priority?: BatchPriority;
  status: BatchStatus;
  sampleCount: number;
  releasedCount: number;
  qc?: QcLaunchSpec;
  /**
   * The QC inputs found archived at registration, as their restores stood then. The QC launch,
   * created when the samples finish, carries them: it waits in WAITING_FOR_INPUTS until each is
   * back (see decideLaunch).
   */
  qcArchivedInputs?: ArchivedInput[];
  notifications?: NotificationSettings;
  /** Every problem of a rejected manifest (bounded; `problemCount` tells the full number). */
  problems?: ManifestProblem[];
  problemCount?: number;
  registrationOwner?: string;
  registrationExpiresAt?: string;
  createdAt: string;
  updatedAt: string;
  registeredAt?: string;
  /** Finished samples by outcome (see domain/completion.ts). */
  counts: BatchCounts;
  /** 1, then +1 each time a retried sample (or a retried QC) reopens the finished batch. */
  round: number;
  /**
   * Sample attempts after the first that the counters have seen (added in the same transaction as
   * the counts). A retry that fails again before the aggregator sees it running leaves the counts
   * as they were; this counter still moves, so the finished batch knows it has a new outcome.
   */
  retriesCounted?: number;
  /** `retriesCounted` as the current round last accounted for it (at QC start, finish, reopen). */
  roundRetries?: number;
  qcState: QcState;
  qcReason?: string;
  /** QC runs started so far; the QC launch's attempt. */
  qcAttempt: number;
  /** The round whose outcome was (or is being) notified; a notification is sent once per round. */
  notifiedRound: number;
  notificationState?: NotificationState;
  notificationAt?: string;
  /** Why the last send of this round's notification failed; cleared when a sender tries again. */
  notificationError?: string;
  /** Failed sends of this round's notification so far. */
  notificationFailures?: number;
  finishedAt?: string;
  /** What the batch's runs cost so far (every attempt, QC included), added once per priced attempt. */
  cost?: BatchCost;
  /** What the batch was predicted to cost when it was registered. */
  estimate?: BatchEstimate;
  /** The most the batch may be predicted to cost before it is held (manifest `budget.maxUsd`, or the deployment's default). */
  budgetMaxUsd?: number;
  /** When the batch was held over its budget, and when it was released (or rejected) after. */
  heldAt?: string;
  releasedAt?: string;
  revision: number;
}

export const NO_COUNTS: BatchCounts = { succeeded: 0, failed: 0, cancelled: 0, launchFailed: 0, deleted: 0 };

/** A rejected batch keeps this many problems; an item must stay under DynamoDB's 400 KB. */
export const PROBLEMS_KEPT = 500;

/**
 * The batch id is a function of where the manifest was uploaded and what it says, so a
 * redelivered S3 event and a re-upload of identical content both land on the same batch.
 * (A version id alone would make an identical re-upload to a versioned bucket a new batch.)
 */
export function batchIdFor(bucket: string, key: string, contentSha256: string): string {
  return createHash('sha256').update(`${bucket}\n${key}\n${contentSha256}`).digest('hex').slice(0, 20);
}

export function sha256Hex(content: string | Uint8Array): string {
  return createHash('sha256').update(content).digest('hex');
}

/**
 * Seconds from the batch's registration to its finish (the manifest accepted to the last sample,
 * or its QC, done); none before it finishes.
 */
export function batchDurationSeconds(batch: Pick<Batch, 'createdAt' | 'registeredAt' | 'finishedAt'>) {
  if (batch.finishedAt === undefined) return undefined;
  const from = Date.parse(batch.registeredAt ?? batch.createdAt);
  const to = Date.parse(batch.finishedAt);
  if (Number.isNaN(from) || Number.isNaN(to)) return undefined;
  return Math.max(0, (to - from) / 1000);
}

/** A readable name for a manifest without one: its file name without the extension. */
export function defaultBatchName(key: string): string {
  const file = key.split('/').pop() ?? key;
  const base = file
    .replace(/\.(json|csv)$/i, '')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return base.slice(0, 64) || 'batch';
}
