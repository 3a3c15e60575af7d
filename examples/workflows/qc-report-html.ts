/**
 * fastq-qc-report's HTML page: a self-contained report (inline CSS and SVG, nothing loaded from
 * anywhere) with a reads chart, the thresholds and one row per sample with its flags.
 */
import { clip } from '../../domain/text.js';
import type { QcReport, Thresholds } from './fastq-qc-report.js';

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

export function formatPercent(fraction: number | null, digits = 2): string {
  return fraction === null ? 'n/a' : `${(fraction * 100).toFixed(digits)}%`;
}

export function formatNumber(value: number | null, digits: number): string {
  return value === null ? 'n/a' : value.toFixed(digits);
}

/** Every piece of text from the data goes through this, in element content and attributes alike. */
function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

const CHART = { labelWidth: 200, barArea: 520, valueWidth: 120, rowHeight: 22, barHeight: 14, top: 28 };
const MAX_LABEL = 26;

/** A horizontal bar per sample (reads), flagged samples in their own colour, min reads as a dashed line. */
function readsChart(report: QcReport): string {
  const { labelWidth, barArea, valueWidth, rowHeight, barHeight, top } = CHART;
  const minReads = report.thresholds.minReads;
  const scale = Math.max(1, minReads ?? 0, ...report.samples.map((row) => row.reads));
  const width = labelWidth + barArea + valueWidth;
  const height = top + report.samples.length * rowHeight + 8;
  const parts: string[] = [];
  report.samples.forEach((row, index) => {
    const y = top + index * rowHeight;
    const barWidth = Math.max(row.reads > 0 ? 1 : 0, (row.reads / scale) * barArea);
    const label = clip(row.sample, MAX_LABEL);
    const flagged = row.flags.length > 0;
    const tooltip = `${row.sample}: ${formatCount(row.reads)} reads${flagged ? ` (${row.flags.map((flag) => flag.message).join('; ')})` : ''}`;
    parts.push(
      `<g class="${flagged ? 'row flagged' : 'row'}"><title>${escapeHtml(tooltip)}</title>` +
        `<text class="label" x="${labelWidth - 8}" y="${y + barHeight - 3}" text-anchor="end">${escapeHtml(label)}</text>` +
        `<rect class="bar" x="${labelWidth}" y="${y}" width="${barWidth.toFixed(1)}" height="${barHeight}" rx="2"></rect>` +
        `<text class="value" x="${(labelWidth + barWidth + 6).toFixed(1)}" y="${y + barHeight - 3}">${formatCount(row.reads)}${flagged ? ' ⚑' : ''}</text></g>`,
    );
  });
  if (minReads !== null) {
    const x = (labelWidth + (minReads / scale) * barArea).toFixed(1);
    parts.push(
      `<line class="threshold" x1="${x}" x2="${x}" y1="${top - 6}" y2="${height - 4}"></line>` +
        `<text class="threshold-label" x="${x}" y="${top - 10}" text-anchor="middle">min ${formatCount(minReads)} reads</text>`,
    );
  }
  return (
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="Reads per sample">` +
    `${parts.join('')}</svg>`
  );
}

function thresholdText(thresholds: Thresholds): string {
  const parts = [
    thresholds.minReads === null ? undefined : `min reads ${formatCount(thresholds.minReads)}`,
    thresholds.minMeanQuality === null ? undefined : `min mean quality ${thresholds.minMeanQuality}`,
    thresholds.maxNRate === null ? undefined : `max N rate ${formatPercent(thresholds.maxNRate, 3)}`,
  ].filter((part) => part !== undefined);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

const STYLE = `
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem; color: #1d2330; }
h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
.meta { color: #5b6475; margin: 0 0 1.5rem; }
.summary { display: flex; gap: 1rem; margin-bottom: 1.5rem; }
.summary div { background: #f3f5f9; border-radius: 6px; padding: .6rem 1rem; }
.summary strong { display: block; font-size: 1.3rem; }
.summary .bad strong { color: #b3261e; }
.chart { max-width: 100%; height: auto; margin-bottom: 1.5rem; }
.chart .bar { fill: #3b7dd8; }
.chart .flagged .bar { fill: #d9534f; }
.chart .label, .chart .value { font-size: 12px; fill: #1d2330; }
.chart .flagged .label, .chart .flagged .value { fill: #b3261e; font-weight: 600; }
.chart .threshold { stroke: #5b6475; stroke-dasharray: 4 3; }
.chart .threshold-label { font-size: 11px; fill: #5b6475; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: .35rem .6rem; border-bottom: 1px solid #e1e5ee; text-align: left; vertical-align: top; }
th { background: #f3f5f9; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.flagged td { background: #fdf0ef; }
ul.flags { margin: 0; padding-left: 1rem; color: #b3261e; }
td.source { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; color: #5b6475; }
`;

/** The report as one HTML page with nothing external: inline CSS, inline SVG, no scripts. */
export function renderHtml(report: QcReport): string {
  const rows = report.samples.map((row) => {
    const flags =
      row.flags.length === 0
        ? 'ok'
        : `<ul class="flags">${row.flags.map((flag) => `<li>${escapeHtml(flag.message)}</li>`).join('')}</ul>`;
    return (
      `<tr${row.flags.length > 0 ? ' class="flagged"' : ''}>` +
      `<td>${escapeHtml(row.sample)}</td>` +
      `<td class="num">${formatCount(row.reads)}</td>` +
      `<td class="num">${formatCount(row.bases)}</td>` +
      `<td class="num">${formatNumber(row.gcPercent, 2)}</td>` +
      `<td class="num">${formatNumber(row.meanQuality, 2)}</td>` +
      `<td class="num">${formatPercent(row.fractionAtOrAboveMinQuality)} (Q${row.minQuality})</td>` +
      `<td class="num">${formatPercent(row.nRate, 3)}</td>` +
      `<td>${flags}</td>` +
      `<td class="source">${escapeHtml(row.source)}</td></tr>`
    );
  });
  const batch = escapeHtml(report.batch);
  const { summary } = report;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>QC report: ${batch}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>QC report: ${batch}</h1>
<p class="meta">Generated ${escapeHtml(report.generatedAt)} · thresholds: ${escapeHtml(thresholdText(report.thresholds))}</p>
<div class="summary">
<div><strong>${summary.samples}</strong>samples</div>
<div class="${summary.flagged > 0 ? 'bad' : ''}"><strong>${summary.flagged}</strong>flagged</div>
<div><strong>${formatCount(summary.reads)}</strong>reads</div>
<div><strong>${formatCount(summary.bases)}</strong>bases</div>
</div>
<h2>Reads per sample</h2>
${readsChart(report)}
<h2>Samples</h2>
<table>
<thead><tr><th>Sample</th><th>Reads</th><th>Bases</th><th>GC %</th><th>Mean quality</th><th>Bases at or above min quality</th><th>N rate</th><th>Flags</th><th>Source</th></tr></thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</body>
</html>
`;
}
