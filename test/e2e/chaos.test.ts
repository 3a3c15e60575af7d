import { describe, expect, it } from 'vitest';
import { makePlan, parseFaults, stackFaultPlan } from '../../bench/chaos/plan.js';
import { CANCEL_SUPPORTED, type ChaosReport, runChaos } from '../../bench/chaos/run.js';
import { replaysAsInjected } from '../../infra/local/faults.js';

/**
 * A small seed of `npm run chaos` (docs/chaos.md): two batches of twelve samples with every fault
 * on, one kill -9 of the whole stack and a restart, then every invariant judged.
 */
const SEED = '20261204';
const plan = makePlan({ ...planInput(), seed: SEED });

describe(`chaos, seed ${SEED}`, () => {
  let report: ChaosReport;

  it('runs both batches through every fault and a kill -9, and breaks no invariant', async () => {
    // Act
    report = await runChaos({
      plan,
      settings: {},
      // The batches settle in about a minute; the reconciler's thresholds are seconds (stack-process.ts).
      timeoutMs: 300_000,
      reconcileEveryMs: 2_000,
      keepState: false,
      progress: () => {},
    });
    // Assess: the faults really happened, then the verdict, invariant by invariant.
    expect(report.faultCounts['kill-9']).toBe(1);
    for (const kind of [
      'handler-crash',
      'event-duplicate',
      'startrun-throttle',
      's3-duplicate',
      'stream-redeliver',
    ])
      expect(report.faultCounts[kind] ?? 0, kind).toBeGreaterThan(0);
    const checked = Object.fromEntries(report.invariants.map((r) => [r.name, r.checked]));
    expect(checked['launch-matches-engine']).toBeGreaterThanOrEqual(24);
    expect(checked['batch-counts']).toBe(2);
    // Runs were priced through the faults, and each is in its batch's cost once.
    expect(checked['cost-once']).toBeGreaterThan(0);
    const violations = report.invariants.flatMap((r) =>
      r.violations.map((v) => `${v.invariant}: ${v.subject}: ${v.detail}`),
    );
    expect(violations, `replay with: npm run chaos -- --seed ${SEED} --samples 24 --batches 2`).toEqual([]);
  }, 360_000);

  it('reproduces its faults from the seed: every fault the stack made replays as made', () => {
    expect(report, 'the run above did not finish').toBeDefined();
    const stackFaults = report.faults.filter((fault) => fault.life !== undefined);
    expect(stackFaults.length).toBeGreaterThan(0);
    const notReplayed = stackFaults.filter(
      (fault) =>
        !replaysAsInjected(stackFaultPlan(plan, fault.life ?? 0), {
          kind: fault.kind,
          target: fault.target,
          occurrence: fault.occurrence ?? 0,
        }),
    );
    expect(notReplayed).toEqual([]);
    expect(makePlan({ ...planInput(), seed: SEED })).toEqual(plan);
  });
});

function planInput() {
  return {
    samples: 24,
    batches: 2,
    // The outage is still longer than the completion consumer's retries (about 16 s).
    faults: parseFaults('all,notifierOutageMs=20000'),
    runSeconds: 2,
    failRate: 0.15,
    startRunRate: 40,
    cancelSupported: CANCEL_SUPPORTED,
  };
}
