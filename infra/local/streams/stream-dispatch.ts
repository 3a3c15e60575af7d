import { setTimeout as sleep } from 'node:timers/promises';
import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import type { StreamSourceSettings } from '../../../functions/event-sources.js';
import { compilePattern } from '../events/event-pattern.js';

export type StreamHandler = (event: {
  Records: DynamoDBRecord[];
}) => Promise<DynamoDBBatchResponse | undefined>;

/** Lambda's on-failure conditions for stream records. */
export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** A record given up on, with what a deployed mapping tells its on-failure destination about it. */
export interface DispatchFailure {
  record: DynamoDBRecord;
  condition: FailureCondition;
  /** Why the last call failed (the error the handler threw, or its report of the record), or the record's age. */
  reason: string;
  /** Calls whose batch held the record. */
  attempts: number;
  /** The last batch that held it (or would have, for an expired record). */
  batch: { size: number; firstSequenceNumber?: string; lastSequenceNumber?: string };
}

export interface DispatchOptions {
  /** Pause before a retried call; `retry` counts from 1 along one record's path. No pause by default. */
  retryDelayMs?: (retry: number) => number;
  /** Once aborted, no further call is made: the records not settled yet are left for a later dispatch. */
  signal?: AbortSignal;
  /** The clock that ages records, in milliseconds since the epoch. */
  now?: () => number;
}

export interface DispatchResult {
  /** Records handed to the handler (a record retried counts each time). */
  invocations: number;
  /** Calls of the handler. */
  calls: number;
  /** Records given up on after the retries: a deployed mapping sends them to its on-failure destination. */
  failed: DynamoDBRecord[];
  /** The same records, each with the condition, the reason and the batch it was last in. */
  failures: DispatchFailure[];
  /** How many selected records were settled (delivered or given up on), a prefix in stream order: all of them unless the signal fired. */
  settled: number;
}

/** The records a mapping's filter criteria let through: every record when there are none. */
export function createRecordFilter(settings: Pick<StreamSourceSettings, 'filterPatterns'>) {
  const matchers = settings.filterPatterns.map((pattern) => compilePattern(pattern));
  return (record: DynamoDBRecord): boolean =>
    matchers.length === 0 || matchers.some((match) => match(record));
}

/**
 * Hands stream records to a handler as Lambda's event source mapping does: filtered, in batches,
 * with partial batch responses (a failure restarts the batch from the lowest failed record), bounded
 * retries, halving a batch whose invocation throws, and giving up on records past their maximum age.
 * Records are settled strictly in order, so a stop between calls leaves a clean resume point.
 */
export async function dispatchStreamRecords(
  records: readonly DynamoDBRecord[],
  handler: StreamHandler,
  settings: StreamSourceSettings,
  options: DispatchOptions = {},
): Promise<DispatchResult> {
  const selected = records.filter(createRecordFilter(settings));
  const dispatch: Dispatch = {
    handler,
    settings,
    options,
    now: options.now ?? Date.now,
    attempts: new Map(),
    result: { invocations: 0, calls: 0, failed: [], failures: [], settled: 0 },
  };
  for (let start = 0; start < selected.length; start += settings.batchSize) {
    await deliver(dispatch, selected.slice(start, start + settings.batchSize), 0);
  }
  return dispatch.result;
}

interface Dispatch {
  handler: StreamHandler;
  settings: StreamSourceSettings;
  options: DispatchOptions;
  now: () => number;
  attempts: Map<DynamoDBRecord, number>;
  result: DispatchResult;
}

