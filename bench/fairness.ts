/**
 * Fairness on the embedded runtime: team A uploads a 2,000-sample batch; `--gap-s` (10 s) later
 * team B uploads 12 samples marked urgent; as long again later team C (weight 1, like A) uploads
 * 200 at normal priority. Every team has weight 1: B's priority is what must get it through. The
 * StartRun rate is real (`--rate`, 10/s by default: the default 1/s would take 37 minutes per
 * launch order); the runs are simulated on a compressed timetable and finish in seconds.
 * The same uploads run twice, each launch order on a fresh stack in a child process of its own:
 * LAUNCH_ORDER=fair-share (judged) and stream-order (for comparison).
 * Usage: npm run bench:fairness [-- --samples-a 2000 --samples-b 12 --samples-c 200 --rate 10 --json]
 * See docs/benchmark.md (Fairness) for what each figure means.
 */
import { fileURLToPath } from 'node:url';
import type { LaunchOrder } from '../domain/scheduling/fair-share.js';
import { computeFigures, type ModeFigures } from './fairness/figures.js';
import { judge } from './fairness/judge.js';
import { measureMode } from './fairness/measure.js';
import { printComparison, printMode } from './fairness/report.js';
import { readSettings, values } from './fairness/settings.js';
import { loadAverage, replyToParent, runBench, runInChild } from './harness.js';
import { fmt, fmtSeconds, table } from './stats.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

async function child(mode: string) {
  await replyToParent(computeFigures(await measureMode(readSettings(), mode as LaunchOrder)));
}

async function main() {
  const settings = readSettings();
  const { a, b, c } = settings.samples;
  console.log(
    `A ${fmt(a)} samples (normal), B ${fmt(b)} (urgent) ${fmtSeconds(settings.gapMs)} later, C ${fmt(c)} (normal) ${fmtSeconds(settings.gapMs)} after B; weights 1/1/1; StartRun ${settings.rate}/s burst ${settings.burst} (engine quota ${settings.engineRate}/s); runs ${settings.hours} h at ${settings.compression}x; timeout ${fmtSeconds(settings.timeoutMs)} per launch order`,
  );
  console.log(`machine load average (1, 5, 15 min) at start: ${loadAverage()}`);
  const modes: ModeFigures[] = [];
  for (const mode of settings.modes) {
    const figures = await runInChild<ModeFigures>(
      fileURLToPath(import.meta.url),
      mode,
      settings.timeoutMs + 60_000,
    );
    modes.push(figures);
    printMode(figures);
  }
  if (modes.length > 1) printComparison(modes, settings);
  const fair = modes.find((mode) => mode.mode === 'fair-share');
  const targets = fair ? judge(fair, settings) : [];
  if (fair) {
    console.log('');
    console.log('targets (fair-share)');
    console.log(
      table(
        targets.map((target) => [target.name, target.value, target.target, target.pass ? 'PASS' : 'FAIL']),
      ),
    );
  }
  console.log(`machine load average (1, 5, 15 min) at the end: ${loadAverage()}`);
  const pass = targets.every((target) => target.pass);
  if (values.json) console.log(JSON.stringify({ settings, modes, targets, pass }));
  process.exitCode = pass ? 0 : 1;
}

runBench(values.child, child, main);
