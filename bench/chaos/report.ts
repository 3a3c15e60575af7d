import type { ChaosReport } from './run.js';

/** The run as people read it: each fault injected, each invariant with its count, the verdict. */
export function printReport(
  report: ChaosReport,
  print: (line: string) => void,
  options: { allFaults?: boolean } = {},
) {
  print(
    `chaos seed ${report.seed}: ${report.plan.samples} samples in ${report.plan.batches} batches, ${report.plan.kills.length} kill -9, ${Math.round(report.wallMs / 1000)} s`,
  );
  print(
    `CANCEL in the console: ${report.cancelSupported ? 'supported, in the mix' : 'not supported by this code, left out'}`,
  );
  print('');
  print('faults injected:');
  for (const [kind, count] of Object.entries(report.faultCounts).sort())
    print(`  ${kind.padEnd(28)} ${count}`);
  const shown = options.allFaults ? report.faults : report.faults.slice(0, 400);
  print('');
  print(
    `each fault (${report.faults.length}${shown.length < report.faults.length ? `, first ${shown.length}; --json has all` : ''}):`,
  );
  for (const fault of shown)
    print(
      `  ${fault.kind} ${fault.target}${fault.detail ? ` (${fault.detail})` : ''}${fault.life !== undefined ? ` [life ${fault.life}]` : ''}`,
    );
  print('');
  print('invariants:');
  for (const result of report.invariants) {
    const mark = result.violations.length === 0 ? 'ok  ' : 'FAIL';
    print(
      `  ${mark} ${result.name.padEnd(28)} checked ${String(result.checked).padStart(6)}, violations ${result.violations.length}  (${result.description})`,
    );
    for (const violation of result.violations.slice(0, 20))
      print(`         ${violation.subject}: ${violation.detail}`);
    if (result.violations.length > 20)
      print(`         ... and ${result.violations.length - 20} more (--json has all)`);
  }
  print('');
  if (report.timedOut) print('the run timed out before everything settled: the state was judged as it was');
  if (report.violations === 0) print(`0 violations (seed ${report.seed})`);
  else
    print(
      `${report.violations} violations. Replay: npm run chaos -- --seed ${report.seed} --samples ${report.plan.samples} --batches ${report.plan.batches} (same --faults)`,
    );
}
