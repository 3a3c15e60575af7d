import type { LocalStack } from '../infra/local/stack.js';
import { fmt, fmtMs, table } from './stats.js';

// --diagnose in the benches: the launcher's calls on its ports and on the launch queue, timed
// where it reads them, with the claims that lost to another writer ('conflict').

export type Timings = Record<string, { calls: number; ms: number; conflicts: number }>;

/**
 * Wraps the launcher's ports (read from `deps.launcher` at each record) with proxies and the
 * scheduler's methods in place (the handler keeps a reference to the scheduler object itself).
 * The tracker and the aggregator keep their own, unwrapped references.
 */
export function instrumentLauncher(stack: LocalStack, clock: () => number): Timings {
  const timings: Timings = {};
  const record = (name: string, startedAt: number, result?: unknown) => {
    const entry = timings[name] ?? { calls: 0, ms: 0, conflicts: 0 };
    timings[name] = entry;
    entry.calls += 1;
    entry.ms += clock() - startedAt;
    if (result === 'conflict') entry.conflicts += 1;
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
      return result.then(
        (value) => {
          record(name, startedAt, value);
          return value;
        },
        (error) => {
          record(name, startedAt);
          throw error;
        },
      );
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

/** The timings per StartRun (`per` names the unit in the header), with a total. */
export function timingsTable(timings: Timings, starts: number, per = 'StartRun', indent = ''): string {
  const rows: string[][] = [['call', `per ${per}`, 'mean', `ms per ${per}`, 'conflicts']];
  let total = 0;
  for (const [name, entry] of Object.entries(timings).sort(([a], [b]) => a.localeCompare(b))) {
    const perStart = entry.ms / starts;
    total += perStart;
    rows.push([
      name,
      fmt(entry.calls / starts, 2),
      fmtMs(entry.ms / entry.calls),
      fmt(perStart, 1),
      fmt(entry.conflicts),
    ]);
  }
  rows.push(['total', '', '', fmt(total, 1), '']);
  return table(rows, indent);
}
