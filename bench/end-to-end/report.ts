import { timingsTable } from '../launcher-timings.js';
import type { BaselineFigures } from '../polling-baseline.js';
import { fmt, fmtMs, fmtSeconds, type Summary, sumValues, table } from '../stats.js';
import { type GwmFigures, READ_COMMANDS, WRITE_COMMANDS } from './figures.js';
import type { Settings } from './settings.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// One round's figures as the tables the bench prints.

export interface Round {
  gwm: GwmFigures;
  baseline?: BaselineFigures;
  gwmWallMs: number;
  baselineWallMs?: number;
}

export interface Target {
  name: string;
  value: string;
  target: string;
  pass: boolean;
}

export const perSample = (count: number, samples: number) => count / samples;

export function gwmCallsPerSample(figures: GwmFigures): number {
  return (
    perSample(sumValues(figures.engineCalls), figures.samples) +
    perSample(figures.notifications.snsPublish + figures.notifications.putEventsEntries, figures.samples)
  );
}

export function baselineCallsPerSample(figures: BaselineFigures): number {
  return perSample(sumValues(figures.calls) + figures.notifications, figures.samples);
}

export function printRound(index: number, round: Round, settings: Settings) {
  const { gwm, baseline } = round;
  const n = gwm.samples;
  const out: string[] = [];
  out.push('');
  out.push(
    `== round ${index}: gwm ${fmtSeconds(round.gwmWallMs)}${round.baselineWallMs ? `, baseline ${fmtSeconds(round.baselineWallMs)}` : ''} wall time ==`,
  );
  out.push('');
  out.push('gwm, embedded runtime');
  out.push(
    table([
      [
        'batch',
        `${gwm.batchStatus} (${fmt(gwm.checks.counts?.succeeded ?? 0)} succeeded, ${fmt(gwm.checks.counts?.failed ?? 0)} failed; ${fmt(gwm.checks.expectedFailed)} failures simulated)`,
      ],
      [
        'upload -> batch ACTIVE',
        `${fmtMs(gwm.uploadToActiveMs)}  = ${fmt(gwm.registrationItemsPerSecond)} items/s registered, every launch launchable`,
      ],
      [
        '  of which: S3 event, manifest read / inputs checked, items written / after the flip (release pass)',
        `${fmtMs(gwm.uploadToRegisteringMs)} / ${fmtMs(gwm.registeringMs)} / ${fmtMs(gwm.uploadToActiveMs - gwm.uploadToRegisteringMs - gwm.registeringMs)}`,
      ],
      ['upload -> first run accepted', fmtMs(gwm.uploadToFirstRunMs)],
      ['upload -> batch done and notified', fmtSeconds(gwm.uploadToDoneMs)],
      ['last run finished -> batch done and notified', fmtMs(gwm.lastRunToDoneMs)],
      [
        'gwm process, upload -> done',
        `event loop ${fmt(100 * gwm.gwmProcess.eventLoopUtilization)} % busy, ${fmt(gwm.gwmProcess.cpuSeconds, 1)} CPU s (DynamoDB Local not included)`,
      ],
    ]),
  );
  out.push('');
  out.push('StartRun pacing (first to last accepted StartRun)');
  out.push(
    table([
      [
        'achieved / configured',
        `${gwm.startRun.achievedRate.toFixed(2)} / ${settings.rate} per s = ${fmt((100 * gwm.startRun.achievedRate) / settings.rate, 1)} %`,
      ],
      [
        'accepted runs / StartRun calls',
        `${fmt(gwm.startRun.accepted)} / ${fmt(gwm.startRun.calls)} (${fmt(gwm.startRun.throttled)} throttled by the engine)`,
      ],
      [
        'gap between StartRun calls (p50 / p90 / max)',
        `${fmtMs(gwm.startRun.gapMs.p50)} / ${fmtMs(gwm.startRun.gapMs.p90)} / ${fmtMs(gwm.startRun.gapMs.max)} (${fmtMs(1000 / settings.rate)} at the configured rate)`,
      ],
      [
        'most accepted in any 1 s',
        `${gwm.startRun.maxInAnySecond} (engine quota ${settings.engineRate}/s, gwm burst ${settings.burst})`,
      ],
      [
        'launches lost / duplicated',
        `${gwm.checks.lost} / ${gwm.checks.duplicated} (stray runs ${gwm.checks.strayRuns})`,
      ],
      ['launches not ending as simulated', String(gwm.checks.wrongOutcome)],
      [
        'notifications about the batch',
        `${gwm.checks.snsMessages} SNS, ${gwm.checks.eventBridgeEntries} EventBridge (1 each expected)`,
      ],
    ]),
  );
  if (gwm.launcherTimings) {
    out.push('');
    out.push(
      'launcher, per launch (--diagnose): time in each call on its ports (calls overlap: up to LAUNCHER_PARALLEL_LAUNCHES at once)',
    );
    out.push(timingsTable(gwm.launcherTimings, gwm.startRun.accepted, 'launch'));
  }
  out.push('');
  out.push('status latency: engine event emitted -> tracker handled it (and wrote the launch)');
  const latencyRows: string[][] = [['status', 'events', 'p50', 'p90', 'p99', 'max']];
  const row = (name: string, s: Summary) => [
    name,
    fmt(s.count),
    fmtMs(s.p50),
    fmtMs(s.p90),
    fmtMs(s.p99),
    fmtMs(s.max),
  ];
  for (const status of ['PENDING', 'STARTING', 'RUNNING', 'STOPPING', 'COMPLETED', 'FAILED', 'CANCELLED']) {
    const s = gwm.latency.byStatus[status];
    if (s) latencyRows.push(row(status, s));
  }
  latencyRows.push(row('all', gwm.latency.all));
  out.push(table(latencyRows));
  out.push(
    `  events emitted ${fmt(gwm.latency.emitted)}, handled ${fmt(gwm.latency.handled)}; outcomes: ${Object.entries(
      gwm.latency.outcomes,
    )
      .map(([kind, count]) => `${kind} ${fmt(count)}`)
      .join(', ')}`,
  );
  out.push('');
  out.push('control-plane calls per sample');
  const callRows: string[][] = [['operation', 'calls', 'per sample']];
  for (const [operation, count] of Object.entries(gwm.engineCalls)) {
    callRows.push([`HealthOmics ${operation}`, fmt(count), fmt(perSample(count, n), 3)]);
  }
  callRows.push([
    'SNS Publish',
    fmt(gwm.notifications.snsPublish),
    fmt(perSample(gwm.notifications.snsPublish, n), 4),
  ]);
  callRows.push([
    'EventBridge PutEvents entries',
    fmt(gwm.notifications.putEventsEntries),
    fmt(perSample(gwm.notifications.putEventsEntries, n), 4),
  ]);
  callRows.push(['total', '', fmt(gwmCallsPerSample(gwm), 3)]);
  out.push(table(callRows));
  out.push(
    `  reconciler off here; on its schedule it would GetRun each launch RUNNING longer than ${gwm.reconcilerProjection.thresholdMinutes} min: ${fmt(gwm.reconcilerProjection.launchesOverThreshold)} launches, +${fmt(perSample(gwm.reconcilerProjection.launchesOverThreshold, n), 3)} GetRun per sample (projected, not measured)`,
  );
  out.push('');
  out.push('DynamoDB requests per sample (the handlers\u2019 client; stream reads not included)');
  const writes = WRITE_COMMANDS.filter((command) => gwm.dynamo.byCommand[command]);
  const reads = READ_COMMANDS.filter((command) => gwm.dynamo.byCommand[command]);
  const others = Object.keys(gwm.dynamo.byCommand).filter(
    (command) => !WRITE_COMMANDS.includes(command) && !READ_COMMANDS.includes(command),
  );
  const dynamoRows: string[][] = [['command', 'requests', 'per sample', 'items', 'latency p50', 'p99']];
  const dynamoRow = (command: string) => {
    const count = gwm.dynamo.byCommand[command] ?? 0;
    const items = gwm.dynamo.itemsWritten[command];
    const latency = gwm.dynamo.latencyMs[command];
    return [
      `  ${command}`,
      fmt(count),
      fmt(perSample(count, n), 2),
      items === undefined ? '' : fmt(items),
      latency ? fmtMs(latency.p50) : '',
      latency ? fmtMs(latency.p99) : '',
    ];
  };
  const total = (commands: string[]) =>
    commands.reduce((sum, command) => sum + (gwm.dynamo.byCommand[command] ?? 0), 0);
  dynamoRows.push(['writes', fmt(total(writes)), fmt(perSample(total(writes), n), 2), '']);
  for (const command of writes) dynamoRows.push(dynamoRow(command));
  dynamoRows.push(['reads', fmt(total(reads)), fmt(perSample(total(reads), n), 2), '']);
  for (const command of reads) dynamoRows.push(dynamoRow(command));
  if (others.length > 0) {
    dynamoRows.push(['other', fmt(total(others)), fmt(perSample(total(others), n), 2), '']);
    for (const command of others) dynamoRows.push(dynamoRow(command));
  }
  out.push(table(dynamoRows));

  if (baseline) {
    out.push('');
    out.push('polling baseline (Step Functions sample: StartRun, then Wait 300 s -> GetRun until terminal)');
    out.push(
      table([
        [
          'StartRun calls (throttled)',
          `${fmt(baseline.calls.StartRun)} (${fmt(baseline.throttledStartRuns)}), ${fmt(baseline.startRunRate, 2)} accepted/s`,
        ],
        ['GetRun calls', fmt(baseline.calls.GetRun)],
        ['notifications (1 per FAILED run + 1 at the end)', fmt(baseline.notifications)],
        ['calls per sample', fmt(baselineCallsPerSample(baseline), 2)],
        [
          'detection delay, simulated (mean / p50 / p99)',
          `${fmt(baseline.detectionSimSeconds.mean)} / ${fmt(baseline.detectionSimSeconds.p50)} / ${fmt(baseline.detectionSimSeconds.p99)} s`,
        ],
        [
          'poll interval achieved, simulated (mean / p99)',
          `${fmt(baseline.pollIntervalSimSeconds.mean, 1)} / ${fmt(baseline.pollIntervalSimSeconds.p99, 1)} s (300 s nominal)`,
        ],
        [
          'GetRun round trip; sent late vs its timetable (real, p50 / p99)',
          `${fmtMs(baseline.getRunMs.p50)} / ${fmtMs(baseline.getRunMs.p99)}; ${fmtMs(baseline.pollLateMs.p50)} / ${fmtMs(baseline.pollLateMs.p99)}`,
        ],
        [
          "  this machine's share of the detection delay (mean); polls skipped",
          `${fmt(baseline.terminalPollLagSimSeconds.mean, 1)} s simulated; ${fmt(baseline.skippedPolls)} skipped`,
        ],
        [
          'lost / duplicated / not as simulated / unfinished',
          `${baseline.lost} / ${baseline.duplicated} / ${baseline.wrongOutcome} / ${baseline.unfinished}`,
        ],
        ['connections retried (engine closed a kept-alive socket)', fmt(baseline.connectionRetries)],
      ]),
    );
    const behind = baselineBehind(baseline);
    if (behind) out.push(`  WARNING: ${behind}`);
    const gwmTerminalMeanMs = terminalLatency(gwm).mean;
    out.push('');
    out.push('gwm / baseline');
    out.push(
      table([
        [
          'calls per sample',
          `${fmt(gwmCallsPerSample(gwm), 3)} / ${fmt(baselineCallsPerSample(baseline), 2)} = 1/${fmt(baselineCallsPerSample(baseline) / gwmCallsPerSample(gwm), 1)}`,
        ],
        [
          'HealthOmics calls per sample, throttled StartRuns left out',
          `${fmt(perSample(sumValues(gwm.engineCalls) - gwm.startRun.throttled, n), 3)} / ${fmt(perSample(sumValues(baseline.calls) - baseline.throttledStartRuns, n), 2)} = 1/${fmt((sumValues(baseline.calls) - baseline.throttledStartRuns) / (sumValues(gwm.engineCalls) - gwm.startRun.throttled), 1)}`,
        ],
        [
          // Event delivery is not time-compressed: gwm's real delay is its delay on AWS too
          // (plus EventBridge's own delivery), while the baseline's scales with its 300 s Wait.
          'detection delay of terminal statuses (mean)',
          `${fmtMs(gwmTerminalMeanMs)} / ${fmt(baseline.detectionSimSeconds.mean)} s = ${(gwmTerminalMeanMs / 1000 / baseline.detectionSimSeconds.mean).toExponential(1)} (1/${fmt(baseline.detectionSimSeconds.mean / (gwmTerminalMeanMs / 1000))})`,
        ],
      ]),
    );
  }
  console.log(out.join('\n'));
}

