/**
 * fastq-qc-report: one QC report for a batch, from the `stats.json` each fastq-stats run wrote.
 *
 *   fastq-qc-report --batch <name> --inputs <JSON array or comma-separated run output URIs>
 *     [--min-reads <n>] [--min-mean-quality <q>] [--max-n-rate <r>] --out <dir>
 *   fastq-qc-report --batch <name> --inputs-list <s3:// URI or path of a text file, one URI per line> ...
 *
 * Each input is a run's output location (`s3://bucket/prefix/<runId>/`, or a local folder), whose
 * `out/stats.json` is read. Writes `<out>/report.json` (schema `gwm.qc-report/v1`) and
 * `<out>/report.html`, a self-contained page (inline CSS and SVG, nothing loaded from anywhere).
 * A threshold that is not given is not checked. Exit 1 when an input's stats cannot be read or are
 * not fastq-stats output (the last stderr line names the input); exit 2 on a usage error.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { FastqStatsDocument } from './fastq-stats.js';
import {
  childUri,
  errorMessage,
  InputError,
  makeUriReader,
  runProgram,
  s3SettingsFromEnv,
  UsageError,
} from './s3-io.js';

export const REPORT_SCHEMA = 'gwm.qc-report/v1';

const PROGRAM = 'fastq-qc-report';
const USAGE =
  'usage: fastq-qc-report --batch <name> (--inputs <JSON array or comma-separated URIs> | --inputs-list <URI of a file, one URI per line>) [--min-reads <n>] [--min-mean-quality <q>] [--max-n-rate <r>] --out <dir>';
/** A list file of 10,000 outputs is about 1 MB. */
const LIST_LIMIT = 64 * 1024 * 1024;
const STATS_SCHEMA: FastqStatsDocument['schema'] = 'gwm.fastq-stats/v1';
const READ_CONCURRENCY = 8;

export interface Thresholds {
  minReads: number | null;
  minMeanQuality: number | null;
  maxNRate: number | null;
}

export type FlagCode = 'no-reads' | 'low-reads' | 'low-mean-quality' | 'high-n-rate' | 'duplicate-sample';

export interface Flag {
  code: FlagCode;
  message: string;
}

export interface SampleRow {
  sample: string;
  reads: number;
  bases: number;
  pairs: number | null;
  gcPercent: number | null;
  meanQuality: number | null;
  nRate: number | null;
  minQuality: number;
  fractionAtOrAboveMinQuality: number | null;
  flags: Flag[];
  /** The run output location given as input. */
  source: string;
}

export interface QcReport {
  schema: typeof REPORT_SCHEMA;
  batch: string;
  generatedAt: string;
  thresholds: Thresholds;
  samples: SampleRow[];
  summary: { samples: number; flagged: number; reads: number; bases: number };
}

/** The part of a fastq-stats document the report uses; other fields are left alone. */
const statsSchema = z.object({
  schema: z.literal(STATS_SCHEMA),
  sample: z.string().min(1),
  minQuality: z.number().int().nonnegative(),
  total: z.object({
    reads: z.number().int().nonnegative(),
    bases: z.number().int().nonnegative(),
    pairs: z.number().int().nonnegative().nullable(),
    gcPercent: z.number().nullable(),
    meanQuality: z.number().nullable(),
    nRate: z.number().nullable(),
    fractionAtOrAboveMinQuality: z.number().nullable(),
  }),
});

interface Arguments {
  batch: string;
  /** The run outputs, or where a file lists them (read before the run outputs are). */
  inputs: { list: string[] } | { file: string };
  thresholds: Thresholds;
  out: string;
}

