import type { SimulatedWorkflow } from '../../infra/local/engine/index.js';
import { seededUnit } from '../../infra/local/faults.js';
import type { SimulationPlan } from './plan.js';

/**
 * The chaos run's workflows, simulated by the local engine on a compressed timetable. A sample's
 * first run fails at the plan's rate; a rerun (a console RETRY) often fails again within a
 * moment, so a batch sees retries that end before the aggregator notices them running.
 */
export function chaosWorkflows(simulation: SimulationPlan): {
  sample: SimulatedWorkflow;
  qc: SimulatedWorkflow;
} {
  const runsSeen = new Map<string, number>();
  const nth = (key: string) => {
    const n = runsSeen.get(key) ?? 0;
    runsSeen.set(key, n + 1);
    return n;
  };
  const unit = (...parts: Array<string | number>) => seededUnit(simulation.seed, 'run', ...parts);
  const runningMs = (key: string, n: number) =>
    Math.floor(simulation.runSeconds * 1000 * (0.5 + unit('running', key, n)));
  return {
    sample: {
      name: 'chaos-sample',
      simulate: ({ parameters }) => {
        const key = `${String(parameters.batch)}/${String(parameters.sample)}`;
        const n = nth(key);
        const failRate = n === 0 ? simulation.failRate : simulation.failRate * 3;
        const failed = unit('outcome', key, n) < failRate;
        const fast = n > 0 && unit('fast', key, n) < 0.5;
        return {
          startingMs: Math.floor(200 * unit('starting', key, n)),
          runningMs: fast ? 20 : runningMs(key, n),
          status: failed ? 'FAILED' : 'COMPLETED',
          ...(failed ? { failureReason: `Simulated failure of ${key} (run ${n + 1} in this engine)` } : {}),
        };
      },
    },
    qc: {
      name: 'chaos-qc',
      simulate: ({ parameters }) => {
        const key = `qc/${String(parameters.batch)}`;
        const n = nth(key);
        // The first QC run of a batch fails for a third of the batches: QC retries happen.
        const failed = n === 0 && unit('qc-outcome', key) < 1 / 3;
        return {
          startingMs: 100,
          runningMs: runningMs(key, n),
          status: failed ? 'FAILED' : 'COMPLETED',
          ...(failed ? { failureReason: `Simulated QC failure of ${key}` } : {}),
        };
      },
    },
  };
}
