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
import * as z from 'zod';
import { mapConcurrently } from '../../domain/concurrency.js';
import { errorMessage } from '../../domain/errors.js';
import { parseOptions } from './arguments.js';
import type { FastqStatsDocument } from './fastq-stats.js';
import { formatCount, formatNumber, formatPercent, renderHtml } from './qc-report-html.js';
import { childUri, InputError, makeUriReader, runProgram, s3SettingsFromEnv, UsageError } from './s3-io.js';
import { runStep, type StepResources } from './task-report.js';

export const REPORT_SCHEMA = 'gwm.qc-report/v1';

const PROGRAM = 'fastq-qc-report';
const USAGE =
  'usage: fastq-qc-report --batch <name> (--inputs <JSON array or comma-separated URIs> | --inputs-list <URI of a file, one URI per line>) [--min-reads <n>] [--min-mean-quality <q>] [--max-n-rate <r>] --out <dir>';
/** A list file of 10,000 outputs is about 1 MB. */
const LIST_LIMIT = 64 * 1024 * 1024;
const STATS_SCHEMA: FastqStatsDocument['schema'] = 'gwm.fastq-stats/v1';
const READ_CONCURRENCY = 8;
/** The run's tasks (see task-report.ts): reading every sample's stats, then writing the report. */
const COLLECT_RESOURCES: StepResources = { cpus: 2, memoryGiB: 4 };
const RENDER_RESOURCES: StepResources = { cpus: 1, memoryGiB: 8 };

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

const OPTIONS = [
  'batch',
  'inputs',
  'inputs-list',
  'min-reads',
  'min-mean-quality',
  'max-n-rate',
  'out',
] as const;

function parseArguments(argv: string[]): Arguments {
  const { values, required } = parseOptions(argv, OPTIONS, USAGE);
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

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  const reader = makeUriReader(() => s3SettingsFromEnv(process.env));
  try {
    const results = await runStep('collect_stats', COLLECT_RESOURCES, async () => {
      const runOutputs = 'list' in args.inputs ? args.inputs.list : await readList(reader, args.inputs.file);
      log(`${args.batch}: reading the statistics of ${runOutputs.length} runs`);
      const read = await mapConcurrently(runOutputs, READ_CONCURRENCY, (input) =>
        readStats((uri) => reader.readJson(uri), input).then(
          (stats) => ({ ok: true as const, ...stats }),
          (error: unknown) => ({ ok: false as const, error }),
        ),
      );
      const failures = read.flatMap((result) => (result.ok ? [] : [result.error]));
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
      return read;
    });
    const report = await runStep('render_report', RENDER_RESOURCES, async () => {
      const inputs = results.flatMap((result) => (result.ok ? [result] : []));
      const built = buildReport(args.batch, args.thresholds, inputs, new Date());
      await mkdir(args.out, { recursive: true });
      await writeFile(join(args.out, 'report.json'), `${JSON.stringify(built, null, 2)}\n`);
      await writeFile(join(args.out, 'report.html'), renderHtml(built));
      return built;
    });
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
