import { describe, expect, it } from 'vitest';
import type { ManifestResult } from '../../domain/manifest/index.js';
import { s3UrisIn } from '../../domain/manifest/rendered-uris.js';
import { aManifestContext, aProfile, parseDocument } from '../support/manifest-context.js';

const refByName = aProfile(
  'ref-by-name',
  { id: '1234567' },
  {
    parameterTemplate: {
      reads: '{{sample.fastq1}}',
      index: '{{sample.fastq1}}.bai',
      reference: '{{batch.name}}/ref.fa',
      report: '{{launch.outputUri}}{{sample.id}}/report.html',
    },
  },
);

const context = aManifestContext([refByName], {
  allowedReadPrefixes: ['s3://lab-inputs/', 's3://lab-refs/'],
  allowedWritePrefixes: ['s3://lab-results/'],
  batch: { id: 'batch-0001', defaultName: 'upload' },
});

function manifest(batchName: string, overrides: Record<string, unknown> = {}) {
  return {
    schemaVersion: 'gwm.manifest/v1',
    batch: { name: batchName },
    defaults: { workflow: { id: '1234567' }, outputUri: 's3://lab-results/fc/' },
    samples: [
      { id: 'S1', inputs: { fastq1: 's3://lab-inputs/fc/S1.fq.gz' } },
      { id: 'S2', inputs: { fastq1: 's3://lab-inputs/fc/S2.fq.gz' } },
    ],
    ...overrides,
  };
}

/** A manifest of batch `batchName` whose default parameters put the reference under the batch name. */
function referenceUnderBatchName(batchName: string) {
  return manifest(batchName, {
    defaults: {
      workflow: { id: '1234567' },
      outputUri: 's3://lab-results/fc/',
      parameters: { reference: '{{batch.name}}/ref.fa' },
    },
  });
}

function parse(document: unknown): ManifestResult {
  return parseDocument(document, context);
}

function problemsOf(result: ManifestResult) {
  if (result.ok) throw new Error('expected the manifest to be rejected');
  return result.problems.map(({ path, code, message }) => ({ path, code, message }));
}

describe('S3 URIs a template renders', () => {
  it('rejects a parameter whose rendered value escapes the read prefixes through the batch name', () => {
    // Prepare: the template does not start with s3:, the batch name does
    const document = referenceUnderBatchName('s3://other-bucket/x');
    // Act
    const problems = problemsOf(parse(document));
    // Assess: reported once for the defaults, with the rendered URI
    expect(problems).toEqual([
      {
        path: '$.defaults.parameters.reference',
        code: 'READ_PREFIX_NOT_ALLOWED',
        message: expect.stringContaining('s3://other-bucket/x/ref.fa'),
      },
    ]);
  });

  it('checks nested values and URIs inside a longer string, in samples and in QC', () => {
    const document = manifest('s3://other-bucket/x', {
      samples: [
        {
          id: 'S1',
          inputs: { fastq1: 's3://lab-inputs/fc/S1.fq.gz' },
          parameters: { options: { extra: ['--known-sites={{batch.name}}/dbsnp.vcf'] } },
        },
      ],
      qc: {
        workflow: { id: '7777777' },
        outputUri: 's3://lab-results/fc/qc/',
        parameters: {
          samples: '{{batch.sampleOutputUris}}',
          panel: '{{batch.name}}/panel.bed',
          mixed: '{{batch.name}}{{batch.sampleOutputUris}}',
        },
      },
    });
    expect(problemsOf(parse(document)).map(({ path, code }) => `${code} ${path}`)).toEqual([
      'READ_PREFIX_NOT_ALLOWED $.samples[0].parameters.options.extra[0]',
      'READ_PREFIX_NOT_ALLOWED $.qc.parameters.panel',
      'READ_PREFIX_NOT_ALLOWED $.qc.parameters.mixed',
    ]);
  });

  it("checks what a profile's template renders, reporting it where the manifest names the profile", () => {
    const document = manifest('s3://other-bucket/x', {
      defaults: { profile: 'ref-by-name', outputUri: 's3://lab-results/fc/' },
    });
    const problems = problemsOf(parse(document));
    expect(problems).toEqual([
      {
        path: '$.defaults.profile',
        code: 'READ_PREFIX_NOT_ALLOWED',
        message: expect.stringMatching(
          /profile "ref-by-name" parameterTemplate\.reference renders s3:\/\/other-bucket\/x\/ref\.fa/,
        ),
      },
    ]);
  });

  it('accepts rendered URIs under a read prefix, the run output URI or a checked input', () => {
    const result = parse(
      manifest('s3://lab-refs/hg38', {
        defaults: { profile: 'ref-by-name', outputUri: 's3://lab-results/fc/' },
      }),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.plan.samples[0]?.parameters).toEqual({
      reads: 's3://lab-inputs/fc/S1.fq.gz',
      index: 's3://lab-inputs/fc/S1.fq.gz.bai',
      reference: 's3://lab-refs/hg38/ref.fa',
      report: 's3://lab-results/fc/S1/report.html',
    });
  });

  it('reports a malformed rendered URI', () => {
    const document = referenceUnderBatchName('s3://Bad_Bucket/x');
    expect(problemsOf(parse(document)).map(({ path, code }) => `${code} ${path}`)).toEqual([
      'MALFORMED_S3_URI $.defaults.parameters.reference',
    ]);
  });

  it('finds every s3:// URI in a string, whatever the scheme case', () => {
    expect(s3UrisIn('a=s3://b1/k1,S3://b2/k2 "s3://b3/k 3"')).toEqual([
      's3://b1/k1',
      'S3://b2/k2',
      's3://b3/k',
    ]);
    expect(s3UrisIn('no uri here')).toEqual([]);
  });
});
