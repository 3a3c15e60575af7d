import { stripVTControlCharacters } from 'node:util';
import { describe, expect, it } from 'vitest';
import { allRunsPriced, demoCostLines } from '../../cli/commands/demo-cost.js';
import type { Batch } from '../../domain/batch.js';
import type { RunCost } from '../../domain/cost/types.js';
import type { Launch } from '../../domain/launch.js';
import { aBatch, aLaunch } from '../support/launch-factory.js';

const plainText = (lines: string[]) => stripVTControlCharacters(lines.join('\n'));

function runCost(totalUsd: number, storageUsd: number): RunCost {
  return {
    totalUsd,
    computeUsd: totalUsd - storageUsd,
    storageUsd,
    taskCount: 1,
    instanceHours: { 'omics.c.large': 1 / 60 },
    priceList: 'us-east-1 2026-11-01',
    attempt: 1,
    pricedAt: '2026-11-20T10:02:00.000Z',
  };
}

/** The demo flowcell as it ends: three samples succeeded, the last one failed, QC completed. */
function finishedFlowcell(options: { qcPriced: boolean }): { batch: Batch; launches: Launch[] } {
  const sample = (id: string, runId: string, cost?: RunCost, status: Launch['status'] = 'COMPLETED') =>
    aLaunch({ launchId: `b1/${id}`, sampleId: id, status, runId, ...(cost && { cost }) });
  const launches = [
    sample('NA12878', '1001', runCost(0.0031, 0.0012)),
    sample('NA12891', '1002', runCost(0.0029, 0.001)),
    sample('NA12892', '1003', runCost(0.0024, 0.0005)),
    sample('NA19239', '1004', runCost(0.0019, 0.0001), 'FAILED'),
    aLaunch({
      launchId: 'b1/_qc',
      sampleId: '_qc',
      kind: 'QC',
      status: 'COMPLETED',
      runId: '1005',
      ...(options.qcPriced && { cost: runCost(0.0021, 0.0002) }),
    }),
  ];
  const priced = options.qcPriced ? 5 : 4;
  const total = options.qcPriced ? 0.0124 : 0.0103;
  const storage = options.qcPriced ? 0.003 : 0.0028;
  const batch = aBatch({
    status: 'COMPLETED_WITH_FAILURES',
    sampleCount: 4,
    cost: {
      totalUsd: total,
      computeUsd: total - storage,
      storageUsd: storage,
      runsPriced: priced,
      runsEstimated: 0,
    },
  });
  return { batch, launches };
}

describe('the demo prints what the flowcell cost', () => {
  it('lists each sample and the QC run with its cost, then the batch total and the price list', () => {
    const { batch, launches } = finishedFlowcell({ qcPriced: true });

    const text = plainText(demoCostLines(batch, launches, { complete: true, waitedMs: 30_000 }));

    expect(text).toContain('What the runs cost (price list us-east-1 2026-11-01):');
    expect(text).toMatch(/NA12878 +│ COMPLETED +│ +1 │ +\$0\.0019 │ +\$0\.0012 │ +\$0\.0031 │/);
    expect(text).toMatch(/NA19239 +│ FAILED +│ +1 │ +\$0\.0018 │ +\$0\.0001 │ +\$0\.0019 │/);
    expect(text).toMatch(/QC +│ COMPLETED +│ +1 │ +\$0\.0019 │ +\$0\.0002 │ +\$0\.0021 │/);
    expect(text).toContain(
      'Batch total: $0.012 (compute $0.0094, storage $0.003), 5 runs priced; price list us-east-1 2026-11-01',
    );
    expect(text).not.toContain('did not finish');
    expect(text.indexOf('NA19239')).toBeLessThan(text.indexOf('QC '));
  });

  it('prints what is known and says so when pricing did not finish in time', () => {
    const { batch, launches } = finishedFlowcell({ qcPriced: false });

    const text = plainText(demoCostLines(batch, launches, { complete: false, waitedMs: 30_000 }));

    expect(text).toContain(
      'Pricing did not finish within 30 s: 4 of 5 runs priced. Below is what is known; `gwm status b1` shows the rest once it is priced.',
    );
    expect(text).toMatch(/QC +│ COMPLETED +│ +1 │ +│ +│ pricing… │/);
    expect(text).toContain(
      'Batch total: $0.01 (compute $0.0075, storage $0.0028), 4 of 5 runs priced so far',
    );
  });

  it('waits until every run of the batch is priced, on the launches and on the batch', () => {
    const unpriced = finishedFlowcell({ qcPriced: false });
    const priced = finishedFlowcell({ qcPriced: true });
    const batchBehind = { batch: unpriced.batch, launches: priced.launches };

    expect(allRunsPriced(unpriced)).toBe(false);
    expect(allRunsPriced(batchBehind)).toBe(false);
    expect(allRunsPriced(priced)).toBe(true);
  });
});
