import { fmt, fmtMs, median } from '../stats.js';
import { baselineCallsPerSample, gwmCallsPerSample, type Round, type Target } from './report.js';
import type { Settings } from './settings.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// The targets each figure is judged against.

export function judge(rounds: Round[], settings: Settings): Target[] {
  const m = (pick: (round: Round) => number) => median(rounds.map(pick));
  const p50 = m((round) => round.gwm.latency.all.p50);
  const p99 = m((round) => round.gwm.latency.all.p99);
  const pacing = m((round) => round.gwm.startRun.achievedRate / settings.rate);
  const lost = Math.max(...rounds.map((round) => round.gwm.checks.lost));
  const duplicated = Math.max(...rounds.map((round) => round.gwm.checks.duplicated));
  const wrong = Math.max(
    ...rounds.map((round) => round.gwm.checks.wrongOutcome + round.gwm.checks.strayRuns),
  );
  const notified = rounds.every(
    (round) => round.gwm.checks.snsMessages === 1 && round.gwm.checks.eventBridgeEntries === 1,
  );
  const unhandled = Math.max(...rounds.map((round) => round.gwm.latency.emitted - round.gwm.latency.handled));
  const targets: Target[] = [
    { name: 'status latency p50', value: fmtMs(p50), target: '< 50 ms', pass: p50 < 50 },
    { name: 'status latency p99', value: fmtMs(p99), target: '< 250 ms', pass: p99 < 250 },
    {
      name: 'every run status event handled',
      value: `${unhandled} not handled`,
      target: '0',
      pass: unhandled === 0,
    },
    {
      name: 'StartRun pacing',
      value: `${fmt(100 * pacing, 1)} % of ${settings.rate}/s`,
      target: '>= 95 %',
      pass: pacing >= 0.95,
    },
    {
      name: 'launches lost / duplicated',
      value: `${lost} / ${duplicated}`,
      target: '0 / 0',
      pass: lost === 0 && duplicated === 0,
    },
    {
      name: 'launches ending as simulated, no stray runs',
      value: `${wrong} wrong`,
      target: '0',
      pass: wrong === 0,
    },
    { name: 'one notification for the batch', value: notified ? 'yes' : 'no', target: 'yes', pass: notified },
  ];
  const withBaseline = rounds.filter((round) => round.baseline);
  if (withBaseline.length > 0) {
    const ratio = median(
      withBaseline.map((round) =>
        round.baseline ? gwmCallsPerSample(round.gwm) / baselineCallsPerSample(round.baseline) : Number.NaN,
      ),
    );
    targets.push({
      name: `calls per sample vs baseline (${settings.hours} h runs)`,
      value: `1/${fmt(1 / ratio, 1)}`,
      target: '<= 1/20',
      pass: ratio <= 1 / 20,
    });
  }
  return targets;
}
