import { describe, expect, it } from 'vitest';
import { readSampleSheet } from '../../cli/samplesheet-file.js';
import type { ManifestResult } from '../../domain/manifest/index.js';
import {
  describeSheetLocation,
  parametersNamingInput,
  type SampleSheetOptions,
  sampleSheetToManifest,
  sheetProblems,
} from '../../domain/manifest/samplesheet.js';
import {
  aManifestContext,
  aProfile,
  FASTQ_STATS_TEMPLATE,
  parseDocument,
} from '../support/manifest-context.js';

const fastqStats = aProfile(
  'fastq-stats',
  { id: '4821093', version: '1.0.0' },
  {
    parameterTemplate: FASTQ_STATS_TEMPLATE,
    defaults: { storageType: 'DYNAMIC', parameters: { min_quality: 20 } },
  },
);
const withBam = aProfile(
  'align-bam',
  { id: '5550001' },
  { parameterTemplate: { reads: '{{sample.fastq1}}', bam: '{{sample.bam}}' } },
);

const IN = 's3://gwm-lab-inputs/FC1';
const OPTIONS: SampleSheetOptions = {
  profile: 'fastq-stats',
  name: 'FC1',
  outputUri: 's3://gwm-lab-results/FC1/',
  singleEndNullParameters: parametersNamingInput(fastqStats, 'fastq2'),
};

function check(csv: string, options: SampleSheetOptions = OPTIONS) {
  const conversion = sampleSheetToManifest(readSampleSheet(csv), options);
  const result: ManifestResult = parseDocument(
    conversion.document,
    aManifestContext([fastqStats, withBam], {
      allowedReadPrefixes: ['s3://gwm-lab-inputs/'],
      allowedWritePrefixes: ['s3://gwm-lab-results/'],
      batch: { id: 'b-0001', defaultName: 'FC1' },
    }),
  );
  const problems = sheetProblems(conversion, result.ok ? [] : result.problems).map(
    (problem) => `${describeSheetLocation(problem.location)} | ${problem.code} | ${problem.message}`,
  );
  return { conversion, result, problems };
}

