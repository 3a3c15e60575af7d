import { describe, expect, it } from 'vitest';
import type { OutcomeMark } from '../../domain/completion.js';
import { makeBatchRepository } from '../../functions/adapters/batch-repository.js';
import { makeEntities } from '../../functions/adapters/entities.js';
import { makeOutcomeLedger } from '../../functions/adapters/outcome-ledger.js';
import { aBatch } from '../support/launch-factory.js';
import { useTestTable } from '../support/local-aws.js';

const NOW = '2026-11-20T11:00:00.000Z';

describe('the outcome ledger', () => {
  const table = useTestTable('gwm-outcome-ledger');
  const setup = async (batchId: string) => {
    const entities = makeEntities(table.doc, table.tableName);
    const batches = makeBatchRepository(entities);
    await batches.create(aBatch({ batchId, sampleCount: 2, releasedCount: 2 }));
    return { ledger: makeOutcomeLedger(entities), batches };
  };
  const mark = (batchId: string, overrides: Partial<OutcomeMark> = {}): OutcomeMark => ({
    batchId,
    launchId: `${batchId}/S1`,
    attempt: 1,
    outcome: 'failed',
    revision: 1,
    ...overrides,
  });

  it('counts an attempt once: the mark and the counters move together, a repeat changes neither', async () => {
    const { ledger, batches } = await setup('ol1');
    const first = mark('ol1');

    expect(await ledger.record(undefined, first, { failed: 1 }, NOW)).toBe('written');
    // A redelivery of the same first count finds the mark already there.
    expect(await ledger.record(undefined, first, { failed: 1 }, NOW)).toBe('conflict');

    expect(await ledger.get('ol1', 'ol1/S1')).toEqual(first);
    const batch = await batches.get('ol1');
    expect(batch?.counts).toEqual({ succeeded: 0, failed: 1, cancelled: 0, launchFailed: 0, deleted: 0 });
    expect(batch?.revision).toBe(2);
    expect(batch?.updatedAt).toBe(NOW);
  });

  it('moves a retried attempt from failed to succeeded only from the mark it read, with the retry counted', async () => {
    const { ledger, batches } = await setup('ol2');
    const first = mark('ol2');
    await ledger.record(undefined, first, { failed: 1 }, NOW);
    const second = mark('ol2', { attempt: 2, outcome: 'succeeded', revision: 2 });

    // A stale writer (it read revision 0) loses, and the counters stay as they were.
    expect(
      await ledger.record({ ...first, revision: 0 }, second, { failed: -1, succeeded: 1, retries: 1 }, NOW),
    ).toBe('conflict');
    expect((await batches.get('ol2'))?.counts.failed).toBe(1);

    expect(await ledger.record(first, second, { failed: -1, succeeded: 1, retries: 1 }, NOW)).toBe('written');
    expect(await ledger.get('ol2', 'ol2/S1')).toEqual(second);
    const batch = await batches.get('ol2');
    expect(batch?.counts).toEqual({ succeeded: 1, failed: 0, cancelled: 0, launchFailed: 0, deleted: 0 });
    expect(batch?.retriesCounted).toBe(1);
    expect(batch?.revision).toBe(3);
  });

  it('writes no mark for a batch that is not there', async () => {
    const entities = makeEntities(table.doc, table.tableName);
    const ledger = makeOutcomeLedger(entities);
    expect(await ledger.record(undefined, mark('ol-missing'), { failed: 1 }, NOW)).toBe('conflict');
    expect(await ledger.get('ol-missing', 'ol-missing/S1')).toBeUndefined();
  });
});
