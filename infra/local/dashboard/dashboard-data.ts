import { type Batch, batchDurationSeconds } from '../../../domain/batch.js';
import { LAUNCH_STATUSES, type Launch, type LaunchStatus } from '../../../domain/launch.js';
import { METRICS } from '../../../domain/metrics.js';
import { SERVICE_DIMENSION, STACK_DIMENSION } from '../../../functions/service-names.js';
import type {
  DashboardWidget,
  GwmSeries,
  LocalSource,
  Statistic,
  WidgetKind,
  WidgetSeries,
} from '../../dashboard-widgets.js';

/** One metric value set of one EMF record: its name, its dimensions besides service and stack, when. */
export interface MetricPoint {
  name: string;
  dimensions: Record<string, string>;
  time: number;
  values: number[];
}

export interface DashboardSources {
  points: MetricPoint[];
  launches: Launch[];
  batches: Batch[];
  /** Messages in each local failure queue (dead-letter file), by name. */
  deadLetters: Array<{ name: string; count: number }>;
  now: Date;
}

export interface SeriesData {
  label: string;
  /** The statistic over the whole window (the legend's number); null when nothing was sent. */
  value: number | null;
  /** [bucket start (ms), statistic in that bucket] for buckets with data. */
  points: Array<[number, number]>;
}

export interface StatusRow {
  status: LaunchStatus;
  count: number;
  /** Waiting statuses: seconds since the oldest launch in it entered it. */
  oldestAgeSeconds?: number;
}

export interface BatchRow {
  batchId: string;
  name: string;
  status: string;
  samples: number;
  succeeded: number;
  failed: number;
  registeredAt: string;
  finishedAt?: string;
  completionSeconds?: number;
}

export interface WidgetData {
  id: string;
  title: string;
  kind: WidgetKind;
  width: number;
  /** Why the widget has nothing on the embedded runtime. */
  note?: string;
  series?: SeriesData[];
  window?: { from: number; to: number; bucketMs: number };
  launchesByStatus?: StatusRow[];
  batches?: BatchRow[];
  deadLetters?: Array<{ name: string; count: number }>;
}

export interface DashboardData {
  generatedAt: string;
  widgets: WidgetData[];
}

/** The graphs show the last hour by the minute; costs the last week by the day. */
export const GRAPH_WINDOW = { spanMs: 60 * 60_000, bucketMs: 60_000 };
export const COST_WINDOW = { spanMs: 7 * 86_400_000, bucketMs: 86_400_000 };

/** Waiting to start: no run asked for yet (registered, inputs in an archive, in the launch queue). */
export const LOCAL_WAITING_STATUSES: readonly LaunchStatus[] = [
  'REGISTERED',
  'WAITING_FOR_INPUTS',
  'QUEUED',
  'THROTTLED',
];

export function dashboardData(widgets: readonly DashboardWidget[], sources: DashboardSources): DashboardData {
  return {
    generatedAt: sources.now.toISOString(),
    widgets: widgets.map((widget) => widgetData(widget, sources)),
  };
}

function widgetData(widget: DashboardWidget, sources: DashboardSources): WidgetData {
  const data: WidgetData = { id: widget.id, title: widget.title, kind: widget.kind, width: widget.width };
  for (const source of widget.local) Object.assign(data, localData(widget, source, sources));
  return data;
}

function localData(
  widget: DashboardWidget,
  source: LocalSource,
  sources: DashboardSources,
): Partial<WidgetData> {
  switch (source.from) {
    case 'none':
      return { note: source.why };
    case 'dead letters':
      return { deadLetters: sources.deadLetters };
    case 'table':
      return source.view === 'batches'
        ? { batches: batchRows(sources.batches) }
        : { launchesByStatus: statusRows(sources.launches, sources.now) };
    case 'metrics': {
      const window = windowOf(widget, sources.now);
      return {
        window,
        series: widget.series.flatMap((series) => seriesData(series, sources.points, window)),
      };
    }
  }
}

function windowOf(widget: DashboardWidget, now: Date) {
  const { spanMs, bucketMs } = widget.period === 'day' ? COST_WINDOW : GRAPH_WINDOW;
  const to = Math.ceil(now.getTime() / bucketMs) * bucketMs;
  return { from: to - spanMs, to, bucketMs };
}

type Window = ReturnType<typeof windowOf>;

function seriesData(series: WidgetSeries, points: MetricPoint[], window: Window): SeriesData[] {
  if (series.source === 'aws') return [];
  if (series.source === 'failure rate') return [failureRate(series.label, points, window)];
  if (series.by === undefined) {
    const values = pointsOf(points, series, window, undefined);
    return [summarize(series.label, values, series.stat ?? 'Sum', window)];
  }
  const by = series.by;
  const keys = new Set(
    points.flatMap((point) =>
      point.name === METRICS[series.key] && point.dimensions[by] !== undefined ? [point.dimensions[by]] : [],
    ),
  );
  return [...keys]
    .sort()
    .map((value) =>
      summarize(
        `${series.label} ${value}`,
        pointsOf(points, series, window, value),
        series.stat ?? 'Sum',
        window,
      ),
    );
}

/** Points of the series in the window: its own dimension set only (as CloudWatch keeps series apart). */
function pointsOf(points: MetricPoint[], series: GwmSeries, window: Window, byValue: string | undefined) {
  return points.filter((point) => {
    if (point.name !== METRICS[series.key] || point.time < window.from || point.time >= window.to)
      return false;
    const names = Object.keys(point.dimensions);
    if (byValue === undefined) return names.length === 0;
    return names.length === 1 && series.by !== undefined && point.dimensions[series.by] === byValue;
  });
}

