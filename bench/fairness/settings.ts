import { parseArgs } from 'node:util';
import { LAUNCH_ORDERS, type LaunchOrder } from '../../domain/scheduling/fair-share.js';
import { count, numberOption, readPacing, readRunTiming } from '../harness.js';
import type { SimulationSettings } from '../simulated-workflow.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The fairness bench's command line and the settings each launch order runs with.

export const { values } = parseArgs({
  options: {
    'samples-a': { type: 'string', default: '2000' },
    'samples-b': { type: 'string', default: '12' },
    'samples-c': { type: 'string', default: '200' },
    /** Seconds between A's upload and B's, and between B's and C's. */
    'gap-s': { type: 'string', default: '10' },
    rate: { type: 'string', default: '10' },
    burst: { type: 'string', default: '2' },
    'engine-rate': { type: 'string' },
    hours: { type: 'string', default: '1' },
    compression: { type: 'string', default: '720' },
    seed: { type: 'string', default: 'gwm-fairness' },
    modes: { type: 'string', default: LAUNCH_ORDERS.join(',') },
    'timeout-s': { type: 'string' },
    diagnose: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

export interface Settings extends SimulationSettings {
  samples: { a: number; b: number; c: number };
  gapMs: number;
  rate: number;
  burst: number;
  engineRate: number;
  modes: LaunchOrder[];
  /** Per launch order: from the stack's start to the last batch finished. */
  timeoutMs: number;
  /** Time the launcher's calls and print StartRuns per team in 10 s slices. */
  diagnose: boolean;
}

export function readSettings(): Settings {
  const { rate, burst, engineRate } = readPacing(values);
  const samples = {
    a: numberOption('samples-a', values['samples-a'], count),
    b: numberOption('samples-b', values['samples-b'], count),
    c: numberOption('samples-c', values['samples-c'], count),
  };
  const gapMs = numberOption('gap-s', values['gap-s'], (n) => n >= 0) * 1000;
  // Two minutes, and twice the time every launch and the last runs should take.
  const total = samples.a + samples.b + samples.c;
  const { hours, compression, timeoutMs } = readRunTiming(values, total, rate, { minimumS: 120, factor: 2 });
  const modes = (values.modes ?? '').split(',').map((mode) => mode.trim());
  for (const mode of modes) {
    if (!(LAUNCH_ORDERS as readonly string[]).includes(mode))
      throw new Error(`--modes ${values.modes}: each one of ${LAUNCH_ORDERS.join(', ')}`);
  }
  return {
    samples,
    gapMs,
    rate,
    burst,
    engineRate,
    hours,
    compression,
    seed: values.seed ?? 'gwm-fairness',
    failRate: 0,
    modes: modes as LaunchOrder[],
    timeoutMs,
    diagnose: values.diagnose ?? false,
  };
}