async function deliver(dispatch: Dispatch, batch: DynamoDBRecord[], retries: number): Promise<void> {
  const fresh = giveUpExpired(dispatch, batch);
  if (fresh.length === 0) return;
  const { handler, settings, options, result } = dispatch;
  if (retries > 0) await pause(options, retries);
  if (options.signal?.aborted) return;
  result.calls += 1;
  result.invocations += fresh.length;
  for (const record of fresh) dispatch.attempts.set(record, (dispatch.attempts.get(record) ?? 0) + 1);

  let response: DynamoDBBatchResponse | undefined;
  try {
    response = await handler({ Records: fresh });
  } catch (error) {
    const reason = `the handler threw ${describeError(error)}`;
    if (settings.bisectBatchOnError && fresh.length > 1) {
      const half = Math.ceil(fresh.length / 2);
      await deliver(dispatch, fresh.slice(0, half), retries + 1);
      await deliver(dispatch, fresh.slice(half), retries + 1);
      return;
    }
    return retryFrom(dispatch, 0, fresh, retries, reason);
  }
  const failures = settings.reportBatchItemFailures === false ? [] : (response?.batchItemFailures ?? []);
  if (failures.length === 0) {
    result.settled += fresh.length;
    return;
  }
  const failedIds = new Set(failures.map((failure) => failure.itemIdentifier));
  const lowest = fresh.findIndex((record) => failedIds.has(record.dynamodb?.SequenceNumber ?? ''));
  // Lambda treats an identifier that names no record of the batch as a failure of the whole batch.
  const from = Math.max(lowest, 0);
  result.settled += from;
  const reason =
    lowest < 0
      ? 'the handler reported a batch item failure that names no record of the batch'
      : 'the handler reported it as a batch item failure';
  return retryFrom(dispatch, from, fresh, retries, reason);
}

async function retryFrom(
  dispatch: Dispatch,
  index: number,
  batch: DynamoDBRecord[],
  retries: number,
  reason: string,
): Promise<void> {
  const rest = batch.slice(index);
  if (retries >= dispatch.settings.maxRetryAttempts) {
    // The mapping gives up on the failing record and moves on with the ones after it.
    const [poison, ...after] = rest;
    if (poison) giveUp(dispatch, poison, 'RetryAttemptsExhausted', reason, batch);
    return deliver(dispatch, after, 0);
  }
  return deliver(dispatch, rest, retries + 1);
}

/** Records reach their maximum age oldest first, so only the front of a batch is checked. */
function giveUpExpired(dispatch: Dispatch, batch: DynamoDBRecord[]): DynamoDBRecord[] {
  const maxAgeSeconds = dispatch.settings.maxRecordAgeSeconds;
  if (maxAgeSeconds === undefined || maxAgeSeconds < 0) return batch;
  const now = dispatch.now();
  let expired = 0;
  for (const record of batch) {
    const created = record.dynamodb?.ApproximateCreationDateTime;
    if (created === undefined || now - created * 1000 <= maxAgeSeconds * 1000) break;
    expired++;
  }
  for (const record of batch.slice(0, expired)) {
    const ageSeconds = Math.floor((now - (record.dynamodb?.ApproximateCreationDateTime ?? 0) * 1000) / 1000);
    giveUp(
      dispatch,
      record,
      'RecordAgeExceeded',
      `the record is ${ageSeconds} s old, past the maximum age of ${maxAgeSeconds} s`,
      batch,
    );
  }
  return expired === 0 ? batch : batch.slice(expired);
}

function giveUp(
  dispatch: Dispatch,
  record: DynamoDBRecord,
  condition: FailureCondition,
  reason: string,
  batch: DynamoDBRecord[],
): void {
  const { result } = dispatch;
  result.failed.push(record);
  result.failures.push({
    record,
    condition,
    reason,
    attempts: dispatch.attempts.get(record) ?? 0,
    batch: {
      size: batch.length,
      firstSequenceNumber: batch[0]?.dynamodb?.SequenceNumber,
      lastSequenceNumber: batch.at(-1)?.dynamodb?.SequenceNumber,
    },
  });
  result.settled += 1;
}

async function pause(options: DispatchOptions, retry: number): Promise<void> {
  const delay = options.retryDelayMs?.(retry) ?? 0;
  if (delay <= 0) return;
  try {
    await sleep(delay, undefined, { signal: options.signal });
  } catch (error) {
    if (!options.signal?.aborted) throw error;
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