function parseArguments(argv: string[]): Arguments {
  let values: Record<string, string | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        batch: { type: 'string' },
        inputs: { type: 'string' },
        'inputs-list': { type: 'string' },
        'min-reads': { type: 'string' },
        'min-mean-quality': { type: 'string' },
        'max-n-rate': { type: 'string' },
        out: { type: 'string' },
      },
    }));
  } catch (error) {
    throw new UsageError(`${errorMessage(error)}; ${USAGE}`, { cause: error });
  }
  const required = (name: string) => {
    const value = values[name];
    if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required; ${USAGE}`);
    return value;
  };
  const threshold = (name: string, valid: (value: number) => boolean, expected: string) => {
    const text = values[name];
    if (text === undefined) return null;
    const value = Number(text);
    if (text.trim() === '' || !valid(value))
      throw new UsageError(`--${name} must be ${expected}, not "${text}"`);
    return value;
  };
  const file = values['inputs-list'];
  if ((file === undefined) === (values.inputs === undefined))
    throw new UsageError(`give one of --inputs and --inputs-list; ${USAGE}`);
  return {
    batch: required('batch'),
    inputs: file === undefined ? { list: parseInputs(required('inputs')) } : { file },
    thresholds: {
      minReads: threshold('min-reads', (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0'),
      minMeanQuality: threshold('min-mean-quality', (v) => v >= 0 && v <= 93, 'a number from 0 to 93'),
      maxNRate: threshold('max-n-rate', (v) => v >= 0 && v <= 1, 'a number from 0 to 1'),
    },
    out: required('out'),
  };
}

/** A JSON array of strings, or a comma-separated list (what a template interpolation produces). */
function parseInputs(text: string): string[] {
  let inputs: unknown;
  if (text.trimStart().startsWith('[')) {
    try {
      inputs = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`--inputs is not a valid JSON array (${errorMessage(error)})`, { cause: error });
    }
    if (!Array.isArray(inputs) || !inputs.every((item) => typeof item === 'string' && item.trim() !== '')) {
      throw new UsageError('--inputs must be a JSON array of non-empty strings');
    }
  } else {
    inputs = text.split(',');
  }
  const list = (inputs as string[]).map((item) => item.trim()).filter((item) => item !== '');
  if (list.length === 0) throw new UsageError(`--inputs lists no run outputs; ${USAGE}`);
  return list;
}

type Stats = z.infer<typeof statsSchema>;

async function readStats(
  readJson: (uri: string) => Promise<unknown>,
  input: string,
): Promise<{ input: string; stats: Stats }> {
  const statsUri = childUri(input, 'out', 'stats.json');
  let document: unknown;
  try {
    document = await readJson(statsUri);
  } catch (error) {
    throw new InputError('STATS_UNREADABLE', `input ${input}: no readable stats (${errorMessage(error)})`, {
      cause: error,
    });
  }
  const parsed = statsSchema.safeParse(document);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined || issue.path.length === 0 ? '' : ` at ${issue.path.join('.')}`;
    throw new InputError(
      'STATS_INVALID',
      `input ${input}: ${statsUri} is not fastq-stats output (${issue?.message ?? 'invalid'}${where})`,
    );
  }
  return { input, stats: parsed.data };
}

/** Runs `work` over `items`, at most `limit` at a time, keeping the order of `items`. */
async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function flagsFor(stats: Stats, thresholds: Thresholds, duplicate: boolean): Flag[] {
  const flags: Flag[] = [];
  const { reads, meanQuality, nRate } = stats.total;
  if (reads === 0) flags.push({ code: 'no-reads', message: 'no reads' });
  else if (thresholds.minReads !== null && reads < thresholds.minReads) {
    flags.push({
      code: 'low-reads',
      message: `${formatCount(reads)} reads, below the minimum of ${formatCount(thresholds.minReads)}`,
    });
  }
  if (thresholds.minMeanQuality !== null && meanQuality !== null && meanQuality < thresholds.minMeanQuality) {
    flags.push({
      code: 'low-mean-quality',
      message: `mean quality ${meanQuality.toFixed(2)}, below the minimum of ${thresholds.minMeanQuality}`,
    });
  }
  if (thresholds.maxNRate !== null && nRate !== null && nRate > thresholds.maxNRate) {
    flags.push({
      code: 'high-n-rate',
      message: `N rate ${formatPercent(nRate, 3)}, above the maximum of ${formatPercent(thresholds.maxNRate, 3)}`,
    });
  }
  if (duplicate) {
    flags.push({ code: 'duplicate-sample', message: 'more than one input has statistics for this sample' });
  }
  return flags;
}

function buildReport(
  batch: string,
  thresholds: Thresholds,
  inputs: readonly { input: string; stats: Stats }[],
  now: Date,
): QcReport {
  const seen = new Map<string, number>();
  for (const { stats } of inputs) seen.set(stats.sample, (seen.get(stats.sample) ?? 0) + 1);
  const samples = inputs
    .map(
      ({ input, stats }): SampleRow => ({
        sample: stats.sample,
        reads: stats.total.reads,
        bases: stats.total.bases,
        pairs: stats.total.pairs,
        gcPercent: stats.total.gcPercent,
        meanQuality: stats.total.meanQuality,
        nRate: stats.total.nRate,
        minQuality: stats.minQuality,
        fractionAtOrAboveMinQuality: stats.total.fractionAtOrAboveMinQuality,
        flags: flagsFor(stats, thresholds, (seen.get(stats.sample) ?? 0) > 1),
        source: input,
      }),
    )
    .sort((a, b) => (a.sample < b.sample ? -1 : a.sample > b.sample ? 1 : a.source < b.source ? -1 : 1));
  return {
    schema: REPORT_SCHEMA,
    batch,
    generatedAt: now.toISOString(),
    thresholds,
    samples,
    summary: {
      samples: samples.length,
      flagged: samples.filter((row) => row.flags.length > 0).length,
      reads: samples.reduce((sum, row) => sum + row.reads, 0),
      bases: samples.reduce((sum, row) => sum + row.bases, 0),
    },
  };
}

function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

function formatPercent(fraction: number | null, digits = 2): string {
  return fraction === null ? 'n/a' : `${(fraction * 100).toFixed(digits)}%`;
}

function formatNumber(value: number | null, digits: number): string {
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
    const label = row.sample.length > MAX_LABEL ? `${row.sample.slice(0, MAX_LABEL - 1)}…` : row.sample;
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
function renderHtml(report: QcReport): string {
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

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  const reader = makeUriReader(() => s3SettingsFromEnv(process.env));
  try {
    const runOutputs = 'list' in args.inputs ? args.inputs.list : await readList(reader, args.inputs.file);
    log(`${args.batch}: reading the statistics of ${runOutputs.length} runs`);
    const results = await mapLimited(runOutputs, READ_CONCURRENCY, (input) =>
      readStats((uri) => reader.readJson(uri), input).then(
        (read) => ({ ok: true as const, ...read }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    );
    const failures = results.flatMap((result) => (result.ok ? [] : [result.error]));
    const [first] = failures;
    if (failures.length === 1) throw first;
    if (failures.length > 1) {
      // Every unusable input is in the log; the last line (the run's failure reason) sums them up.
      for (const failure of failures) process.stderr.write(`${PROGRAM}: ${errorMessage(failure)}\n`);
      throw new InputError(
        'STATS_UNREADABLE',
        `${failures.length} of ${runOutputs.length} inputs have no usable stats, the first: ${errorMessage(first)}`,
      );
    }
    const inputs = results.flatMap((result) => (result.ok ? [result] : []));
    const report = buildReport(args.batch, args.thresholds, inputs, new Date());
    await mkdir(args.out, { recursive: true });
    await writeFile(join(args.out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
    await writeFile(join(args.out, 'report.html'), renderHtml(report));
    for (const row of report.samples) {
      const flags = row.flags.length === 0 ? 'ok' : row.flags.map((flag) => flag.code).join(', ');
      log(
        `${row.sample}: ${formatCount(row.reads)} reads, mean quality ${formatNumber(row.meanQuality, 2)}: ${flags}`,
      );
    }
    log(
      `${args.batch}: ${report.summary.samples} samples, ${report.summary.flagged} flagged; wrote ${join(args.out, 'report.json')} and report.html`,
    );
  } finally {
    reader.close();
  }
}

/** A text file with one run output URI per line (what gwm writes for `{{batch.sampleOutputsListUri}}`). */
async function readList(reader: ReturnType<typeof makeUriReader>, uri: string): Promise<string[]> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of (await reader.open(uri)) as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > LIST_LIMIT) throw new InputError('INPUT_TOO_LARGE', `${uri}: larger than ${LIST_LIMIT} bytes`);
    chunks.push(chunk);
  }
  const list = Buffer.concat(chunks)
    .toString('utf8')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
  if (list.length === 0) throw new InputError('INPUT_EMPTY', `${uri}: lists no run outputs`);
  return list;
}

function log(message: string): void {
  process.stdout.write(`${PROGRAM}: ${message}\n`);
}

await runProgram(PROGRAM, main);
