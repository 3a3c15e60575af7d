import type { Batch } from '../batch.js';
import { RetryableError } from '../errors.js';
import type { LaunchStatus } from '../launch.js';
import type { ManifestProblem } from '../manifest/types.js';
import type { BatchHeldNotice } from './batch-held.js';

// What gwm tells people, as data. Each kind has its module (its event detail and its text); a new
// kind joins the `Notice` union here, `DETAIL_TYPES` and `EVENT_DETAIL_SCHEMAS` in event-detail.ts,
// and the switches of `toEventDetail` and `renderNotice`.

/** The batch a notice is about, as every notice names it. */
export interface NoticeBatch {
  batchId: string;
  /** The batch's team: subscribers filter on it (the SNS `team` attribute). */
  team?: string;
  batchName: string;
}

export function noticeBatch(batch: Pick<Batch, 'batchId' | 'team' | 'name'>): NoticeBatch {
  return {
    batchId: batch.batchId,
    ...(batch.team !== undefined && { team: batch.team }),
    batchName: batch.name,
  };
}

export type BatchOutcome = 'COMPLETED' | 'COMPLETED_WITH_FAILURES' | 'FAILED';

export interface SampleOutcome {
  sampleId: string;
  launchId: string;
  status: LaunchStatus;
  attempt: number;
  runId?: string;
  failureReason?: string;
  logLocation?: string;
  /** The last lines of the run's log, newline-separated. */
  logExcerpt?: string;
  runOutputUri?: string;
}

export interface QcOutcome {
  state: 'COMPLETED' | 'FAILED' | 'CANCELLED' | 'SKIPPED' | 'NONE';
  /** Why QC was skipped (or any other word on the state). */
  reason?: string;
  launchId?: string;
  runId?: string;
  outputUri?: string;
  failureReason?: string;
  logLocation?: string;
}

export interface BatchCompletedNotice extends NoticeBatch {
  kind: 'batch-completed';
  sourceUri: string;
  /** 1 for the first completion; higher when retried samples finished the batch again. */
  round: number;
  outcome: BatchOutcome;
  counts: {
    total: number;
    succeeded: number;
    failed: number;
    cancelled: number;
    launchFailed: number;
    deleted: number;
  };
  startedAt: string;
  finishedAt: string;
  /** The samples that did not succeed (may be fewer than the counts say: the counts win). */
  failures: SampleOutcome[];
  qc: QcOutcome;
  tableName?: string;
  /** What the batch's runs cost, as far as they are priced when the notice is sent. */
  cost?: NoticeCost;
  /** Samples that waited for archived inputs to be restored before they ran (longest waits first). */
  waitedForInputs?: WaitedForInputs;
}

export interface WaitedForInputs {
  /** Samples that waited, all of them. */
  count: number;
  /** The longest waits, at most WAITED_LISTED of them. */
  samples: { sampleId: string; launchId: string; waitedMs: number }[];
}

/** Samples listed by name among those that waited for archived inputs. */
export const WAITED_LISTED = 10;

/** A sample and what its runs cost (every attempt together). */
export interface SampleCostOutcome {
  sampleId: string;
  launchId: string;
  costUsd: number;
  /** Runs priced in `costUsd` (more than one after retries). */
  runs: number;
  /** A price was missing: `costUsd` leaves that part out. */
  missingPrice: boolean;
}

/**
 * A batch's cost in a notice. Runs are priced a few seconds after they end, so the last runs of a
 * batch (its QC run above all) are often not priced yet when the notice goes out: `runsPriced`
 * and `runs` say how much of the batch the total covers.
 */
export interface NoticeCost {
  totalUsd: number;
  computeUsd: number;
  storageUsd: number;
  /** Run attempts the batch has had, every attempt and QC included. */
  runs: number;
  runsPriced: number;
  /** Priced runs whose cost left out a missing price. */
  runsWithMissingPrice: number;
  /** The price list versions the priced runs used. */
  priceLists: string[];
  /** The most expensive samples, most expensive first. */
  mostExpensive: SampleCostOutcome[];
  /** What the batch was predicted to cost when it was registered. */
  estimate?: { expected: number; low: number; high: number };
}

export interface LaunchFailedNotice extends NoticeBatch {
  kind: 'launch-failed';
  sample: SampleOutcome;
  tableName?: string;
}

export interface ManifestRejectedNotice extends NoticeBatch {
  kind: 'manifest-rejected';
  sourceUri: string;
  /** Every problem found; `problems` may hold fewer (a rejected batch keeps a bounded list). */
  problemCount: number;
  problems: ManifestProblem[];
}

export type Notice = BatchCompletedNotice | LaunchFailedNotice | ManifestRejectedNotice | BatchHeldNotice;

export interface Notifier {
  send(notice: Notice): Promise<void>;
}

/** A notification channel refused or failed to take a notice; sending it again may work. */
export class NotificationDeliveryError extends RetryableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('NOTIFICATION_NOT_DELIVERED', message, options);
    this.name = 'NotificationDeliveryError';
  }
}

export interface RenderedNotice {
  subject: string;
  text: string;
}
