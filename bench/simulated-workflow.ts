/**
 * The simulated workflow the end-to-end and fairness benchmarks run on the local engine, gwm and
 * the polling baseline alike: each sample's run length and outcome come from a seed, so every
 * contender and every process sees the same plan.
 */

import type { SimulatedOutcome, SimulatedWorkflow } from '../infra/local/engine/index.js';
import { seededUniform } from './stats.js';

/** The numeric workflow id StartRun names; the engine runs the simulated workflow under it. */
export const BENCH_WORKFLOW_ID = '4200001';
export const BENCH_ROLE_ARN = 'arn:aws:iam::123456789012:role/gwm-bench-omics';

export interface SimulationSettings {
  /** Simulated length of a run's RUNNING phase, hours (before jitter). */
  hours: number;
  /** Simulated seconds per real second. */
  compression: number;
  /** Same seed, same run lengths and outcomes per sample, in every process. */
  seed: string;
  /** Fraction of samples whose run ends FAILED (seeded per sample). */
  failRate: number;
}

/** RUNNING lasts hours × (1 ± RUN_JITTER); STARTING lasts STARTING_MINUTES × (0.5 .. 1.5), simulated. */
const RUN_JITTER = 0.1;
const STARTING_MINUTES = 10;

export interface SamplePlan extends SimulatedOutcome {
  sampleId: string;
  /** Simulated seconds from StartRun to the terminal status. */
  simulatedSeconds: number;
}

export function planFor(settings: SimulationSettings, sampleId: string): SamplePlan {
  const runningSeconds =
    settings.hours * 3600 * (1 + RUN_JITTER * (2 * seededUniform(settings.seed, `run:${sampleId}`) - 1));
  const startingSeconds =
    STARTING_MINUTES * 60 * (0.5 + seededUniform(settings.seed, `starting:${sampleId}`));
  const failed = seededUniform(settings.seed, `outcome:${sampleId}`) < settings.failRate;
  return {
    sampleId,
    startingMs: (startingSeconds / settings.compression) * 1000,
    runningMs: (runningSeconds / settings.compression) * 1000,
    status: failed ? 'FAILED' : 'COMPLETED',
    ...(failed ? { failureReason: `Simulated failure of ${sampleId} (seeded)` } : {}),
    simulatedSeconds: startingSeconds + runningSeconds,
  };
}

/** The run's `sample` parameter says which sample it is, so both contenders get the same plan. */
export function simulatedWorkflow(settings: SimulationSettings): SimulatedWorkflow {
  return {
    name: 'bench-simulated',
    simulate: ({ parameters }) => {
      const sampleId = parameters.sample;
      if (typeof sampleId !== 'string') throw new Error('the run has no "sample" parameter');
      const { sampleId: _id, simulatedSeconds: _seconds, ...outcome } = planFor(settings, sampleId);
      return outcome;
    },
  };
}

export function sampleIds(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `S${String(index + 1).padStart(5, '0')}`);
}

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'DELETED',
]);
