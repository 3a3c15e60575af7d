import { LAUNCHABLE_STATUSES, TERMINAL_STATUSES } from '../domain/launch.js';
import { RUN_STATUS_CHANGE_PATTERN } from '../domain/run-events.js';
import { ENTITY_ATTRIBUTE, ENTITY_NAMES } from './adapters/entities.js';

/**
 * How events reach the handlers: filter patterns, batch sizes, retries. The CDK stack and the
 * embedded runtime's stream pump and event router both read these objects; nothing copies them.
 */
export const LAUNCHER_EVENT_SOURCE = {
  /** Filter criteria match the record's `dynamodb` key; a REMOVE has no NewImage and never matches. */
  filterPatterns: [
    {
      dynamodb: {
        NewImage: {
          [ENTITY_ATTRIBUTE]: { S: [ENTITY_NAMES.launch] },
          // People type RETRY by hand in the console: any case is accepted.
          status: {
            S: [
              ...LAUNCHABLE_STATUSES.filter((status) => status !== 'RETRY'),
              { 'equals-ignore-case': 'RETRY' },
            ],
          },
        },
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

export const MANIFEST_SUFFIXES = ['.json', '.csv'] as const;