describe('nf-core sample sheet to native manifest', () => {
  it('turns each row into a sample whose runs get the profile parameters', () => {
    // Prepare
    const csv = [
      'sample,fastq_1,fastq_2',
      `NA12878,${IN}/NA12878_R1.fastq.gz,${IN}/NA12878_R2.fastq.gz`,
      `NA12891,${IN}/NA12891_R1.fastq.gz,${IN}/NA12891_R2.fastq.gz`,
    ].join('\n');

    // Act
    const { conversion, result, problems } = check(csv);

    // Assess
    expect(problems).toEqual([]);
    expect(conversion.document).toEqual({
      schemaVersion: 'gwm.manifest/v1',
      batch: { name: 'FC1' },
      defaults: { profile: 'fastq-stats', outputUri: 's3://gwm-lab-results/FC1/' },
      samples: [
        {
          id: 'NA12878',
          inputs: { fastq1: `${IN}/NA12878_R1.fastq.gz`, fastq2: `${IN}/NA12878_R2.fastq.gz` },
        },
        {
          id: 'NA12891',
          inputs: { fastq1: `${IN}/NA12891_R1.fastq.gz`, fastq2: `${IN}/NA12891_R2.fastq.gz` },
        },
      ],
    });
    if (!result.ok) throw new Error('expected a valid manifest');
    expect(result.plan.samples.map((sample) => sample.parameters)).toEqual([
      {
        reads1: `${IN}/NA12878_R1.fastq.gz`,
        reads2: `${IN}/NA12878_R2.fastq.gz`,
        sample_name: 'NA12878',
        min_quality: 20,
      },
      {
        reads1: `${IN}/NA12891_R1.fastq.gz`,
        reads2: `${IN}/NA12891_R2.fastq.gz`,
        sample_name: 'NA12891',
        min_quality: 20,
      },
    ]);
  });

  it('runs a row without fastq_2 as single-end: the parameters naming fastq2 become null', () => {
    const { result, problems } = check(`sample,fastq_1,fastq_2\nSE1,${IN}/SE1.fastq.gz,\n`);

    expect(problems).toEqual([]);
    if (!result.ok) throw new Error('expected a valid manifest');
    expect(result.plan.samples[0]?.inputs).toEqual({ fastq1: `${IN}/SE1.fastq.gz` });
    expect(result.plan.samples[0]?.parameters).toEqual({
      reads1: `${IN}/SE1.fastq.gz`,
      reads2: null,
      sample_name: 'SE1',
      min_quality: 20,
    });
  });

  it('makes a column of S3 URIs an input for templates, and any other column a parameter', () => {
    const csv = [
      'sample,fastq_1,fastq_2,bam,strandedness',
      `S1,${IN}/S1_R1.fq.gz,,${IN}/S1.bam,reverse`,
      `S2,${IN}/S2_R1.fq.gz,,${IN}/S2.bam,`,
    ].join('\n');

    const { result, problems } = check(csv, {
      profile: 'align-bam',
      name: 'FC1',
      outputUri: 's3://gwm-lab-results/x/',
    });

    expect(problems).toEqual([]);
    if (!result.ok) throw new Error('expected a valid manifest');
    expect(result.plan.samples.map((sample) => sample.parameters)).toEqual([
      { reads: `${IN}/S1_R1.fq.gz`, bam: `${IN}/S1.bam`, strandedness: 'reverse' },
      { reads: `${IN}/S2_R1.fq.gz`, bam: `${IN}/S2.bam` },
    ]);
  });

  it('reads quoted fields holding commas, quotes and line breaks, and counts rows by file line', () => {
    const csv =
      '\uFEFFsample,fastq_1,fastq_2,comment\n' +
      `S1,${IN}/S1_R1.fq.gz,${IN}/S1_R2.fq.gz,"lane 1, ""rerun"""\n` +
      '\n' +
      `S2,${IN}/S2_R1.fq.gz,${IN}/S2_R2.fq.gz,"two\nlines"\n` +
      `S3,s3://elsewhere/S3_R1.fq.gz,${IN}/S3_R2.fq.gz,\n`;

    const { conversion, problems } = check(csv);

    const samples = conversion.document.samples as { id: string; parameters?: Record<string, string> }[];
    expect(samples.map((sample) => [sample.id, sample.parameters?.comment])).toEqual([
      ['S1', 'lane 1, "rerun"'],
      ['S2', 'two\nlines'],
      ['S3', undefined],
    ]);
    expect(conversion.sources.map((source) => source.line)).toEqual([2, 4, 6]);
    expect(problems).toEqual([
      'row 6, column fastq_1 | READ_PREFIX_NOT_ALLOWED | s3://elsewhere/S3_R1.fq.gz is not under a prefix this deployment may read (s3://gwm-lab-inputs/)',
    ]);
  });

  it('tells every problem by row and column, and options by name', () => {
    // Prepare: sample 3 (row 5) reads outside the allowed prefix; row 4 repeats row 2's id;
    // row 6 has no sample name and no FASTQ; row 7 has a space in its id and an extra cell.
    const csv = [
      'sample,fastq_1,fastq_2',
      `A1,${IN}/A1_R1.fq.gz,${IN}/A1_R2.fq.gz`,
      `A2,${IN}/A2_R1.fq.gz,${IN}/A2_R2.fq.gz`,
      `A1,${IN}/A1b_R1.fq.gz,${IN}/A1b_R2.fq.gz`,
      `A4,s3://other-lab/A4_R1.fq.gz,${IN}/A4_R2.fq.gz`,
      ',,',
      `A 6,${IN}/A6_R1.fq.gz,${IN}/A6_R2.fq.gz,surplus`,
    ].join('\n');

    // Act
    const { problems } = check(csv, { ...OPTIONS, outputUri: 's3://gwm-lab-inputs/out/' });

    // Assess: the blank row ",," is skipped as empty; everything else is placed
    expect(problems).toEqual([
      'option --output | WRITE_PREFIX_NOT_ALLOWED | s3://gwm-lab-inputs/out/ is not under a prefix this deployment may write (s3://gwm-lab-results/)',
      'row 4, column sample | DUPLICATE_SAMPLE_ID | sample id "A1" is already used by sample 0 at row 2',
      'row 5, column fastq_1 | READ_PREFIX_NOT_ALLOWED | s3://other-lab/A4_R1.fq.gz is not under a prefix this deployment may read (s3://gwm-lab-inputs/)',
      'row 7 | SCHEMA | the row has 4 cells; the header names 3 columns',
      'row 7, column sample | SCHEMA | a sample id has 1-64 letters, digits, . _ - and starts with a letter or digit (got "A 6")',
    ]);
  });

  it('reports an empty sample name or first FASTQ once, in the sheet’s words', () => {
    const { problems } = check(`sample,fastq_1,fastq_2\n,${IN}/x_R1.fq.gz,\nB1,,${IN}/B1_R2.fq.gz\n`);

    expect(problems).toEqual([
      'row 2, column sample | SCHEMA | the sample name is empty',
      'row 3, column fastq_1 | SCHEMA | the first FASTQ file is missing',
    ]);
  });

  it('names a column a profile needs but the sheet lacks, and an unknown profile as the --workflow option', () => {
    const missingColumn = check(`sample,fastq_1\nS1,${IN}/S1.fq.gz\n`, {
      profile: 'align-bam',
      name: 'FC1',
      outputUri: 's3://gwm-lab-results/x/',
    });
    const unknownProfile = check(`sample,fastq_1\nS1,${IN}/S1.fq.gz\n`, {
      ...OPTIONS,
      profile: 'fastq-statz',
    });

    expect(missingColumn.problems).toEqual([
      'row 2, column bam (not in the sheet) | UNKNOWN_TEMPLATE_FIELD | profile "align-bam" parameterTemplate.bam: {{sample.bam}} names input "bam", which sample "S1" does not have',
    ]);
    expect(unknownProfile.problems).toEqual([
      'option --workflow | UNKNOWN_PROFILE | unknown profile "fastq-statz" (known: align-bam, fastq-stats)',
    ]);
  });

  it('refuses a sheet without the nf-core columns, and an S3 column whose name cannot be an input', () => {
    const { problems } = check(`id,reads,bam-file\nS1,${IN}/S1.fq.gz,${IN}/S1.bam\n`);

    expect(problems).toEqual(
      expect.arrayContaining([
        'row 1 | SCHEMA | the header has no "sample" column (an nf-core sample sheet starts with sample,fastq_1,fastq_2)',
        'row 1 | SCHEMA | the header has no "fastq_1" column (an nf-core sample sheet starts with sample,fastq_1,fastq_2)',
        'row 1, column bam-file | SCHEMA | column "bam-file" holds S3 URIs, so it becomes an input named after it: an input name starts with a letter, has letters, digits and _ (at most 64), and is not id, fastq1 or fastq2',
      ]),
    );
  });

  it('finds the parameters of a profile that name an input', () => {
    expect(parametersNamingInput(fastqStats, 'fastq2')).toEqual(['reads2']);
    expect(parametersNamingInput(fastqStats, 'bam')).toEqual([]);
  });
});
