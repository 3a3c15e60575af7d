import { fmt } from '../stats.js';
import { type ModeFigures, preciseSeconds } from './figures.js';
import type { Settings } from './settings.js';

// The targets, on the fair-share run only (stream order is there to compare with).

export interface Target {
  name: string;
  value: string;
  target: string;
  pass: boolean;
}

/** B may wait this long for its last StartRun: its own launches at the full rate, plus 2 s. */
export function lastWaitTargetMs(settings: Settings): number {
  return (settings.samples.b / settings.rate) * 1000 + 2_000;
}

/** C's share may be this far (relative) from its weight share. */
export const SHARE_TOLERANCE = 0.1;

export function judge(fair: ModeFigures, settings: Settings): Target[] {
  const { b, share, pacing, checks } = fair;
  const lastTarget = lastWaitTargetMs(settings);
  const deviation = share ? Math.abs(share.deviation) : Number.NaN;
  const wrong = checks.strayRuns + checks.runIdMismatch;
  return [
    {
      name: 'B (urgent): upload -> first StartRun',
      value: preciseSeconds(b.firstWaitMs),
      target: '<= 2.00 s',
      pass: b.firstWaitMs <= 2_000,
    },
    {
      name: 'B (urgent): upload -> last StartRun',
      value: preciseSeconds(b.lastWaitMs),
      target: `<= ${settings.samples.b} / ${settings.rate} + 2 s = ${preciseSeconds(lastTarget)}`,
      pass: b.lastWaitMs <= lastTarget,
    },
    {
      name: "C's share while A and C wait",
      value: share
        ? `${fmt(share.share, 3)} (${share.deviation >= 0 ? '+' : ''}${fmt(100 * share.deviation, 1)} %)`
        : 'no window',
      target: share
        ? `${fmt(share.expected, 3)} +/- ${fmt(100 * SHARE_TOLERANCE)} % = ${fmt(share.expected * (1 - SHARE_TOLERANCE), 3)}..${fmt(share.expected * (1 + SHARE_TOLERANCE), 3)}`
        : `its weight share +/- ${fmt(100 * SHARE_TOLERANCE)} %`,
      pass: deviation <= SHARE_TOLERANCE,
    },
    {
      name: 'StartRun pacing (first to last StartRun)',
      value: `${fmt(pacing.achievedRate, 2)}/s = ${fmt(100 * pacing.ratio, 1)} % of ${settings.rate}/s`,
      target: '>= 95 %',
      pass: pacing.ratio >= 0.95,
    },
    {
      name: 'launches lost (attempt without a run) / duplicated',
      value: `${checks.lost} / ${checks.duplicated}`,
      target: '0 / 0',
      pass: checks.lost === 0 && checks.duplicated === 0,
    },
    {
      name: 'launch items missing / not started at the end',
      value: `${checks.missingItems} / ${checks.notStarted}`,
      target: '0 / 0',
      pass: checks.missingItems === 0 && checks.notStarted === 0,
    },
    {
      name: 'stray runs, items naming another run',
      value: `${checks.strayRuns}, ${checks.runIdMismatch}`,
      target: '0, 0',
      pass: wrong === 0,
    },
    {
      name: 'every batch finished, stream consumers caught up',
      value: `${fair.finished ? 'yes' : 'no'}, ${fair.settled ? 'yes' : 'no'}`,
      target: 'yes, yes',
      pass: fair.finished && fair.settled,
    },
  ];
}
