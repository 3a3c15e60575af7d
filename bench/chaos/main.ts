/**
 * The chaos harness: whole batches through the real handlers on the embedded runtime, with seeded
 * faults at every boundary and kill -9 of the whole stack, then the invariants after quiescence.
 * Usage: npm run chaos [-- --seed 7 --samples 1000 --batches 4 --faults all --json]
 * Exits 1 on any violation, naming the seed to replay. See docs/chaos.md.
 */
import { parseArgs } from 'node:util';
import { makePlan, parseFaults } from './plan.js';
import { printReport } from './report.js';
import { CANCEL_SUPPORTED, runChaos } from './run.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { values } = parseArgs({
  options: {
    seed: { type: 'string' },
    samples: { type: 'string', default: '1000' },
    batches: { type: 'string', default: '4' },
    faults: { type: 'string', default: 'all' },
    'run-seconds': { type: 'string', default: '3' },
    'fail-rate': { type: 'string', default: '0.1' },
    rate: { type: 'string', default: '40' },
    'timeout-s': { type: 'string' },
    'reconcile-every-ms': { type: 'string', default: '2000' },
    setting: { type: 'string', multiple: true, default: [] },
    'keep-state': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'all-faults': { type: 'boolean', default: false },
    quiet: { type: 'boolean', default: false },
  },
});

function number(name: string, text: string | undefined, check: (n: number) => boolean): number {
  const value = Number(text);
  if (text === undefined || !Number.isFinite(value) || !check(value))
    throw new Error(`--${name} ${text} is not valid`);
  return value;
}

async function main() {
  const seed = values.seed ?? String(Math.floor(Math.random() * 1_000_000));
  const samples = number('samples', values.samples, (n) => Number.isInteger(n) && n > 0);
  const batches = number('batches', values.batches, (n) => Number.isInteger(n) && n > 0);
  const runSeconds = number('run-seconds', values['run-seconds'], (n) => n > 0);
  const startRunRate = number('rate', values.rate, (n) => n > 0);
  const plan = makePlan({
    seed,
    samples,
    batches,
    faults: parseFaults(values.faults ?? 'all'),
    runSeconds,
    failRate: number('fail-rate', values['fail-rate'], (n) => n >= 0 && n <= 1),
    startRunRate,
    cancelSupported: CANCEL_SUPPORTED,
  });
  const settings = Object.fromEntries(
    (values.setting ?? []).map((pair) => {
      const at = pair.indexOf('=');
      if (at < 1) throw new Error(`--setting ${pair}: expected KEY=VALUE`);
      return [pair.slice(0, at), pair.slice(at + 1)];
    }),
  );
  // Launching, the runs, and the reconciler's smallest thresholds (1 minute; 4 for a notification) twice over.
  const defaultTimeoutS = Math.ceil(samples / (startRunRate / 2) + runSeconds * 6 + 600);
  const timeoutMs = number('timeout-s', values['timeout-s'] ?? String(defaultTimeoutS), (n) => n > 0) * 1000;
  const progress =
    values.json || values.quiet ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
  const report = await runChaos({
    plan,
    settings,
    timeoutMs,
    reconcileEveryMs: number('reconcile-every-ms', values['reconcile-every-ms'], (n) => n >= 0),
    keepState: values['keep-state'] ?? false,
    progress,
  });
  if (values.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else
    printReport(report, (line) => process.stdout.write(`${line}\n`), {
      allFaults: values['all-faults'] ?? false,
    });
  process.exitCode = report.violations > 0 ? 1 : 0;
}

main().catch((error: Error) => {
  process.stderr.write(`chaos: ${error.stack ?? error.message}\n`);
  process.exitCode = 2;
});
