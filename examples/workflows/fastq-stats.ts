/**
 * fastq-stats: per-sample statistics of one FASTQ file or a read pair, written to
 * `<out>/stats.json` (schema `gwm.fastq-stats/v1`).
 *
 *   fastq-stats --sample <id> --reads1 <uri> [--reads2 <uri>] [--min-quality <n>] --out <dir>
 *
 * Inputs are `s3://bucket/key` (read from GWM_S3_ENDPOINT with the AWS_* credentials of the
 * environment) or local paths, plain or gzipped (told apart by the gzip magic bytes, not the name),
 * and are streamed. The FASTQ is validated strictly; the first problem ends the program with exit 1
 * and a last stderr line naming the sample, the file, the line and the URI. Exit 2: usage error.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as z from 'zod';
import { parseOptions } from './arguments.js';
import { measureFile, type Place, Tally } from './fastq-reader.js';
import { InputError, makeUriReader, runProgram, s3SettingsFromEnv, UsageError } from './s3-io.js';
import { runCacheOf, runStep, type StepCache, type StepResources } from './task-report.js';

export const STATS_SCHEMA = 'gwm.fastq-stats/v1';

const PROGRAM = 'fastq-stats';
const USAGE =
  'usage: fastq-stats --sample <id> --reads1 <uri> [--reads2 <uri>] [--min-quality <0-93, default 20>] --out <dir>';
const DEFAULT_MIN_QUALITY = 20;
/** The run's tasks (see task-report.ts): one per FASTQ file read, then the summary. */
const MEASURE_RESOURCES: StepResources = { cpus: 1, memoryGiB: 2 };
const SUMMARIZE_RESOURCES: StepResources = { cpus: 1, memoryGiB: 1 };
const MAX_PHRED = 93;

export type ReadFileRole = 'reads1' | 'reads2';

/** Statistics of a set of reads; ratios are null when there is nothing to divide by. */
export interface ReadStats {
  reads: number;
  bases: number;
  /** G and C bases (either case). */
  gcBases: number;
  nBases: number;
  /** Percent of G or C among the bases that are not N. */
  gcPercent: number | null;
  /** Mean Phred score (Phred+33) over all bases. */
  meanQuality: number | null;
  /** Bases whose Phred score is at least the run's minimum quality. */
  basesAtOrAboveMinQuality: number;
  fractionAtOrAboveMinQuality: number | null;
  /** N bases / all bases. */
  nRate: number | null;
  minReadLength: number | null;
  maxReadLength: number | null;
  meanReadLength: number | null;
  /** Read length → number of reads of that length. */
  readLengthHistogram: Record<string, number>;
}

export interface FileStats extends ReadStats {
  role: ReadFileRole;
  uri: string;
  gzipped: boolean;
}

export interface FastqStatsDocument {
  schema: typeof STATS_SCHEMA;
  sample: string;
  minQuality: number;
  paired: boolean;
  files: FileStats[];
  /** Both files together for a pair (`reads` counts each mate). */
  total: ReadStats & { pairs: number | null };
  readLengthHistogram: Record<string, number>;
}

interface Arguments {
  sample: string;
  reads1: string;
  reads2?: string;
  minQuality: number;
  out: string;
}

const OPTIONS = ['sample', 'reads1', 'reads2', 'min-quality', 'out'] as const;

function parseArguments(argv: string[]): Arguments {
  const { values, required } = parseOptions(argv, OPTIONS, USAGE);
  const minQualityText = values['min-quality'];
  const minQuality = minQualityText === undefined ? DEFAULT_MIN_QUALITY : Number(minQualityText);
  if (!Number.isInteger(minQuality) || minQuality < 0 || minQuality > MAX_PHRED) {
    throw new UsageError(`--min-quality must be an integer from 0 to ${MAX_PHRED}, not "${minQualityText}"`);
  }
  const reads2 = values.reads2?.trim() ? values.reads2 : undefined;
  return { sample: required('sample'), reads1: required('reads1'), reads2, minQuality, out: required('out') };
}

function log(message: string): void {
  process.stdout.write(`${PROGRAM}: ${message}\n`);
}

function percent(value: number | null, digits = 2): string {
  return value === null ? 'n/a' : `${value.toFixed(digits)}%`;
}

