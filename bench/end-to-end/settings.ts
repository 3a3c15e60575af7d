import { parseArgs } from 'node:util';
import { count, numberOption, readPacing, readRunTiming } from '../harness.js';
import type { SimulationSettings } from '../simulated-workflow.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The bench's command line and the settings every contender runs with.

export const { values } = parseArgs({
  options: {
    samples: { type: 'string', default: '1000' },
    hours: { type: 'string', default: '6' },
    compression: { type: 'string', default: '720' },
    rate: { type: 'string', default: '20' },
    burst: { type: 'string', default: '2' },
    'engine-rate': { type: 'string' },
    'fail-rate': { type: 'string', default: '0.01' },
    seed: { type: 'string', default: 'gwm-bench' },
    rounds: { type: 'string', default: '1' },
    'timeout-s': { type: 'string' },
    'baseline-workers': { type: 'string', default: '2' },
    'skip-baseline': { type: 'boolean', default: false },
    diagnose: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    child: { type: 'string' },
  },
});

export interface Settings extends SimulationSettings {
  samples: number;
  rate: number;
  burst: number;
  engineRate: number;
  rounds: number;
  timeoutMs: number;
  baselineWorkers: number;
  skipBaseline: boolean;
  diagnose: boolean;
}

export function readSettings(): Settings {
  const { rate, burst, engineRate } = readPacing(values);
  const samples = numberOption('samples', values.samples, count);
  // A minute, and three times the time the launches and the longest run should take.
  const { hours, compression, timeoutMs } = readRunTiming(values, samples, rate, { minimumS: 60, factor: 3 });
  return {
    samples,
    hours,
    compression,
    rate,
    burst,
    engineRate,
    failRate: numberOption('fail-rate', values['fail-rate'], (n) => n >= 0 && n <= 1),
    seed: values.seed ?? 'gwm-bench',
    rounds: numberOption('rounds', values.rounds, count),
    timeoutMs,
    baselineWorkers: numberOption('baseline-workers', values['baseline-workers'], count),
    skipBaseline: values['skip-baseline'] ?? false,
    diagnose: values.diagnose ?? false,
  };
}
