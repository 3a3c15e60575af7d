/**
 * End to end on the embedded runtime: a whole batch (1,000 samples by default) uploaded as a
 * manifest, registered, launched at the paced StartRun rate, tracked from the engine's run status
 * events to the end, and notified; then the same batch driven by the polling baseline
 * (bench/polling-baseline.ts). Runs are simulated by the local engine on a compressed timetable
 * (`--compression` simulated seconds per real second), so six-hour runs take seconds.
 * Each contender runs in a child process of its own (a fresh stack, a fresh engine); with
 * `--rounds` above 1 the figures judged are the medians of the rounds.
 * Usage: npm run bench [-- --samples 1000 --hours 6 --compression 720 --rate 20 --json]
 * See docs/benchmark.md for what each figure means.
 */
import { fileURLToPath } from 'node:url';
import type { GwmFigures } from './end-to-end/figures.js';
import { judge } from './end-to-end/judge.js';
import { measureGwm } from './end-to-end/measure-gwm.js';
import { printRound, type Round } from './end-to-end/report.js';
import { readSettings, type Settings, values } from './end-to-end/settings.js';
import { loadAverage, now, progress, replyToParent, runBench, runInChild } from './harness.js';
import { type BaselineFigures, runPollingBaseline } from './polling-baseline.js';
import { fmt, fmtSeconds, table } from './stats.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// ---------------------------------------------------------------------------------------------
// The parent: runs each contender in a child process, prints and judges the figures.

type ChildResult = { kind: 'gwm'; figures: GwmFigures } | { kind: 'baseline'; figures: BaselineFigures };

const inChild = (kind: 'gwm' | 'baseline', settings: Settings) =>
  runInChild<ChildResult>(fileURLToPath(import.meta.url), kind, settings.timeoutMs + 60_000);

async function child(kind: string) {
  const settings = readSettings();
  await replyToParent(
    kind === 'gwm'
      ? { kind: 'gwm', figures: await measureGwm(settings) }
      : {
          kind: 'baseline',
          figures: await runPollingBaseline({
            ...settings,
            engineStartRunRatePerSecond: settings.engineRate,
            workers: settings.baselineWorkers,
            timeoutMs: settings.timeoutMs,
            progress,
          }),
        },
  );
}

async function main() {
  const settings = readSettings();
  console.log(
    `${fmt(settings.samples)} samples, ${settings.hours} h runs (\u00b110 %, ${fmt(100 * settings.failRate, 1)} % FAILED, seed ${settings.seed}), compression ${settings.compression}x (a run \u2248 ${fmtSeconds((settings.hours * 3600 * 1000) / settings.compression)}), StartRun ${settings.rate}/s burst ${settings.burst} (engine quota ${settings.engineRate}/s), ${settings.rounds} round(s), timeout ${fmtSeconds(settings.timeoutMs)} per run`,
  );
  console.log(`machine load average (1, 5, 15 min) at start: ${loadAverage()}`);
  const rounds: Round[] = [];
  for (let index = 1; index <= settings.rounds; index++) {
    let started = now();
    const gwm = await inChild('gwm', settings);
    const gwmWallMs = now() - started;
    if (gwm.kind !== 'gwm') throw new Error('unexpected child answer');
    let baseline: ChildResult | undefined;
    let baselineWallMs: number | undefined;
    if (!settings.skipBaseline) {
      started = now();
      try {
        baseline = await inChild('baseline', settings);
      } catch (error) {
        // What gwm measured is still worth reading.
        printRound(index, { gwm: gwm.figures, gwmWallMs }, settings);
        throw error;
      }
      baselineWallMs = now() - started;
    }
    const round: Round = {
      gwm: gwm.figures,
      baseline: baseline?.kind === 'baseline' ? baseline.figures : undefined,
      gwmWallMs,
      baselineWallMs,
    };
    rounds.push(round);
    printRound(index, round, settings);
  }
  const targets = judge(rounds, settings);
  console.log('');
  console.log(
    `targets${settings.rounds > 1 ? ` (medians of ${settings.rounds} rounds; checks: worst round)` : ''}`,
  );
  console.log(
    table(targets.map((target) => [target.name, target.value, target.target, target.pass ? 'PASS' : 'FAIL'])),
  );
  console.log(`machine load average (1, 5, 15 min) at the end: ${loadAverage()}`);
  const pass = targets.every((target) => target.pass);
  if (values.json) console.log(JSON.stringify({ settings, rounds, targets, pass }));
  process.exitCode = pass ? 0 : 1;
}

runBench(values.child, child, main);
