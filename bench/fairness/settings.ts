import { parseArgs } from 'node:util';
import { LAUNCH_ORDERS, type LaunchOrder } from '../../domain/scheduling/fair-share.js';
import type { SimulationSettings } from '../polling-baseline.js';

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
  const number = (name: string, text: string | undefined, check: (n: number) => boolean) => {
    const value = Number(text);
    if (text === undefined || !Number.isFinite(value) || !check(value)) {
      throw new Error(`--${name} ${text} is not valid`);
    }
    return value;
  };
  const positive = (n: number) => n > 0;
  const count = (n: number) => Number.isInteger(n) && n > 0;
  const samples = {
    a: number('samples-a', values['samples-a'], count),
    b: number('samples-b', values['samples-b'], count),
    c: number('samples-c', values['samples-c'], count),
  };
  const rate = number('rate', values.rate, positive);
  const burst = number('burst', values.burst, count);
  // Above gwm's pace by the bucket's burst and a margin, as in bench/end-to-end: the engine counts
  // a rolling second and a token bucket lets through at most rate + burst calls in one.
  const engineRate = number(
    'engine-rate',
    values['engine-rate'] ?? String(Math.ceil(rate * 1.1) + burst + 1),
    (n) => n > rate,
  );
  const gapMs = number('gap-s', values['gap-s'], (n) => n >= 0) * 1000;
  const hours = number('hours', values.hours, positive);
  const compression = number('compression', values.compression, positive);
  const modes = (values.modes ?? '').split(',').map((mode) => mode.trim());
  for (const mode of modes) {
    if (!(LAUNCH_ORDERS as readonly string[]).includes(mode))
      throw new Error(`--modes ${values.modes}: each one of ${LAUNCH_ORDERS.join(', ')}`);
  }
  // Every launch at the paced rate, then the last runs (STARTING up to 15 min, RUNNING + 10 %), twice over.
  const total = samples.a + samples.b + samples.c;
  const expectedS = total / rate + (hours * 3600 * 1.1 + 900) / compression;
  const timeoutMs =
    number('timeout-s', values['timeout-s'] ?? String(Math.ceil(120 + 2 * expectedS)), positive) * 1000;
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