function summaryLine(stats: ReadStats): string {
  const q = stats.meanQuality === null ? 'n/a' : stats.meanQuality.toFixed(2);
  const fraction = stats.fractionAtOrAboveMinQuality;
  return [
    `${stats.reads.toLocaleString('en-US')} reads`,
    `${stats.bases.toLocaleString('en-US')} bases`,
    `GC ${percent(stats.gcPercent)}`,
    `mean quality ${q}`,
    `at or above min quality ${percent(fraction === null ? null : fraction * 100)}`,
    `N rate ${percent(stats.nRate === null ? null : stats.nRate * 100, 4)}`,
  ].join(', ');
}

/** What the run cache keeps of a measured file: its tally as JSON, checked when read back. */
const MEASURED_CACHE: Pick<StepCache<{ tally: Tally; gzipped: boolean }>, 'save' | 'load'> = {
  save: ({ tally, gzipped }) => ({ tally: tally.toJson(), gzipped }),
  load: (saved) => {
    const { tally, gzipped } = measuredSchema.parse(saved);
    return { tally: Tally.fromJson(tally), gzipped };
  },
};
const count = z.number().int().nonnegative();
const measuredSchema = z.object({
  tally: z.object({
    reads: count,
    bases: count,
    gcBases: count,
    nBases: count,
    qualitySum: count,
    atOrAboveMin: count,
    lengths: z.array(z.tuple([count, count])),
  }),
  gzipped: z.boolean(),
});

async function main(): Promise<void> {
  const args = parseArguments(process.argv.slice(2));
  const reader = makeUriReader(() => s3SettingsFromEnv(process.env));
  try {
    const inputs: { role: ReadFileRole; uri: string }[] = [{ role: 'reads1', uri: args.reads1 }];
    if (args.reads2 !== undefined) inputs.push({ role: 'reads2', uri: args.reads2 });
    const files: FileStats[] = [];
    const total = new Tally();
    // In a run with a cache a file is known by its content version (its S3 ETag), as in HealthOmics.
    const cached = runCacheOf() !== undefined;
    for (const input of inputs) {
      const place: Place = { sample: args.sample, ...input };
      const version = cached ? await reader.version(input.uri) : undefined;
      const { tally, gzipped } = await runStep(
        `measure_${input.role}`,
        MEASURE_RESOURCES,
        () => {
          log(`${args.sample} ${input.role}: reading ${input.uri}`);
          return measureFile(reader.open, place, args.minQuality, log);
        },
        version === undefined
          ? undefined
          : {
              ...MEASURED_CACHE,
              inputs: { uri: input.uri, version, sample: args.sample, minQuality: args.minQuality },
              outputDir: args.out,
              onHit: () => log(`${args.sample} ${input.role}: ${input.uri} taken from the run cache`),
            },
      );
      const stats = tally.stats();
      log(`${args.sample} ${input.role}: ${summaryLine(stats)}${gzipped ? ' (gzipped)' : ''}`);
      files.push({ role: input.role, uri: input.uri, gzipped, ...stats });
      total.add(tally);
    }
    const target = join(args.out, 'stats.json');
    // What summarize makes is the file: a cached one is put back where the step would write it.
    const summarized: StepCache<void> = {
      inputs: { sample: args.sample, minQuality: args.minQuality, files },
      outputDir: args.out,
      files: ['stats.json'],
      save: () => null,
      load: () => undefined,
    };
    await runStep(
      'summarize',
      SUMMARIZE_RESOURCES,
      async () => {
        const [first, second] = files;
        if (first !== undefined && second !== undefined && first.reads !== second.reads) {
          throw new InputError(
            'PAIRED_COUNT_MISMATCH',
            `${args.sample}: paired files differ in read count: reads1 has ${first.reads}, reads2 has ${second.reads} (${first.uri}, ${second.uri})`,
          );
        }
        const totalStats = total.stats();
        const document: FastqStatsDocument = {
          schema: STATS_SCHEMA,
          sample: args.sample,
          minQuality: args.minQuality,
          paired: second !== undefined,
          files,
          total: { ...totalStats, pairs: second === undefined ? null : second.reads },
          readLengthHistogram: totalStats.readLengthHistogram,
        };
        await mkdir(args.out, { recursive: true });
        await writeFile(target, `${JSON.stringify(document, null, 2)}\n`);
      },
      cached ? summarized : undefined,
    );
    log(`${args.sample}: ${summaryLine(total.stats())}; wrote ${target}`);
  } finally {
    reader.close();
  }
}

await runProgram(PROGRAM, main);
