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
import { type ChildProcess, fork } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { LaunchOrder } from '../domain/scheduling/fair-share.js';
import { computeFigures, type ModeFigures } from './fairness/figures.js';
import { judge } from './fairness/judge.js';
import { measureMode, progress } from './fairness/measure.js';
import { printComparison, printMode } from './fairness/report.js';
import { readSettings, type Settings, values } from './fairness/settings.js';
import { fmt, fmtSeconds, table } from './stats.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function inChild(mode: LaunchOrder, settings: Settings): Promise<ModeFigures> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = fork(
      fileURLToPath(import.meta.url),
      [...process.argv.slice(2), '--child', mode],
      {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    );
    let result: ModeFigures | undefined;
    // The child has its own deadline and stops its stack; this one is for a child that hangs.
    const guard = setTimeout(() => {
      progress(`${mode}: no answer ${fmtSeconds(settings.timeoutMs + 60_000)} after it started; stopping it`);
      child.kill('SIGTERM');
    }, settings.timeoutMs + 60_000);
    child.once('message', (message) => {
      result = message as ModeFigures;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(guard);
      if (code === 0 && result) resolve(result);
      else reject(new Error(`the ${mode} run failed (exit code ${code})`));
    });
  });
}

async function child(mode: LaunchOrder) {
  const figures = computeFigures(await measureMode(readSettings(), mode));
  const send = process.send?.bind(process);
  // Run by hand (to look at one launch order), the figures go to stdout.
  if (!send) return console.log(JSON.stringify(figures, null, 2));
  await new Promise<void>((resolve, reject) =>
    send(figures, undefined, undefined, (error: Error | null) => (error ? reject(error) : resolve())),
  );
}

async function main() {
  const settings = readSettings();
  const load = () =>
    loadavg()
      .map((value) => value.toFixed(2))
      .join(' ');
  const { a, b, c } = settings.samples;
  console.log(
    `A ${fmt(a)} samples (normal), B ${fmt(b)} (urgent) ${fmtSeconds(settings.gapMs)} later, C ${fmt(c)} (normal) ${fmtSeconds(settings.gapMs)} after B; weights 1/1/1; StartRun ${settings.rate}/s burst ${settings.burst} (engine quota ${settings.engineRate}/s); runs ${settings.hours} h at ${settings.compression}x; timeout ${fmtSeconds(settings.timeoutMs)} per launch order`,
  );
  console.log(`machine load average (1, 5, 15 min) at start: ${load()}`);
  const modes: ModeFigures[] = [];
  for (const mode of settings.modes) {
    const figures = await inChild(mode, settings);
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
  console.log(`machine load average (1, 5, 15 min) at the end: ${load()}`);
  const pass = targets.every((target) => target.pass);
  if (values.json) console.log(JSON.stringify({ settings, modes, targets, pass }));
  process.exitCode = pass ? 0 : 1;
}

if (values.child) {
  child(values.child as LaunchOrder).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  // 1: a target missed; 2: the bench itself failed (a timeout, a crash).
  main().catch((error) => {
    console.error(error);
    process.exit(2);
  });
}
