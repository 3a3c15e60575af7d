import type { DynamoDBBatchResponse, DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { ENTITY_ATTRIBUTE, ENTITY_NAMES } from '../../functions/adapters/entities.js';
import { LAUNCHER_EVENT_SOURCE, type StreamSourceSettings } from '../../functions/event-sources.js';
import {
  createRecordFilter,
  dispatchStreamRecords,
  type StreamHandler,
} from '../../infra/local/streams/stream-dispatch.js';
import { R6_BISECTION } from '../support/bisection.js';

const NOW = Date.parse('2026-11-20T12:00:00Z');

/** A launch record as the stream delivers it; its id is also its sequence number's tail. */
function launchRecord(
  id: number,
  options: { status?: string; entity?: string; createdAt?: number } = {},
): DynamoDBRecord {
  return {
    eventID: `event-${id}`,
    eventName: 'MODIFY',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      ApproximateCreationDateTime: (options.createdAt ?? NOW) / 1000,
      Keys: { pk: { S: `LAUNCH#r${id}` }, sk: { S: 'LAUNCH' } },
      NewImage: {
        pk: { S: `LAUNCH#r${id}` },
        sk: { S: 'LAUNCH' },
        [ENTITY_ATTRIBUTE]: { S: options.entity ?? ENTITY_NAMES.launch },
        status: { S: options.status ?? 'QUEUED' },
        id: { S: `r${id}` },
      },
      SequenceNumber: String(id).padStart(21, '0'),
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  };
}

function records(count: number): DynamoDBRecord[] {
  return Array.from({ length: count }, (_, index) => launchRecord(index + 1));
}

function idOf(record: DynamoDBRecord): string {
  return record.dynamodb?.NewImage?.id?.S ?? '?';
}

/** A handler that remembers the ids of each call's batch and answers with `reply`. */
function recordingHandler(reply: (ids: string[], call: number) => DynamoDBBatchResponse | undefined) {
  const calls: string[][] = [];
  const handler: StreamHandler = async (event) => {
    const ids = event.Records.map(idOf);
    calls.push(ids);
    return reply(ids, calls.length);
  };
  return { handler, calls };
}

/** The reply of a handler that failed these records (`r3` has sequence number ...003). */
function failed(...ids: string[]): DynamoDBBatchResponse {
  return { batchItemFailures: ids.map((id) => ({ itemIdentifier: id.slice(1).padStart(21, '0') })) };
}

const settings = (overrides: Partial<StreamSourceSettings> = {}): StreamSourceSettings => ({
  filterPatterns: [],
  batchSize: 5,
  maxRetryAttempts: 3,
  bisectBatchOnError: false,
  ...overrides,
});

describe('dispatching stream records', () => {
  it('hands records over in batches of the batch size, in order', async () => {
    // Prepare
    const { handler, calls } = recordingHandler(() => undefined);

    // Act
    const result = await dispatchStreamRecords(records(7), handler, settings({ batchSize: 3 }));

    // Assess
    expect(calls).toEqual([['r1', 'r2', 'r3'], ['r4', 'r5', 'r6'], ['r7']]);
    expect(result).toMatchObject({ calls: 3, invocations: 7, settled: 7, failed: [], failures: [] });
  });

  it('resumes a partially failed batch from the lowest failed record', async () => {
    // Prepare: the first call reports r3 and r5; the retry succeeds
    const { handler, calls } = recordingHandler((_ids, call) =>
      call === 1 ? failed('r5', 'r3') : undefined,
    );

    // Act
    const result = await dispatchStreamRecords(records(5), handler, settings());

    // Assess
    expect(calls).toEqual([
      ['r1', 'r2', 'r3', 'r4', 'r5'],
      ['r3', 'r4', 'r5'],
    ]);
    expect(result).toMatchObject({ calls: 2, invocations: 8, settled: 5, failed: [] });
  });

  it('retries the whole batch when a reported failure names no record of it', async () => {
    // Prepare
    const { handler, calls } = recordingHandler((_ids, call) =>
      call === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-a-sequence-number' }] } : undefined,
    );

    // Act
    await dispatchStreamRecords(records(3), handler, settings());

    // Assess
    expect(calls).toEqual([
      ['r1', 'r2', 'r3'],
      ['r1', 'r2', 'r3'],
    ]);
  });

  it('ignores reported failures when the mapping does not report batch item failures', async () => {
    // Prepare
    const { handler, calls } = recordingHandler(() => failed('r2'));

    // Act
    const result = await dispatchStreamRecords(
      records(3),
      handler,
      settings({ reportBatchItemFailures: false }),
    );

    // Assess
    expect(calls).toEqual([['r1', 'r2', 'r3']]);
    expect(result.settled).toBe(3);
  });

  it('halves a throwing batch until the poison record is alone, then retries it alone and gives up on it', async () => {
    // Prepare: r6 makes every batch that holds it throw
    const { handler, calls } = recordingHandler((ids) => {
      if (ids.includes('r6')) throw new TypeError('cannot read attempt of r6');
      return undefined;
    });

    // Act
    const result = await dispatchStreamRecords(records(8), handler, settings(R6_BISECTION.settings));

    // Assess: each halving counts as a retry; r6 is called maxRetryAttempts + 1 times in all
    expect(calls).toEqual(R6_BISECTION.calls);
    expect(result.failed.map(idOf)).toEqual(['r6']);
    expect(result.failures).toEqual([
      {
        record: records(8)[5],
        condition: 'RetryAttemptsExhausted',
        reason: 'the handler threw TypeError: cannot read attempt of r6',
        attempts: 6,
        batch: {
          size: 1,
          firstSequenceNumber: '000000000000000000006',
          lastSequenceNumber: '000000000000000000006',
        },
      },
    ]);
    expect(result.settled).toBe(8);
  });

  it('gives up after maxRetryAttempts retries and moves on with the records after the failed one', async () => {
    // Prepare: without bisect, a throwing handler fails the whole batch each time
    const { handler, calls } = recordingHandler(() => {
      throw new Error('table unavailable');
    });
    const delays: number[] = [];

    // Act
    const result = await dispatchStreamRecords(
      records(2),
      handler,
      settings({ batchSize: 2, maxRetryAttempts: 2 }),
      {
        retryDelayMs: (retry) => {
          delays.push(retry);
          return 1;
        },
      },
    );

    // Assess
    expect(calls).toEqual([['r1', 'r2'], ['r1', 'r2'], ['r1', 'r2'], ['r2'], ['r2'], ['r2']]);
    expect(delays).toEqual([1, 2, 1, 2]);
    expect(result.failures.map((failure) => [idOf(failure.record), failure.attempts])).toEqual([
      ['r1', 3],
      ['r2', 6],
    ]);
    expect(result.failed.map(idOf)).toEqual(['r1', 'r2']);
    expect(result.settled).toBe(2);
  });

  it('gives up on a record reported failed on every call once its retries are used up', async () => {
    // Prepare
    const { handler, calls } = recordingHandler((ids) => (ids.includes('r2') ? failed('r2') : undefined));

    // Act
    const result = await dispatchStreamRecords(records(3), handler, settings({ maxRetryAttempts: 1 }));

    // Assess
    expect(calls).toEqual([['r1', 'r2', 'r3'], ['r2', 'r3'], ['r3']]);
    expect(result.failures.map((failure) => [idOf(failure.record), failure.reason])).toEqual([
      ['r2', 'the handler reported it as a batch item failure'],
    ]);
  });

  it('lets a status typed as "retry" in the console through the launcher filter, and not RUNNING', async () => {
    // Prepare
    const candidates = [
      launchRecord(1, { status: 'retry' }),
      launchRecord(2, { status: 'RUNNING' }),
      launchRecord(3, { status: 'Retry' }),
      launchRecord(4, { status: 'QUEUED' }),
      launchRecord(5, { status: 'QUEUED', entity: ENTITY_NAMES.batch }),
      {
        ...launchRecord(6),
        eventName: 'REMOVE' as const,
        dynamodb: { Keys: launchRecord(6).dynamodb?.Keys },
      },
    ];
    const { handler, calls } = recordingHandler(() => undefined);

    // Act
    const result = await dispatchStreamRecords(candidates, handler, LAUNCHER_EVENT_SOURCE, {
      now: () => NOW,
    });

    // Assess
    expect(calls).toEqual([['r1', 'r3', 'r4']]);
    expect(result.settled).toBe(3);
    expect(candidates.map(createRecordFilter(LAUNCHER_EVENT_SOURCE))).toEqual([
      true,
      false,
      true,
      true,
      false,
      false,
    ]);
  });

  it('gives up on records past their maximum age without calling the handler', async () => {
    // Prepare: r1 and r2 were written two hours ago, r3 a minute ago
    const stale = NOW - 2 * 60 * 60 * 1000;
    const batch = [
      launchRecord(1, { createdAt: stale }),
      launchRecord(2, { createdAt: stale }),
      launchRecord(3, { createdAt: NOW - 60_000 }),
    ];
    const { handler, calls } = recordingHandler(() => undefined);

    // Act
    const result = await dispatchStreamRecords(batch, handler, settings({ maxRecordAgeSeconds: 3600 }), {
      now: () => NOW,
    });

    // Assess
    expect(calls).toEqual([['r3']]);
    expect(
      result.failures.map((failure) => [idOf(failure.record), failure.condition, failure.reason]),
    ).toEqual([
      ['r1', 'RecordAgeExceeded', 'the record is 7200 s old, past the maximum age of 3600 s'],
      ['r2', 'RecordAgeExceeded', 'the record is 7200 s old, past the maximum age of 3600 s'],
    ]);
    expect(result.settled).toBe(3);
  });

  it('makes no further call once aborted, and reports how far it got', async () => {
    // Prepare: the second call reports r5, and the dispatch is aborted during that call
    const controller = new AbortController();
    const { handler, calls } = recordingHandler((_ids, call) => {
      if (call === 2) {
        controller.abort();
        return failed('r5');
      }
      return undefined;
    });

    // Act
    const result = await dispatchStreamRecords(records(9), handler, settings({ batchSize: 3 }), {
      signal: controller.signal,
    });

    // Assess: r1-r4 are settled; r5 onwards are left for a later dispatch
    expect(calls).toEqual([
      ['r1', 'r2', 'r3'],
      ['r4', 'r5', 'r6'],
    ]);
    expect(result.settled).toBe(4);
    expect(result.failed).toEqual([]);
  });
});
