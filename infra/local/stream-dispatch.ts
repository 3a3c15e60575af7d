import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { compilePattern } from './event-pattern.js';

/** What a deployed DynamoDB event source mapping does, as settings (see functions/event-sources.ts). */
export interface StreamSourceSettings {
  filterPatterns: readonly object[];
  batchSize: number;
  maxRetryAttempts: number;
  bisectBatchOnError: boolean;
}

export type StreamHandler = (event: {
  Records: DynamoDBRecord[];
}) => Promise<DynamoDBBatchResponse | undefined | undefined>;

export interface DispatchResult {
  /** Records handed to the handler (a record retried counts each time). */
  invocations: number;
  /** Records given up on after the retries: a deployed mapping sends them to its on-failure destination. */
  failed: DynamoDBRecord[];
}

/**
 * Hands stream records to a handler as Lambda's event source mapping does: filtered, in batches,
 * with partial batch responses (a failure restarts the batch from the lowest failed record), bounded
 * retries, and halving a batch whose invocation throws.
 */
export async function dispatchStreamRecords(
  records: readonly DynamoDBRecord[],
  handler: StreamHandler,
  settings: StreamSourceSettings,
): Promise<DispatchResult> {
  const matchers = settings.filterPatterns.map((pattern) => compilePattern(pattern));
  const selected = records.filter(
    (record) => matchers.length === 0 || matchers.some((match) => match(record)),
  );
  const result: DispatchResult = { invocations: 0, failed: [] };
  for (let start = 0; start < selected.length; start += settings.batchSize) {
    await deliver(selected.slice(start, start + settings.batchSize), handler, settings, result, 0);
  }
  return result;
}

async function deliver(
  batch: DynamoDBRecord[],
  handler: StreamHandler,
  settings: StreamSourceSettings,
  result: DispatchResult,
  retries: number,
): Promise<void> {
  if (batch.length === 0) return;
  result.invocations += batch.length;
  let response: DynamoDBBatchResponse | undefined | undefined;
  try {
    response = await handler({ Records: batch });
  } catch {
    if (settings.bisectBatchOnError && batch.length > 1) {
      const half = Math.ceil(batch.length / 2);
      await deliver(batch.slice(0, half), handler, settings, result, retries + 1);
      await deliver(batch.slice(half), handler, settings, result, retries + 1);
      return;
    }
    return retryFrom(0, batch, handler, settings, result, retries);
  }
  const failures = response?.batchItemFailures ?? [];
  if (failures.length === 0) return;
  const failedIds = new Set(failures.map((failure) => failure.itemIdentifier));
  const lowest = batch.findIndex((record) => failedIds.has(record.dynamodb?.SequenceNumber ?? ''));
  return retryFrom(Math.max(lowest, 0), batch, handler, settings, result, retries);
}

async function retryFrom(
  index: number,
  batch: DynamoDBRecord[],
  handler: StreamHandler,
  settings: StreamSourceSettings,
  result: DispatchResult,
  retries: number,
): Promise<void> {
  const rest = batch.slice(index);
  if (retries >= settings.maxRetryAttempts) {
    // The mapping gives up on the failing record and moves on with the ones after it.
    const [poison, ...after] = rest;
    if (poison) result.failed.push(poison);
    return deliver(after, handler, settings, result, 0);
  }
  return deliver(rest, handler, settings, result, retries + 1);
}
