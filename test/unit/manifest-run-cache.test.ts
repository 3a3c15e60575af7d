import { describe, expect, it } from 'vitest';
import { type ManifestResult, parseWorkflowProfile } from '../../domain/manifest/index.js';
import { registeredLaunch } from '../../domain/registration.js';
import { buildRunRequest } from '../../domain/run-request.js';
import type { WorkflowProfile } from '../../domain/workflow.js';
import { aManifestContext, parseDocument } from '../support/manifest-context.js';

/** A sample profile whose defaults name a run cache, and one for QC that names none. */
const cachedStats: WorkflowProfile = {
  name: 'fastq-stats',
  workflow: { id: '1234567', type: 'PRIVATE' },
  parameterTemplate: { reads1: '{{sample.fastq1}}', sample_name: '{{sample.id}}' },
  defaults: {
    outputUri: 's3://lab-results/from-profile/',
    cache: { id: '9000001', behavior: 'CACHE_ON_FAILURE' },
  },
};
const plainStats: WorkflowProfile = { ...cachedStats, name: 'plain-stats', defaults: {} };
const qcReport: WorkflowProfile = {
  name: 'qc-report',
  workflow: { id: '2345678', type: 'PRIVATE' },
  parameterTemplate: { sample_outputs: '{{batch.sampleOutputUris}}' },
  defaults: {},
};

const context = aManifestContext([cachedStats, plainStats, qcReport], {
  allowedReadPrefixes: ['s3://lab-inputs/'],
  allowedWritePrefixes: ['s3://lab-results/'],
});

function parse(document: unknown): ManifestResult {
  return parseDocument(document, context);
}

const sample = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  inputs: { fastq1: `s3://lab-inputs/FC1/${id}_R1.fastq.gz` },
  ...extra,
});

function manifest(overrides: Record<string, unknown>): Record<string, unknown> {
  return {
    schemaVersion: 'gwm.manifest/v1',
    batch: { name: 'FC1' },
    defaults: { profile: 'plain-stats', outputUri: 's3://lab-results/FC1/' },
    samples: [sample('S1')],
    ...overrides,
  };
}

function planOf(result: ManifestResult) {
  if (!result.ok) throw new Error(`expected a plan, got ${JSON.stringify(result.problems, null, 2)}`);
  return result.plan;
}

describe('run cache settings', () => {
  it("takes the run cache from the profile's defaults when the manifest names none", () => {
    // Act
    const plan = planOf(parse(manifest({ defaults: { profile: 'fastq-stats' } })));

    // Assess
    expect(plan.samples[0]?.cache).toEqual({ id: '9000001', behavior: 'CACHE_ON_FAILURE' });
  });

  it("lets the manifest's defaults replace the profile's cache, and a sample replace the defaults'", () => {
    // Prepare
    const document = manifest({
      defaults: {
        profile: 'fastq-stats',
        cache: { id: '9000002', behavior: 'CACHE_ALWAYS' },
      },
      samples: [sample('S1'), sample('S2', { cache: { id: '9000003' } })],
      qc: { profile: 'qc-report', outputUri: 's3://lab-results/FC1/qc/' },
    });

    // Act
    const plan = planOf(parse(document));

    // Assess: whole settings replace one another; the defaults' cache is the QC run's too
    expect(plan.samples.map((spec) => [spec.sampleId, spec.cache])).toEqual([
      ['S1', { id: '9000002', behavior: 'CACHE_ALWAYS' }],
      ['S2', { id: '9000003' }],
    ]);
    expect(plan.qc?.cache).toEqual({ id: '9000002', behavior: 'CACHE_ALWAYS' });
  });

  it('names no cache when neither the manifest nor the profile does', () => {
    const plan = planOf(parse(manifest({})));
    expect(plan.samples[0]).not.toHaveProperty('cache');
  });

  it('rejects an unknown behavior and a cache id that is not 1-18 digits, each at its path', () => {
    // Prepare
    const document = manifest({
      defaults: {
        profile: 'plain-stats',
        outputUri: 's3://lab-results/FC1/',
        cache: { id: '9000002', behavior: 'CACHE_SOMETIMES' },
      },
      samples: [
        sample('S1', { cache: { id: 'run-cache-1' } }),
        sample('S2', { cache: { id: '1234567890123456789' } }),
        sample('S3', { cache: { id: '42', behaviour: 'CACHE_ALWAYS' } }),
      ],
    });

    // Act
    const result = parse(document);

    // Assess
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems).toEqual([
      {
        path: '$.defaults.cache.behavior',
        code: 'SCHEMA',
        message: 'expected CACHE_ON_FAILURE or CACHE_ALWAYS',
      },
      {
        path: '$.samples[0].cache.id',
        code: 'SCHEMA',
        message: 'expected a numeric run cache id (1-18 digits) (got "run-cache-1")',
      },
      {
        path: '$.samples[1].cache.id',
        code: 'SCHEMA',
        message: 'expected a numeric run cache id (1-18 digits) (got "1234567890123456789")',
      },
      {
        path: '$.samples[2].cache.behaviour',
        code: 'SCHEMA',
        message: 'unknown field "behaviour" (did you mean "behavior"?)',
      },
    ]);
  });

  it('accepts a cache in a profile and rejects a bad behavior there at its path', () => {
    // Act
    const good = parseWorkflowProfile({ ...cachedStats });
    const bad = parseWorkflowProfile({
      ...cachedStats,
      defaults: { cache: { id: '1', behavior: 'ALWAYS' } },
    });

    // Assess
    expect(good.ok && good.profile.defaults.cache).toEqual({ id: '9000001', behavior: 'CACHE_ON_FAILURE' });
    expect(!bad.ok && bad.problems.map(({ path, code }) => ({ path, code }))).toEqual([
      { path: '$.defaults.cache.behavior', code: 'SCHEMA' },
    ]);
  });

  it("carries the sample's cache onto its launch and into the StartRun request", () => {
    // Prepare
    const plan = planOf(parse(manifest({ defaults: { profile: 'fastq-stats' } })));
    const spec = plan.samples[0];
    if (!spec) throw new Error('no sample');

    // Act
    const launch = registeredLaunch(
      { batchId: 'batch-0001', name: 'FC1', createdAt: '2026-12-01T10:00:00.000Z' },
      spec,
    );
    const request = buildRunRequest(launch, 'arn:aws:iam::123456789012:role/omics');

    // Assess
    expect(launch.runCache).toEqual({ id: '9000001', behavior: 'CACHE_ON_FAILURE' });
    expect(request.runCache).toEqual({ id: '9000001', behavior: 'CACHE_ON_FAILURE' });
  });
});
