import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Launch } from '../../domain/launch.js';
import { METRICS } from '../../domain/metrics.js';
import { makePowertoolsTelemetry } from '../../functions/adapters/telemetry.js';
import { SERVICE_NAMES } from '../../functions/service-names.js';
import { DASHBOARD_WIDGETS } from '../../infra/dashboard-widgets.js';
import {
  type DashboardSources,
  dashboardData,
  metricPointsOf,
  type WidgetData,
} from '../../infra/local/dashboard/dashboard-data.js';
import { DashboardPortError, startDashboardServer } from '../../infra/local/dashboard/dashboard-server.js';

/** EMF records as the handlers write them on the embedded runtime. */
function recordsOf(write: (telemetry: ReturnType<typeof makePowertoolsTelemetry>, service: string) => void) {
  const lines: string[] = [];
  for (const service of [SERVICE_NAMES.tracker, SERVICE_NAMES.reconciler, SERVICE_NAMES.costCollector]) {
    const telemetry = makePowertoolsTelemetry(service, 'gwm', {
      writeEmf: (line) => lines.push(line),
      logLevel: 'SILENT',
    });
    write(telemetry, service);
    telemetry.writeStoredMetrics();
  }
  return lines.map((line) => JSON.parse(line) as unknown);
}

function sources(records: unknown[], extra: Partial<DashboardSources> = {}): DashboardSources {
  return {
    points: metricPointsOf(records),
    launches: [],
    batches: [],
    deadLetters: [],
    now: new Date(),
    ...extra,
  };
}

function widget(data: ReturnType<typeof dashboardData>, id: string): WidgetData {
  const found = data.widgets.find((item) => item.id === id);
  if (!found) throw new Error(`no widget ${id}`);
  return found;
}

const shown = (data: WidgetData, label: string) => data.series?.find((line) => line.label === label)?.value;

describe('the local dashboard numbers', () => {
  it('adds up a metric every function that sends it counted, from their EMF records', () => {
    // Prepare: the tracker and the reconciler each apply terminal statuses
    const records = recordsOf((telemetry, service) => {
      if (service === SERVICE_NAMES.costCollector) return;
      telemetry.count(METRICS.runsCompleted, service === SERVICE_NAMES.tracker ? 3 : 1);
      telemetry.count(METRICS.runsFailed);
    });
    // Act
    const data = dashboardData(DASHBOARD_WIDGETS, sources(records));
    // Assess
    expect(shown(widget(data, 'launches'), 'runs completed')).toBe(4);
    expect(shown(widget(data, 'launches'), 'runs failed')).toBe(2);
    expect(shown(widget(data, 'launches'), 'runs started')).toBeNull();
    expect(shown(widget(data, 'failure-rate'), 'failed / finished')).toBeCloseTo(2 / 6);
  });

  it('keeps a cost per workflow apart from the total, as CloudWatch keeps the two dimension sets', () => {
    // Prepare
    const records = recordsOf((telemetry, service) => {
      if (service !== SERVICE_NAMES.costCollector) return;
      telemetry.measure(METRICS.runCostUsd, 0.25, { workflow: '111' });
      telemetry.measure(METRICS.runCostUsd, 0.5, { workflow: '222' });
      telemetry.measure(METRICS.runCostUsd, 0.75, { workflow: '111' });
    });
    // Act
    const cost = widget(dashboardData(DASHBOARD_WIDGETS, sources(records)), 'cost-per-workflow');
    // Assess
    expect(cost.series?.map((line) => [line.label, line.value])).toEqual([
      ['workflow 111', 1],
      ['workflow 222', 0.5],
      ['all workflows', 1.5],
    ]);
  });

  it('reads percentiles and maxima of timings, and the batch durations', () => {
    // Prepare
    const records = recordsOf((telemetry, service) => {
      if (service !== SERVICE_NAMES.tracker) return;
      for (let ms = 1; ms <= 100; ms++) telemetry.timing(METRICS.statusLatency, ms * 10);
      telemetry.seconds(METRICS.batchDuration, 30);
      telemetry.seconds(METRICS.batchDuration, 90);
    });
    // Act
    const data = dashboardData(DASHBOARD_WIDGETS, sources(records));
    // Assess
    const latency = widget(data, 'status-latency');
    expect([shown(latency, 'p50'), shown(latency, 'p99'), shown(latency, 'max')]).toEqual([500, 990, 1000]);
    const batches = widget(data, 'batch-completion');
    expect([
      shown(batches, 'longest'),
      shown(batches, 'average'),
      shown(batches, 'batches finished'),
    ]).toEqual([90, 60, 2]);
  });

  it('counts launches by status from the table, with the age of the oldest waiting in each', () => {
    // Prepare
    const now = new Date('2026-03-01T12:00:00.000Z');
    const launch = (status: Launch['status'], enteredAt: string) =>
      ({
        status,
        updatedAt: '2026-03-01T11:59:59.000Z',
        statusHistory: [{ status, at: enteredAt, source: 'gwm' }],
      }) as unknown as Launch;
    const launches = [
      launch('QUEUED', '2026-03-01T11:58:00.000Z'),
      launch('QUEUED', '2026-03-01T11:50:00.000Z'),
      launch('RUNNING', '2026-03-01T11:00:00.000Z'),
    ];
    // Act
    const data = dashboardData(DASHBOARD_WIDGETS, sources([], { launches, now }));
    // Assess
    expect(widget(data, 'launches-waiting').launchesByStatus).toEqual([
      { status: 'QUEUED', count: 2, oldestAgeSeconds: 600 },
      { status: 'RUNNING', count: 1 },
    ]);
  });

  it('says why a widget has nothing on the embedded runtime instead of showing a number', () => {
    // Act
    const data = dashboardData(DASHBOARD_WIDGETS, sources([]));
    // Assess
    for (const id of ['launcher-concurrency', 'dynamodb-throttles', 'sns-failures', 'lambda-errors']) {
      expect(widget(data, id).note).toMatch(/^not on the embedded runtime/);
      expect(widget(data, id).series).toBeUndefined();
    }
  });
});

describe('the local dashboard server', () => {
  it('says the port is in use and how to choose another', async () => {
    // Prepare: something else on a port
    const other = createServer();
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const port = (other.address() as { port: number }).port;
    try {
      // Act
      const started = startDashboardServer({
        stateDir: '/nonexistent',
        port,
        table: { batches: undefined as never, launches: undefined as never },
      });
      // Assess
      await expect(started).rejects.toThrow(DashboardPortError);
      await expect(started).rejects.toThrow(`port ${port} on 127.0.0.1 is in use`);
    } finally {
      other.close();
    }
  });
});