function summarize(label: string, points: MetricPoint[], stat: Statistic, window: Window): SeriesData {
  const all = points.flatMap((point) => point.values);
  const buckets = new Map<number, number[]>();
  for (const point of points) {
    const start = window.from + Math.floor((point.time - window.from) / window.bucketMs) * window.bucketMs;
    buckets.set(start, [...(buckets.get(start) ?? []), ...point.values]);
  }
  return {
    label,
    value: all.length === 0 ? null : statisticOf(all, stat),
    points: [...buckets.entries()]
      .sort(([a], [b]) => a - b)
      .map(([start, values]) => [start, statisticOf(values, stat)]),
  };
}

export function statisticOf(values: number[], stat: Statistic): number {
  switch (stat) {
    case 'Sum':
      return values.reduce((sum, value) => sum + value, 0);
    case 'Maximum':
      return Math.max(...values);
    case 'Average':
      return values.reduce((sum, value) => sum + value, 0) / values.length;
    case 'SampleCount':
      return values.length;
    case 'p50':
    case 'p99': {
      const sorted = [...values].sort((a, b) => a - b);
      const rank = Math.ceil((stat === 'p50' ? 0.5 : 0.99) * sorted.length) - 1;
      return sorted[Math.max(0, rank)] ?? 0;
    }
  }
}

/** Failed attempts (the run failed, or StartRun refused it) over all that finished. */
function failureRate(label: string, points: MetricPoint[], window: Window): SeriesData {
  const sumOf = (key: 'runsFailed' | 'launchFailed' | 'runsCompleted') =>
    summarize(key, pointsOf(points, { source: 'gwm', key, label: key }, window, undefined), 'Sum', window);
  const failed = [sumOf('runsFailed'), sumOf('launchFailed')];
  const completed = sumOf('runsCompleted');
  const at = (series: SeriesData, start: number) => series.points.find(([time]) => time === start)?.[1] ?? 0;
  const starts = new Set([...failed, completed].flatMap((series) => series.points.map(([start]) => start)));
  const rate = (bad: number, good: number) => (bad + good === 0 ? null : bad / (bad + good));
  const total = (series: SeriesData) => series.value ?? 0;
  return {
    label,
    value: rate(total(failed[0] as SeriesData) + total(failed[1] as SeriesData), total(completed)),
    points: [...starts]
      .sort((a, b) => a - b)
      .flatMap((start) => {
        const value = rate(
          failed.reduce((sum, series) => sum + at(series, start), 0),
          at(completed, start),
        );
        return value === null ? [] : [[start, value] as [number, number]];
      }),
  };
}

function statusRows(launches: Launch[], now: Date): StatusRow[] {
  const byStatus = new Map<LaunchStatus, Launch[]>();
  for (const launch of launches)
    byStatus.set(launch.status, [...(byStatus.get(launch.status) ?? []), launch]);
  return LAUNCH_STATUSES.flatMap((status) => {
    const inStatus = byStatus.get(status) ?? [];
    if (inStatus.length === 0) return [];
    const row: StatusRow = { status, count: inStatus.length };
    if (LOCAL_WAITING_STATUSES.includes(status)) {
      const since = Math.min(...inStatus.map((launch) => enteredAt(launch)));
      row.oldestAgeSeconds = Math.max(0, Math.round((now.getTime() - since) / 1000));
    }
    return [row];
  });
}

/** When the launch entered its status: its last history entry for it, else its last write. */
function enteredAt(launch: Launch): number {
  const entry = [...launch.statusHistory].reverse().find((item) => item.status === launch.status);
  return Date.parse(entry?.at ?? launch.updatedAt);
}

function batchRows(batches: Batch[]): BatchRow[] {
  return [...batches]
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt))
    .map((batch) => {
      const seconds = isTerminalBatch(batch) ? batchDurationSeconds(batch) : undefined;
      return {
        batchId: batch.batchId,
        name: batch.name,
        status: batch.status,
        samples: batch.sampleCount,
        succeeded: batch.counts.succeeded,
        failed: batch.counts.failed + batch.counts.launchFailed,
        registeredAt: batch.registeredAt ?? batch.createdAt,
        ...(batch.finishedAt !== undefined && { finishedAt: batch.finishedAt }),
        ...(seconds !== undefined && { completionSeconds: seconds }),
      };
    });
}

function isTerminalBatch(batch: Batch): boolean {
  return ['COMPLETED', 'COMPLETED_WITH_FAILURES', 'FAILED'].includes(batch.status);
}

/** The metric points of EMF records (as Powertools Metrics writes them), dimensions besides service and stack. */
export function metricPointsOf(records: readonly unknown[]): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const record of records) {
    if (typeof record !== 'object' || record === null) continue;
    const fields = record as Record<string, unknown>;
    const aws = fields._aws as
      | {
          Timestamp?: number;
          CloudWatchMetrics?: Array<{ Dimensions?: string[][]; Metrics?: Array<{ Name?: string }> }>;
        }
      | undefined;
    if (!aws || typeof aws.Timestamp !== 'number') continue;
    for (const directive of aws.CloudWatchMetrics ?? []) {
      const dimensions: Record<string, string> = {};
      for (const name of directive.Dimensions?.flat() ?? []) {
        if (name === SERVICE_DIMENSION || name === STACK_DIMENSION) continue;
        const value = fields[name];
        if (typeof value === 'string') dimensions[name] = value;
      }
      for (const metric of directive.Metrics ?? []) {
        if (!metric.Name) continue;
        const raw = fields[metric.Name];
        const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is number => typeof v === 'number');
        if (values.length > 0) points.push({ name: metric.Name, dimensions, time: aws.Timestamp, values });
      }
    }
  }
  return points;
}
