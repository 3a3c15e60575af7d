import type { BatchRow, DashboardData, SeriesData, StatusRow, WidgetData } from './dashboard-data.js';

// The page `gwm dashboard` serves: HTML with inline SVG charts drawn here, a small inline script
// that fetches the widgets again every few seconds. Nothing is loaded from elsewhere.

const COLORS = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#17becf',
];

export function renderPage(data: DashboardData, options: { refreshSeconds: number; where: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>gwm dashboard</title>
<style>${STYLE}</style>
</head>
<body>
<header><h1>gwm dashboard</h1><p>${html(options.where)} · refreshes every ${options.refreshSeconds} s ·
updated <time id="updated">${html(data.generatedAt)}</time></p></header>
<main id="widgets">${renderWidgets(data)}</main>
<script>
setInterval(async () => {
  try {
    const response = await fetch('widgets');
    if (!response.ok) return;
    document.getElementById('widgets').innerHTML = await response.text();
    document.getElementById('updated').textContent = response.headers.get('x-generated-at');
  } catch {}
}, ${options.refreshSeconds * 1000});
</script>
</body>
</html>
`;
}

/** The widgets alone: what the page fetches again on each refresh. */
export function renderWidgets(data: DashboardData): string {
  return `<div class="grid" data-generated-at="${html(data.generatedAt)}">${data.widgets.map(renderWidget).join('')}</div>`;
}

function renderWidget(widget: WidgetData): string {
  const parts: string[] = [];
  if (widget.note !== undefined) parts.push(`<p class="note">${html(widget.note)}</p>`);
  if (widget.series && widget.window) parts.push(renderSeries(widget));
  if (widget.launchesByStatus) parts.push(renderStatuses(widget.launchesByStatus));
  if (widget.batches) parts.push(renderBatches(widget.batches));
  if (widget.deadLetters) parts.push(renderDeadLetters(widget.deadLetters));
  const span = Math.max(6, widget.width);
  return `<section class="widget${widget.note !== undefined ? ' absent' : ''}" style="grid-column: span ${span}" data-widget="${html(widget.id)}"><h2>${html(widget.title)}</h2>${parts.join('')}</section>`;
}

function renderSeries(widget: WidgetData): string {
  const series = widget.series ?? [];
  const legend = series
    .map(
      (line, index) =>
        `<li data-series="${html(line.label)}"><span class="swatch" style="background:${color(index)}"></span>${html(line.label)} <b class="value">${line.value === null ? '–' : formatNumber(line.value)}</b></li>`,
    )
    .join('');
  const chart = widget.kind === 'bar' ? barChart(series) : lineChart(widget);
  return `${chart}<ul class="legend">${legend}</ul>`;
}

const WIDTH = 480;
const HEIGHT = 120;

function lineChart(widget: WidgetData): string {
  const { window } = widget;
  const series = widget.series ?? [];
  if (!window) return '';
  const top = Math.max(1, ...series.flatMap((line) => line.points.map(([, value]) => value)));
  const x = (time: number) => ((time - window.from) / (window.to - window.from)) * WIDTH;
  const y = (value: number) => HEIGHT - (value / top) * (HEIGHT - 10);
  const lines = series
    .map((line, index) => {
      if (line.points.length === 0) return '';
      // A value per bucket with data; buckets without data are zero, as a graph of counts reads.
      const coordinates = line.points.map(
        ([time, value]) => `${x(time + window.bucketMs / 2).toFixed(1)},${y(value).toFixed(1)}`,
      );
      const dots = line.points
        .map(
          ([time, value]) =>
            `<circle cx="${x(time + window.bucketMs / 2).toFixed(1)}" cy="${y(value).toFixed(1)}" r="2.5" fill="${color(index)}"/>`,
        )
        .join('');
      return `<polyline fill="none" stroke="${color(index)}" stroke-width="1.5" points="${coordinates.join(' ')}"/>${dots}`;
    })
    .join('');
  const span =
    window.to - window.from >= 86_400_000
      ? `${Math.round((window.to - window.from) / 86_400_000)} days`
      : `${Math.round((window.to - window.from) / 60_000)} min`;
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT + 14}" role="img" aria-label="${html(widget.title)}"><line x1="0" y1="${HEIGHT}" x2="${WIDTH}" y2="${HEIGHT}" stroke="#ccc"/><text x="0" y="${HEIGHT + 12}" class="axis">−${span}</text><text x="${WIDTH}" y="${HEIGHT + 12}" class="axis" text-anchor="end">now</text><text x="2" y="10" class="axis">${formatNumber(top)}</text>${lines}</svg>`;
}

function barChart(series: SeriesData[]): string {
  const top = Math.max(1, ...series.map((line) => line.value ?? 0));
  const bars = series
    .map((line, index) => {
      const length = ((line.value ?? 0) / top) * (WIDTH - 160);
      return `<text x="0" y="${index * 18 + 12}" class="axis">${html(line.label)}</text><rect x="150" y="${index * 18 + 2}" width="${length.toFixed(1)}" height="12" fill="${color(index)}"/>`;
    })
    .join('');
  return `<svg class="chart" viewBox="0 0 ${WIDTH} ${Math.max(1, series.length) * 18 + 4}" role="img">${bars}</svg>`;
}

function renderStatuses(rows: StatusRow[]): string {
  if (rows.length === 0) return '<p class="empty">no launches in the recent batches</p>';
  const top = Math.max(...rows.map((row) => row.count));
  const body = rows
    .map(
      (row) =>
        `<tr data-status="${row.status}"><th>${row.status}</th><td class="bar"><svg viewBox="0 0 200 12" preserveAspectRatio="none"><rect width="${((row.count / top) * 200).toFixed(1)}" height="12" fill="${row.oldestAgeSeconds === undefined ? '#1f77b4' : '#ff7f0e'}"/></svg></td><td class="count">${row.count}</td><td class="age">${row.oldestAgeSeconds === undefined ? '' : `oldest waiting ${formatSeconds(row.oldestAgeSeconds)}`}</td></tr>`,
    )
    .join('');
  return `<table class="statuses"><tbody>${body}</tbody></table><p class="note">from the table: the launches of this week's batches by status; waiting ones in orange, with the oldest one's age</p>`;
}

function renderBatches(rows: BatchRow[]): string {
  if (rows.length === 0) return '<p class="empty">no batches registered this week</p>';
  const body = rows
    .map(
      (row) =>
        `<tr data-batch="${html(row.batchId)}"><td>${html(row.name)}</td><td class="status">${html(row.status)}</td><td class="samples">${row.samples}</td><td class="succeeded">${row.succeeded}</td><td class="failed">${row.failed}</td><td class="completion" data-seconds="${row.completionSeconds ?? ''}">${row.completionSeconds === undefined ? 'running' : formatSeconds(row.completionSeconds)}</td></tr>`,
    )
    .join('');
  return `<table class="batches"><thead><tr><th>batch</th><th>status</th><th>samples</th><th>succeeded</th><th>failed</th><th>completion time</th></tr></thead><tbody>${body}</tbody></table>`;
}

function renderDeadLetters(rows: Array<{ name: string; count: number }>): string {
  if (rows.length === 0) return '<p class="empty">no messages in the local failure queues</p>';
  const body = rows
    .map(
      (row) =>
        `<tr data-queue="${html(row.name)}"><th>${html(row.name)}</th><td class="count">${row.count}</td></tr>`,
    )
    .join('');
  return `<table class="dead-letters"><tbody>${body}</tbody></table>`;
}

function color(index: number): string {
  return COLORS[index % COLORS.length] ?? '#000';
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 100 ? value.toFixed(0) : value.toPrecision(3);
}

function formatSeconds(seconds: number): string {
  if (seconds < 120) return `${formatNumber(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function html(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const STYLE = `
body { font: 14px system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #222; }
header { padding: 8px 16px; background: #232f3e; color: #fff; }
header h1 { font-size: 18px; margin: 0; } header p { margin: 2px 0 0; font-size: 12px; color: #ccd; }
.grid { display: grid; grid-template-columns: repeat(24, 1fr); gap: 10px; padding: 10px; }
.widget { background: #fff; border: 1px solid #dde; border-radius: 4px; padding: 8px 10px; min-width: 0; }
.widget h2 { font-size: 13px; margin: 0 0 6px; }
.widget.absent { background: #fafafa; color: #777; }
.note, .empty { font-size: 12px; margin: 4px 0; }
.chart { width: 100%; height: auto; max-height: 150px; }
.axis { font-size: 10px; fill: #777; }
.legend { list-style: none; padding: 0; margin: 4px 0 0; display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 12px; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
td, th { padding: 2px 6px; text-align: left; border-bottom: 1px solid #eee; }
td.bar { width: 40%; } td.bar svg { width: 100%; height: 12px; }
`;
