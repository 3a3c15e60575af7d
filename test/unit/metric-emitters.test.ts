import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { METRICS } from '../../domain/metrics.js';
import { METRIC_EMITTERS, SERVICE_NAMES, type ServiceKey } from '../../functions/service-names.js';

const root = resolve(import.meta.dirname, '../..');
const source = (path: string) => readFileSync(resolve(root, path), 'utf8');

/**
 * A function's handlers (what it counts: `functions/<name>.ts`, its event handler, then any
 * scheduled sweep) and its Lambda entry point (which service it is:
 * `functions/lambda/<first name>.entry.ts`).
 */
function lambda(handler: string, ...sweeps: string[]): { handlers: string[]; entry: string } {
  return {
    handlers: [handler, ...sweeps].map((name) => `functions/${name}.ts`),
    entry: `functions/lambda/${handler}.entry.ts`,
  };
}

const FUNCTIONS: Record<ServiceKey, { handlers: string[]; entry: string }> = {
  intake: lambda('intake', 'intake-sweep'),
  launcher: lambda('launcher'),
  tracker: lambda('tracker'),
  aggregator: lambda('aggregator', 'aggregator-sweep'),
  reconciler: lambda('reconciler'),
  costCollector: lambda('cost-collector'),
  restoreTracker: lambda('restore-tracker', 'restore-tracker-sweep'),
};
// Both stream consumers run through it: whatever it counts, they both send.
const SHARED_BY_STREAM_CONSUMERS = 'functions/launch-stream-consumer.ts';

function metricsCountedIn(text: string): Set<string> {
  return new Set([...text.matchAll(/METRICS\.(\w+)/g)].map((match) => match[1] as string));
}

describe('which function sends which metric', () => {
  it('METRIC_EMITTERS names exactly the metrics each handler counts', () => {
    for (const [service, { handlers }] of Object.entries(FUNCTIONS) as Array<
      [ServiceKey, { handlers: string[] }]
    >) {
      const counted = new Set(handlers.flatMap((handler) => [...metricsCountedIn(source(handler))]));
      if (service === 'launcher' || service === 'aggregator') {
        for (const key of metricsCountedIn(source(SHARED_BY_STREAM_CONSUMERS))) counted.add(key);
      }
      const declared = (Object.keys(METRICS) as Array<keyof typeof METRICS>).filter((key) =>
        METRIC_EMITTERS[key].includes(service),
      );
      expect([...counted].sort(), service).toEqual(declared.sort());
    }
  });

  it('every metric is sent by some function', () => {
    for (const key of Object.keys(METRICS) as Array<keyof typeof METRICS>) {
      expect(METRIC_EMITTERS[key].length, key).toBeGreaterThan(0);
    }
  });

  it("each Lambda entry point publishes under its own function's service name and its stack's name", () => {
    for (const [service, { entry }] of Object.entries(FUNCTIONS)) {
      expect(source(entry), entry).toContain(
        `makePowertoolsTelemetry(SERVICE_NAMES.${service}, config.STACK_NAME)`,
      );
      // Published after each invocation, thrown or not, by the one wrapper every entry point uses.
      expect(source(entry), entry).toMatch(/withPowertools\(\s*telemetry,/);
    }
    expect(new Set(Object.values(SERVICE_NAMES)).size).toBe(Object.keys(SERVICE_NAMES).length);
  });

  it("has each function that owns a sweep hand the schedule's ticks to it", () => {
    const sweeps: Partial<Record<ServiceKey, string>> = {
      intake: 'makeIntakeSweep',
      restoreTracker: 'makeRestoreTrackerSweep',
      aggregator: 'makeAggregatorSweep',
    };
    for (const [service, factory] of Object.entries(sweeps)) {
      const entry = source(FUNCTIONS[service as ServiceKey].entry);
      expect(entry, service).toMatch(
        new RegExp(`withScheduledSweep\\(\\s*make\\w+Handler\\([^]*?\\),\\s*${factory}\\(`),
      );
    }
  });
});