/**
 * Whether the machine kept the baseline's compressed timetable. When it did not, the baseline made
 * fewer calls and saw terminal statuses later than it would on AWS.
 */
export function baselineBehind(baseline: BaselineFigures): string | undefined {
  const polls = baseline.calls.GetRun + baseline.skippedPolls;
  const skipped = polls > 0 ? baseline.skippedPolls / polls : 0;
  const share = baseline.terminalPollLagSimSeconds.mean;
  if (skipped <= 0.01 && !(share > 15)) return undefined;
  return `this machine fell behind the baseline's timetable (${fmt(100 * skipped, 1)} % of polls skipped, ${fmt(share, 1)} s of its detection delay): its calls per sample are undercounted (the calls ratio is conservative) and its detection delay overstated`;
}

/** gwm's delay for terminal statuses, as the baseline's is measured (event -> state recorded). */
export function terminalLatency(gwm: GwmFigures): Summary {
  const parts = ['COMPLETED', 'FAILED', 'CANCELLED']
    .map((status) => gwm.latency.byStatus[status])
    .filter((s): s is Summary => s !== undefined);
  const count = parts.reduce((sum, s) => sum + s.count, 0);
  const mean = parts.reduce((sum, s) => sum + s.mean * s.count, 0) / count;
  return {
    count,
    mean,
    p50: Number.NaN,
    p90: Number.NaN,
    p99: Number.NaN,
    max: Math.max(...parts.map((s) => s.max)),
  };
}
