import { RESTORE_COMPLETED_PATTERN } from '../domain/inputs/restore-events.js';
import { IN_FLIGHT_STATUSES, TERMINAL_STATUSES } from '../domain/launch.js';
import { RUN_STATUS_CHANGE_PATTERN } from '../domain/run-events.js';
import { ENTITY_ATTRIBUTE, ENTITY_NAMES } from './adapters/entities.js';

/**
 * How events reach the handlers: filter patterns, batch sizes, retries. The CDK stack and the
 * embedded runtime's stream pump and event router both read these objects; nothing copies them.
 */
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
} as const;

/**
 * The completion aggregator: launches that reached a terminal status (counted), and launches
 * being claimed (a retried sample is in progress again; first claims are a quick no-op).
 */
export const COMPLETION_EVENT_SOURCE = {
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
} as const;

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

export const MANIFEST_SUFFIXES = ['.json', '.csv'] as const;

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
