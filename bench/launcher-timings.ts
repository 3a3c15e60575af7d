import type { LocalStack } from '../../infra/local/stack.js';
import { fmt, fmtMs, table } from '../stats.js';

// --diagnose: the launcher's calls on its ports and on the launch queue, timed where it reads them.

export type Timings = Record<string, { calls: number; ms: number }>;

/**
 * Wraps the launcher's ports (read from `deps.launcher` at each record) with proxies and the
 * scheduler's methods in place (the handler keeps a reference to the scheduler object itself).
 * The tracker and the aggregator keep their own, unwrapped references.
 */
export function instrumentLauncher(stack: LocalStack, clock: () => number): Timings {
  const timings: Timings = {};
  const record = (name: string, startedAt: number) => {
    const entry = timings[name] ?? { calls: 0, ms: 0 };
    timings[name] = entry;
    entry.calls += 1;
    entry.ms += clock() - startedAt;
  };
  // Synchronous methods stay synchronous (the scheduler's reserve and release).
  const timed =
    (name: string, call: (...args: unknown[]) => unknown) =>
    (...args: unknown[]) => {
      const startedAt = clock();
      const result = call(...args);
      if (!(result instanceof Promise)) {
        record(name, startedAt);
        return result;
      }
      return result.finally(() => record(name, startedAt));
    };
  const launcher = stack.deps.launcher as unknown as Record<string, unknown>;
  for (const port of ['launches', 'engine', 'pacer', 'registration']) {
    const target = launcher[port] as Record<string, unknown>;
    launcher[port] = new Proxy(target, {
      get(object, property, receiver) {
        const value: unknown = Reflect.get(object, property, receiver);
        if (typeof value !== 'function') return value;
        return timed(`${port}.${String(property)}`, (...args) => value.apply(object, args));
      },
    });
  }
  const scheduler = stack.deps.scheduler as unknown as Record<string, unknown> | undefined;
  if (scheduler) {
    for (const [name, value] of Object.entries(scheduler)) {
      if (typeof value !== 'function' || name === 'forget') continue;
      scheduler[name] = timed(`scheduler.${name}`, (...args) => value.apply(scheduler, args));
    }
  }
  return timings;
}

export function printTimings(timings: Timings, starts: number): void {
  const rows: string[][] = [['call', 'per StartRun', 'mean', 'ms per StartRun']];
  let total = 0;
  for (const [name, entry] of Object.entries(timings).sort(([a], [b]) => a.localeCompare(b))) {
    const perStart = entry.ms / starts;
    total += perStart;
    rows.push([name, fmt(entry.calls / starts, 2), fmtMs(entry.ms / entry.calls), fmt(perStart, 1)]);
  }
  rows.push(['total', '', '', fmt(total, 1)]);
  console.log(
    '  launcher, per StartRun (--diagnose; calls overlap: up to LAUNCHER_PARALLEL_LAUNCHES at once)',
  );
  console.log(table(rows, '    '));
}
