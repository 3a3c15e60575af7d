import { describe, expect, it } from 'vitest';
import { batchHeldNotice } from '../../domain/notifications/batch-held.js';
import { EVENT_DETAIL_SCHEMAS, renderNotice, toEventDetail } from '../../domain/notifications.js';
import { heldBatchDecision, rejectedHeldBatch } from '../../domain/use-cases/release-held-batches.js';
import { aBatch } from '../support/launch-factory.js';

const estimate = {
  costUsd: { expected: 1234.567, low: 900, high: 1600.2 },
  samplesEstimated: 94,
  samplesWithoutHistory: 2,
  estimatedAt: '2026-11-20T10:00:00.000Z',
};
const held = aBatch({
  batchId: '3f2a9c0e1d2b3a4f5e6d',
  name: 'HK3H3BBXY',
  status: 'HELD_OVER_BUDGET',
  sampleCount: 96,
  budgetMaxUsd: 1000,
  estimate,
});

describe('batch-held notice', () => {
  it('states the estimate, the budget, the samples without history and how to release or reject', () => {
    // Act
    const { subject, text } = renderNotice(batchHeldNotice(held, 'gwm-table'));

    // Assess
    expect(subject).toBe('gwm: HK3H3BBXY held: estimate $1,234.57 over budget $1,000.00');
    expect(text).toContain('None of its 96 samples has been started.');
    expect(text).toContain('Estimate:  $1,234.57 expected, $900.00 to $1,600.20');
    expect(text).toContain('Budget:    $1,000.00');
    expect(text).toContain('2 samples have no history');
    expect(text).toContain('gwm release 3f2a9c0e1d2b3a4f5e6d');
    expect(text).toContain('set `budgetMaxUsd` to 1234.57 or more');
    expect(text).toContain('gwm release 3f2a9c0e1d2b3a4f5e6d --reject');
    expect(text).toContain('(table gwm-table)');
  });

  it('keeps a long batch name within the SNS subject, cut with "...", and on one line in the text', () => {
    // Prepare: a 60-character name with a line break typed into it
    const name = `FLOWCELL-${'X'.repeat(40)}\nLANE-0001`;
    const rest = 'held: estimate $1,234.57 over budget $1,000.00';

    // Act
    const { subject, text } = renderNotice(batchHeldNotice({ ...held, name }, 'gwm-table'));

    // Assess
    expect(subject.length).toBeLessThanOrEqual(99);
    expect(subject).toBe(`gwm: ${`FLOWCELL-${'X'.repeat(40)} LANE-0001`.slice(0, 44)}... ${rest}`);
    expect(text).toContain(`Batch:     FLOWCELL-${'X'.repeat(40)} LANE-0001 (id 3f2a9c0e1d2b3a4f5e6d)`);
  });

  it('is a valid "Batch Held" event for gwm\'s bus', () => {
    // Act
    const event = toEventDetail(batchHeldNotice(held));

    // Assess
    expect(event.detailType).toBe('Batch Held');
    expect(EVENT_DETAIL_SCHEMAS['Batch Held'].safeParse(event.detail).success).toBe(true);
    expect(event.detail).toMatchObject({ budgetMaxUsd: 1000, estimate: { samplesWithoutHistory: 2 } });
  });
});

describe('held batch decisions', () => {
  it('releases once the budget covers the estimate or is removed, holds while it does not', () => {
    expect(heldBatchDecision(held)).toBe('hold');
    expect(heldBatchDecision({ ...held, budgetMaxUsd: 1234.57 })).toBe('release');
    expect(heldBatchDecision({ ...held, budgetMaxUsd: undefined })).toBe('release');
  });

  it('rejects when a person typed REJECTED, with the estimate and budget in the reason', () => {
    const typed = { ...held, status: 'REJECTED' as const };

    const rejected = rejectedHeldBatch(typed, new Date('2026-11-21T00:00:00Z'), 'a person (console edit)');

    expect(heldBatchDecision(typed)).toBe('reject');
    expect(rejected.problems).toEqual([
      {
        path: '$.budget.maxUsd',
        code: 'OVER_BUDGET',
        message:
          'rejected by a person (console edit) while held over its budget (estimate $1,234.57, budget $1,000.00)',
      },
    ]);
    expect(rejected.revision).toBe(held.revision + 1);
  });
});
