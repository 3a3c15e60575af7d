import { timingsTable } from '../launcher-timings.js';
import { fmt, fmtSeconds, table } from '../stats.js';
import { type ModeFigures, preciseSeconds, SLICE_MS } from './figures.js';
import { lastWaitTargetMs, SHARE_TOLERANCE } from './judge.js';
import type { Settings } from './settings.js';

// The figures of each launch order as the tables the bench prints.

const seconds = (ms: number) => (Number.isFinite(ms) ? fmtSeconds(ms) : 'n/a');

export function printMode(figures: ModeFigures): void {
  const out: string[] = [''];
  out.push(
    `== ${figures.mode}: ${fmtSeconds(figures.wallMs)} wall time${figures.finished ? '' : ' (TIMED OUT)'} ==`,
  );
  out.push('');
  const rows: string[][] = [
    [
      'team',
      'weight',
      'priority',
      'samples',
      'uploaded at',
      '-> registered',
      '-> first StartRun',
      '-> last StartRun',
      'started',
      'batch',
    ],
  ];
  for (const team of figures.teams) {
    rows.push([
      team.team,
      fmt(team.weight),
      team.priority,
      fmt(team.samples),
      seconds(team.uploadOffsetMs),
      seconds(team.toRegisteredMs),
      seconds(team.toFirstStartMs),
      seconds(team.toLastStartMs),
      fmt(team.started),
      team.status,
    ]);
  }
  out.push(table(rows));
  out.push('  (uploaded at: after A\u2019s upload; the other times: after the team\u2019s own upload)');
  out.push(
    '  (C\u2019s share = n_C / (n_A + n_C), StartRuns by the engine\u2019s creationTime in [t0, t1]: t1 = the earlier of A\u2019s and C\u2019s last StartRun; t0 = the later of C ready (registeredAt or first StartRun) and B\u2019s last StartRun, or C ready with B left out when B ends after t1)',
  );
  const { share, pacing, checks } = figures;
  out.push('');
  out.push(
    table([
      [
        "C's share while A and C wait",
        share
          ? `${fmt(share.startsC)} / (${fmt(share.startsA)} + ${fmt(share.startsC)}) = ${fmt(share.share, 3)} over ${seconds(share.fromMs)}..${seconds(share.toMs)} (${share.from})`
          : 'n/a',
      ],
      [
        'StartRun pacing, first to last StartRun',
        `${fmt(pacing.starts - 1)} / ${seconds(pacing.spanMs)} = ${fmt(pacing.achievedRate, 2)}/s (${fmt(100 * pacing.ratio, 1)} % of ${figures.rate}/s)`,
      ],
      [
        'StartRun calls / runs (throttled by the engine)',
        `${fmt(figures.startRunCalls)} / ${fmt(pacing.starts)} (${fmt(figures.throttled)})`,
      ],
      [
        'launches: expected, no item, attempt without run, duplicate runs, not started',
        `${fmt(checks.expected)}, ${checks.missingItems}, ${checks.lost}, ${checks.duplicated}, ${checks.notStarted}`,
      ],
      ['stray runs, items naming another run', `${checks.strayRuns}, ${checks.runIdMismatch}`],
      [
        'last batch finished -> stream consumers caught up',
        `${seconds(figures.settleMs)}${figures.settled ? '' : ' (gave up)'}`,
      ],
    ]),
  );
  console.log(out.join('\n'));
  if (figures.launcherTimings) {
    console.log('');
    console.log(
      '  launcher, per StartRun (--diagnose; calls overlap: up to LAUNCHER_PARALLEL_LAUNCHES at once)',
    );
    console.log(timingsTable(figures.launcherTimings, pacing.starts, 'StartRun', '    '));
    console.log('');
    printSlices(figures);
    console.log(
      `  whose launch each StartRun started, from B's upload to B's last StartRun: ${figures.sequenceWhileB}`,
    );
  }
}

/** StartRuns per team in each slice of time (--diagnose): how the rate was shared, as it went. */
function printSlices(figures: ModeFigures): void {
  const rows: string[][] = [['after A\u2019s upload', 'A', 'B', 'C', 'all', 'C / (A + C)']];
  figures.slices.forEach((slice, index) => {
    const all = slice.a + slice.b + slice.c;
    const share = slice.a + slice.c > 0 ? fmt(slice.c / (slice.a + slice.c), 2) : '';
    rows.push([
      `${fmt((index * SLICE_MS) / 1000)}..${fmt(((index + 1) * SLICE_MS) / 1000)} s`,
      fmt(slice.a),
      fmt(slice.b),
      fmt(slice.c),
      fmt(all),
      share,
    ]);
  });
  console.log('  StartRuns per team, by the engine\u2019s creationTime (--diagnose)');
  console.log(table(rows, '    '));
}

/** The launch orders side by side: the fair-share targets beside the figures. */
export function printComparison(modes: readonly ModeFigures[], settings: Settings): void {
  const header = ['figure', ...modes.map((mode) => mode.mode), 'target (fair-share)'];
  const row = (name: string, pick: (mode: ModeFigures) => string, target: string) => [
    name,
    ...modes.map(pick),
    target,
  ];
  const rows = [
    header,
    row('B: upload -> first StartRun', (mode) => preciseSeconds(mode.b.firstWaitMs), '<= 2.00 s'),
    row(
      'B: upload -> last StartRun',
      (mode) => preciseSeconds(mode.b.lastWaitMs),
      `<= ${preciseSeconds(lastWaitTargetMs(settings))}`,
    ),
    row(
      "C's share while A and C wait",
      (mode) => (mode.share ? fmt(mode.share.share, 3) : 'n/a'),
      `0.5 +/- ${fmt(100 * SHARE_TOLERANCE)} %`,
    ),
    row('StartRun pacing', (mode) => `${fmt(100 * mode.pacing.ratio, 1)} %`, `>= 95 % of ${settings.rate}/s`),
    row('launches lost / duplicated', (mode) => `${mode.checks.lost} / ${mode.checks.duplicated}`, '0 / 0'),
  ];
  console.log('');
  console.log('launch orders compared');
  console.log(table(rows));
}
