import { RESTORE_COMPLETED_PATTERN } from '../domain/inputs/restore-events.js';
import { IN_FLIGHT_STATUSES, TERMINAL_STATUSES } from '../domain/launch.js';
import { RUN_STATUS_CHANGE_PATTERN } from '../domain/run-events.js';
import { ENTITY_ATTRIBUTE, ENTITY_NAMES } from './adapters/entities.js';

// How events reach the handlers: filter patterns, batch sizes, retries. The CDK stack and the
// embedded runtime's stream pump and event router both read these objects; nothing copies them.

/**
 * A table stream consumer's event source mapping, as settings. The stack's mapping takes every
 * field; the embedded runtime's stream pump plays them, and where one is absent it does what is
 * noted on that field.
 */
export interface StreamSourceSettings {
  /** Filter criteria (Lambda's event filtering syntax); none: every record. */
  filterPatterns: readonly object[];
  batchSize: number;
  maxRetryAttempts: number;
  bisectBatchOnError: boolean;
  /** Records older than this are given up on without a call (MaximumRecordAgeInSeconds); no limit when absent. */
  maxRecordAgeSeconds?: number;
  /** ReportBatchItemFailures: when false, a reply listing failed items counts as a success. Honoured when absent. */
  reportBatchItemFailures?: boolean;
  /** Where a new mapping starts reading; the stream pump starts at the oldest record (TRIM_HORIZON). */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
}

export const LAUNCHER_EVENT_SOURCE = {
  /**
   * Filter criteria match the record's `dynamodb` key; a REMOVE has no NewImage and never matches.
   * Filters cannot compare a record's old and new images, so a person's edit cannot be told from a
   * gwm write here: the launcher reads the item and decides (domain/launch.ts `consoleEditOf`).
   */
  filterPatterns: [
    // Launchable (QUEUED, THROTTLED), requests (RETRY, CANCEL, in any case and with spaces), and
    // whatever else a person types (typos, terminal statuses), to be put back with a note. Only the
    // statuses gwm writes on the way to a run are left out, and gwm's own terminal writes cost one read.
    {
      dynamodb: {
        NewImage: {
          [ENTITY_ATTRIBUTE]: { S: [ENTITY_NAMES.launch] },
          status: { S: [{ 'anything-but': [...IN_FLIGHT_STATUSES] }] },
        },
      },
    },
    // A cancel waiting for its run id: the write that records the run brings it back.
    {
      dynamodb: {
        NewImage: {
          [ENTITY_ATTRIBUTE]: { S: [ENTITY_NAMES.launch] },
          cancelRequestedAt: { S: [{ exists: true }] },
        },
      },
    },
    // An in-flight status typed over a finished launch (RUNNING on a FAILED one).
    {
      dynamodb: {
        OldImage: { status: { S: [...TERMINAL_STATUSES] } },
        NewImage: { [ENTITY_ATTRIBUTE]: { S: [ENTITY_NAMES.launch] } },
      },
    },
  ],
  batchSize: 10,
  maxRetryAttempts: 5,
  maxRecordAgeSeconds: 6 * 60 * 60,
  bisectBatchOnError: true,
  reportBatchItemFailures: true,
  startingPosition: 'TRIM_HORIZON',
} as const satisfies StreamSourceSettings;

/**
 * The aggregator: launches that reached a terminal status (counted), and launches
 * being claimed (a retried sample is in progress again; first claims are a quick no-op).
 */
export const AGGREGATOR_EVENT_SOURCE = {
  filterPatterns: [
    {
      dynamodb: {
        NewImage: {
          [ENTITY_ATTRIBUTE]: { S: [ENTITY_NAMES.launch] },
          status: { S: [...TERMINAL_STATUSES, 'SUBMITTING'] },
        },
      },
    },
  ],
  batchSize: 25,
  maxRetryAttempts: 8,
  maxRecordAgeSeconds: 24 * 60 * 60,
  bisectBatchOnError: true,
  reportBatchItemFailures: true,
  startingPosition: 'TRIM_HORIZON',
} as const satisfies StreamSourceSettings;

export const RUN_STATUS_RULE = {
  eventPattern: RUN_STATUS_CHANGE_PATTERN,
  retryAttempts: 8,
  maxEventAgeSeconds: 24 * 60 * 60,
} as const;

/** S3's restore-completed events of the input buckets, to the restore tracker (same retries as run events). */
export const RESTORE_COMPLETED_RULE = {
  eventPattern: RESTORE_COMPLETED_PATTERN,
  retryAttempts: 8,
  maxEventAgeSeconds: 24 * 60 * 60,
} as const;

/** Keys the intake takes as manifests end in one of these, in any case (`run/FLOWCELL.CSV` too). */
export const MANIFEST_SUFFIXES = ['.json', '.csv', '.tsv'] as const;

/**
 * The object-key test of manifest events, in EventBridge's pattern syntax: a manifest suffix in any
 * case. The stack's rule for an existing manifest bucket and the embedded runtime's local S3 use it.
 */
export const MANIFEST_KEY_MATCHERS = MANIFEST_SUFFIXES.map((suffix) => ({
  suffix: { 'equals-ignore-case': suffix },
}));

/**
 * S3's `Object Created` events (EventBridge notifications) of manifests in `bucket`: how an existing
 * bucket's uploads reach the intake. A pattern cannot test one field twice, so the key prefix is
 * left to `isManifestKey`, which the intake applies to every event whatever delivered it.
 */
export function manifestCreatedPattern(bucket: string) {
  return {
    source: ['aws.s3'],
    'detail-type': ['Object Created'],
    detail: { bucket: { name: [bucket] }, object: { key: MANIFEST_KEY_MATCHERS } },
  } as const;
}

/** Whether the intake takes the object at `key` (decoded): under `prefix`, named like a manifest in any case. */
export function isManifestKey(key: string, prefix = ''): boolean {
  const lower = key.toLowerCase();
  return key.startsWith(prefix) && MANIFEST_SUFFIXES.some((suffix) => lower.endsWith(suffix));
}

/**
 * The cost queue and its consumer, the cost collector (SQS on AWS, the embedded runtime's local
 * queue): one request per invocation, a request dead-lettered after `maxReceiveCount` failed
 * deliveries, a few collectors at once (each takes engine reads from the reconciler's bucket).
 */
export const COST_EVENT_SOURCE = {
  batchSize: 1,
  maxReceiveCount: 5,
  maxConcurrency: 2,
  reportBatchItemFailures: true,
} as const;
