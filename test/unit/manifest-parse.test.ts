import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MANIFEST_LIMITS,
  type ManifestContext,
  type ManifestProblemCode,
  type ManifestResult,
  nativeManifestSchema,
  parseManifest,
  parseWorkflowProfile,
} from '../../domain/manifest/index.js';
import type { WorkflowProfile } from '../../domain/workflow.js';
import {
  aManifestContext,
  aProfile,
  FASTQ_STATS_TEMPLATE,
  parseDocument,
} from '../support/manifest-context.js';

const fastqStats = aProfile(
  'fastq-stats',
  { id: '1234567', version: '1.0' },
  {
    parameterTemplate: { ...FASTQ_STATS_TEMPLATE, report_prefix: '{{launch.outputUri}}{{sample.id}}' },
    defaults: {
      storageType: 'STATIC',
      storageCapacity: 1200,
      runGroupId: '7654321',
      outputUri: 's3://lab-results/from-profile/',
      parameters: { min_quality: 20, adapter: 'TruSeq' },
    },
  },
);

const fastqQcReport = aProfile(
  'fastq-qc-report',
  { id: '2345678' },
  {
    parameterTemplate: {
      sample_outputs: '{{batch.sampleOutputUris}}',
      title: 'QC {{batch.name}}',
      control: '{{qc.control}}',
    },
  },
);

function context(overrides: Partial<ManifestContext> = {}): ManifestContext {
  return aManifestContext([fastqStats, fastqQcReport], {
    allowedReadPrefixes: [
      's3://lab-samples-fastq/',
      's3://lab-qc-fastq/',
      's3://gwm-lab-inputs/',
      's3://lab-refs/',
    ],
    allowedWritePrefixes: ['s3://lab-results/', 's3://gwm-lab-results/'],
    ...overrides,
  });
}

function parse(document: unknown, ctx: ManifestContext = context()): ManifestResult {
  return parseDocument(document, ctx);
}

function pairedSample(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  // Keeps the input URIs valid when a test gives the sample a bad id on purpose.
  const file = id.replace(/[^A-Za-z0-9_-]/g, '_');
  return {
    id,
    inputs: {
      fastq1: `s3://lab-samples-fastq/HK3H3BBXY/${file}_R1.fastq.gz`,
      fastq2: `s3://lab-samples-fastq/HK3H3BBXY/${file}_R2.fastq.gz`,
    },
    ...extra,
  };
}

function nativeManifest(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    schemaVersion: 'gwm.manifest/v1',
    batch: { name: 'HK3H3BBXY', team: 'genomics-core', submitter: 'ana@example.org' },
    defaults: { profile: 'fastq-stats', outputUri: 's3://lab-results/HK3H3BBXY/' },
    samples: [pairedSample('NA12878'), pairedSample('NA12891')],
    ...overrides,
  };
}

function problemsOf(result: ManifestResult): { path: string; code: ManifestProblemCode }[] {
  if (result.ok) throw new Error('expected the manifest to be rejected');
  return result.problems.map(({ path, code }) => ({ path, code }));
}

function planOf(result: ManifestResult) {
  if (!result.ok) throw new Error(`expected a plan, got ${JSON.stringify(result.problems, null, 2)}`);
  return result.plan;
}

function manySamples(count: number): Record<string, unknown> {
  return nativeManifest({ samples: Array.from({ length: count }, (_, index) => pairedSample(`S${index}`)) });
}

describe('parseManifest: the seed format', () => {
  const seedText = readFileSync(new URL('../fixtures/manifest-seed-format.json', import.meta.url), 'utf8');

  it('reads the seed fixture with a numeric sample workflow id and a QC workflow ARN', () => {
    // Act
    const plan = planOf(parse(seedText));

    // Assess
    expect(plan.format).toBe('seed');
    expect(plan.name).toBe('upload-name');
    expect(plan.samples).toHaveLength(3);
    expect(plan.samples[0]).toEqual({
      sampleId: 'NA12878-L001',
      inputs: { fastq: 's3://lab-samples-fastq/HK3H3BBXY/NA12878_L001_R1.fastq.gz' },
      parameters: {
        sample_id: 'NA12878-L001',
        fastq: 's3://lab-samples-fastq/HK3H3BBXY/NA12878_L001_R1.fastq.gz',
      },
      workflow: { id: '9876543', type: 'PRIVATE' },
      outputUri: 's3://lab-results/HK3H3BBXY/',
      storageType: 'DYNAMIC',
      tags: {},
    });
    expect(plan.qc).toEqual({
      inputs: { fastq: 's3://lab-qc-fastq/HK3H3BBXY/phix_control.fastq.gz' },
      parameterTemplate: {
        fastq: 's3://lab-qc-fastq/HK3H3BBXY/phix_control.fastq.gz',
        sample_output_uris: '{{batch.sampleOutputUris}}',
      },
      policy: { kind: 'all-succeeded' },
      rerunOnRetry: true,
      workflow: { id: '1122334', type: 'PRIVATE' },
      outputUri: 's3://lab-results/HK3H3BBXY/qc/',
      storageType: 'DYNAMIC',
      tags: {},
    });
    expect(plan.notifications).toEqual({ onBatchCompleted: true, onLaunchFailed: false, onRejected: true });
  });

  it('reads the seed example in examples/manifests', () => {
    // Prepare
    const text = readFileSync(
      new URL('../../examples/manifests/flowcell-seed.json', import.meta.url),
      'utf8',
    );

    // Act
    const plan = planOf(parse(text));

    // Assess
    expect(plan.samples.map((sample) => sample.sampleId)).toEqual([
      'NA12878-L001',
      'NA12891-L001',
      'NA12892-L001',
    ]);
    expect(plan.qc?.workflow.id).toBe('1122334');
  });

  it('accepts a sample workflow ARN, a workflow id written as a JSON number and keys it does not know', () => {
    // Prepare
    const document = {
      flowcellSamples: [
        {
          sampleId: 'A1',
          fastqFileRef: 's3://lab-samples-fastq/a.fastq.gz',
          ahoSampleWorkflowId: 'arn:aws:omics:eu-west-1:123456789012:workflow/555',
          OutputS3path: 's3://lab-results/x/',
          lane: 3,
        },
        {
          sampleId: 'A2',
          fastqFileRef: 's3://lab-samples-fastq/b.fastq.gz',
          ahoSampleWorkflowId: 556,
          OutputS3path: 's3://lab-results/x/',
        },
      ],
      comment: 'written by the lab script',
    };

    // Act
    const plan = planOf(parse(document));

    // Assess
    expect(plan.samples.map((sample) => sample.workflow.id)).toEqual(['555', '556']);
    expect(plan.qc).toBeUndefined();
  });

  it("renders a registered profile's template when one has the seed's workflow id", () => {
    // Prepare
    const singleEnd: WorkflowProfile = {
      name: 'single-end-stats',
      workflow: { id: '9876543', type: 'PRIVATE', version: '2' },
      parameterTemplate: { reads: '{{sample.fastq}}', name: '{{sample.id}}', batch: '{{batch.name}}' },
      defaults: { parameters: { threads: 2 } },
    };
    const ctx = context({ profiles: new Map([[singleEnd.name, singleEnd]]) });

    // Act
    const plan = planOf(parse(seedText, ctx));

    // Assess
    expect(plan.samples[1]).toMatchObject({
      profile: 'single-end-stats',
      workflow: { id: '9876543', type: 'PRIVATE', version: '2' },
      parameters: {
        reads: 's3://lab-samples-fastq/HK3H3BBXY/NA12891_L001_R1.fastq.gz',
        name: 'NA12891-L001',
        batch: 'upload-name',
        threads: 2,
      },
    });
    expect(plan.qc?.profile).toBeUndefined();
  });

  it('reports seed problems at the seed field names', () => {
    // Prepare
    const document = JSON.parse(seedText);
    document.flowcellSamples[0].ahoSampleWorkflowId = 'workflow-x';
    document.flowcellSamples[1].fastqFileRef = 's3://lab-samples-fastq/has space.fq';
    document.flowcellSamples[2].OutputS3path = 's3://elsewhere-bucket/out/';
    document.flowcellSamples[2].sampleId = 'NA12878-L001';
    document.qcWorkflow.qcWorkflowFileRef = 's3://private-bucket/phix.fastq.gz';

    // Act
    const problems = problemsOf(parse(document));

    // Assess
    expect(problems).toEqual([
      { path: '$.flowcellSamples[0].ahoSampleWorkflowId', code: 'SCHEMA' },
      { path: '$.flowcellSamples[1].fastqFileRef', code: 'MALFORMED_S3_URI' },
      { path: '$.flowcellSamples[2].sampleId', code: 'DUPLICATE_SAMPLE_ID' },
      { path: '$.flowcellSamples[2].OutputS3path', code: 'WRITE_PREFIX_NOT_ALLOWED' },
      { path: '$.qcWorkflow.qcWorkflowFileRef', code: 'READ_PREFIX_NOT_ALLOWED' },
    ]);
  });
  it('names where each input is written, for the checks in S3 to report at', () => {
    // Act
    const plan = planOf(parse(seedText));

    // Assess
    expect(plan.inputLocations).toEqual([
      {
        uri: 's3://lab-samples-fastq/HK3H3BBXY/NA12878_L001_R1.fastq.gz',
        path: '$.flowcellSamples[0].fastqFileRef',
      },
      {
        uri: 's3://lab-samples-fastq/HK3H3BBXY/NA12891_L001_R1.fastq.gz',
        path: '$.flowcellSamples[1].fastqFileRef',
      },
      {
        uri: 's3://lab-samples-fastq/HK3H3BBXY/NA12892_L001_R1.fastq.gz',
        path: '$.flowcellSamples[2].fastqFileRef',
      },
      { uri: 's3://lab-qc-fastq/HK3H3BBXY/phix_control.fastq.gz', path: '$.qcWorkflow.qcWorkflowFileRef' },
    ]);
  });
});

describe('parseManifest: the native format', () => {
  it('reads the native example in examples/manifests, which the published schema also accepts', () => {
    // Prepare
    const text = readFileSync(
      new URL('../../examples/manifests/flowcell-native.json', import.meta.url),
      'utf8',
    );
    const ctx = context({
      profiles: new Map([
        ['fastq-stats', fastqStats],
        [
          'fastq-qc-report',
          { ...fastqQcReport, parameterTemplate: { sample_outputs: '{{batch.sampleOutputUris}}' } },
        ],
      ]),
    });

    // Act
    const plan = planOf(parse(text, ctx));
    const schemaCheck = nativeManifestSchema.safeParse(JSON.parse(text));

    // Assess
    expect(plan.samples).toHaveLength(8);
    expect(plan.samples.every((sample) => sample.profile === 'fastq-stats')).toBe(true);
    expect(plan.qc?.profile).toBe('fastq-qc-report');
    expect(plan.qc?.policy).toEqual({ kind: 'min-succeeded-fraction', fraction: 0.75 });
    expect(schemaCheck.success).toBe(true);
  });

  it('layers parameters: profile template, profile defaults, manifest defaults, then the sample', () => {
    // Prepare
    const document = nativeManifest({
      defaults: {
        profile: 'fastq-stats',
        outputUri: 's3://lab-results/HK3H3BBXY/',
        parameters: { min_quality: 25, reference: 's3://lab-refs/hg38.fa' },
      },
      samples: [
        pairedSample('NA12878'),
        pairedSample('NA12891', {
          parameters: { adapter: 'Nextera', reads2: 's3://lab-samples-fastq/fixed_R2.fq.gz' },
        }),
      ],
    });

    // Act
    const plan = planOf(parse(document));

    // Assess
    expect(plan.samples[0]?.parameters).toEqual({
      reads1: 's3://lab-samples-fastq/HK3H3BBXY/NA12878_R1.fastq.gz',
      reads2: 's3://lab-samples-fastq/HK3H3BBXY/NA12878_R2.fastq.gz',
      sample_name: 'NA12878',
      report_prefix: 's3://lab-results/HK3H3BBXY/NA12878',
      min_quality: 25,
      adapter: 'TruSeq',
      reference: 's3://lab-refs/hg38.fa',
    });
    expect(plan.samples[1]?.parameters).toMatchObject({
      reads2: 's3://lab-samples-fastq/fixed_R2.fq.gz',
      adapter: 'Nextera',
      min_quality: 25,
    });
  });

  it('resolves run settings: sample, then manifest defaults, then profile defaults', () => {
    // Prepare
    const document = nativeManifest({
      defaults: { profile: 'fastq-stats', storageType: 'DYNAMIC', priority: 10, tags: { project: 'trios' } },
      samples: [
        pairedSample('NA12878'),
        pairedSample('NA12891', {
          outputUri: 's3://lab-results/special/',
          storageType: 'STATIC',
          storageCapacity: 2400,
          priority: 50,
          tags: { project: 'override', control: 'true' },
        }),
      ],
    });

    // Act
    const [first, second] = planOf(parse(document)).samples;

    // Assess
    expect(first).toMatchObject({
      workflow: { id: '1234567', type: 'PRIVATE', version: '1.0' },
      profile: 'fastq-stats',
      outputUri: 's3://lab-results/from-profile/',
      storageType: 'DYNAMIC',
      runGroupId: '7654321',
      priority: 10,
      tags: { project: 'trios' },
    });
    expect(first?.storageCapacity).toBeUndefined();
    expect(second).toMatchObject({
      outputUri: 's3://lab-results/special/',
      storageType: 'STATIC',
      storageCapacity: 2400,
      runGroupId: '7654321',
      priority: 50,
      tags: { project: 'override', control: 'true' },
    });
  });

  it('takes STATIC storage and its capacity from the profile when the manifest sets neither', () => {
    // Act
    const [sample] = planOf(parse(nativeManifest())).samples;

    // Assess
    expect(sample).toMatchObject({
      storageType: 'STATIC',
      storageCapacity: 1200,
      outputUri: 's3://lab-results/HK3H3BBXY/',
    });
  });

  it('uses DYNAMIC storage and passes inputs by name when no profile is involved', () => {
    // Prepare
    const document = nativeManifest({
      defaults: {
        workflow: { id: 'arn:aws:omics:us-east-1:123456789012:workflow/4242', version: '3.1' },
        outputUri: 's3://lab-results/HK3H3BBXY/',
        parameters: { threads: 4, fastq1: 'replaced by the input' },
      },
      samples: [
        pairedSample('NA12878', { parameters: { threads: 8, label: '{{batch.name}}:{{sample.id}}' } }),
      ],
    });

    // Act
    const [sample] = planOf(parse(document)).samples;

    // Assess
    expect(sample).toEqual({
      sampleId: 'NA12878',
      inputs: {
        fastq1: 's3://lab-samples-fastq/HK3H3BBXY/NA12878_R1.fastq.gz',
        fastq2: 's3://lab-samples-fastq/HK3H3BBXY/NA12878_R2.fastq.gz',
      },
      parameters: {
        threads: 8,
        fastq1: 's3://lab-samples-fastq/HK3H3BBXY/NA12878_R1.fastq.gz',
        fastq2: 's3://lab-samples-fastq/HK3H3BBXY/NA12878_R2.fastq.gz',
        label: 'HK3H3BBXY:NA12878',
      },
      workflow: { id: '4242', type: 'PRIVATE', version: '3.1' },
      outputUri: 's3://lab-results/HK3H3BBXY/',
      storageType: 'DYNAMIC',
      tags: {},
    });
  });

  it("lets a sample's own workflow replace the default profile", () => {
    // Prepare
    const document = nativeManifest({
      samples: [pairedSample('NA12878', { workflow: { id: '99', type: 'READY2RUN' } })],
    });

    // Act
    const [sample] = planOf(parse(document)).samples;

    // Assess
    expect(sample?.workflow).toEqual({ id: '99', type: 'READY2RUN' });
    expect(sample?.profile).toBeUndefined();
    expect(sample?.parameters).toEqual(sample?.inputs);
    expect(sample?.outputUri).toBe('s3://lab-results/HK3H3BBXY/');
  });

  it('keeps batch details and uses the upload name when the manifest has none', () => {
    // Act
    const named = planOf(parse(nativeManifest()));
    const unnamed = planOf(parse(nativeManifest({ batch: undefined })));

    // Assess
    expect(named).toMatchObject({ name: 'HK3H3BBXY', team: 'genomics-core', submitter: 'ana@example.org' });
    expect(unnamed.name).toBe('upload-name');
    expect(unnamed.team).toBeUndefined();
  });

  it('reads notification settings with their defaults', () => {
    // Act
    const plan = planOf(parse(nativeManifest({ notifications: { onLaunchFailed: true } })));

    // Assess
    expect(plan.notifications).toEqual({ onBatchCompleted: true, onLaunchFailed: true, onRejected: true });
  });

  it('reads a budget, and refuses one that is not a positive amount', () => {
    // Act
    const withBudget = planOf(parse(nativeManifest({ budget: { maxUsd: 250.5 } })));
    const without = planOf(parse(nativeManifest()));
    const bad = parse(nativeManifest({ budget: { maxUsd: 0, currency: 'EUR' } }));

    // Assess
    expect(withBudget.budgetMaxUsd).toBe(250.5);
    expect(without.budgetMaxUsd).toBeUndefined();
    expect(problemsOf(bad)).toEqual([
      { path: '$.budget.maxUsd', code: 'SCHEMA' },
      { path: '$.budget.currency', code: 'SCHEMA' },
    ]);
  });

  it('ignores a $schema key that points editors at the JSON Schema', () => {
    // Act
    const result = parse({ $schema: '../../docs/manifest.schema.json', ...nativeManifest() });

    // Assess
    expect(result.ok).toBe(true);
  });

  it('accepts a UTF-8 byte order mark before the document', () => {
    // Act
    const result = parse(`\uFEFF${JSON.stringify(nativeManifest())}`);

    // Assess
    expect(result.ok).toBe(true);
  });
});

describe('parseManifest: QC', () => {
  function withQc(qc: Record<string, unknown>): Record<string, unknown> {
    return nativeManifest({
      qc: { profile: 'fastq-qc-report', inputs: { control: 's3://lab-qc-fastq/phix.fq.gz' }, ...qc },
    });
  }

  it('fills every known QC field now and leaves only the sample output URIs for later', () => {
    // Act
    const plan = planOf(parse(withQc({ outputUri: 's3://lab-results/HK3H3BBXY/qc/' })));

    // Assess
    expect(plan.qc).toEqual({
      inputs: { control: 's3://lab-qc-fastq/phix.fq.gz' },
      parameterTemplate: {
        sample_outputs: '{{batch.sampleOutputUris}}',
        title: 'QC HK3H3BBXY',
        control: 's3://lab-qc-fastq/phix.fq.gz',
      },
      policy: { kind: 'all-succeeded' },
      rerunOnRetry: true,
      workflow: { id: '2345678', type: 'PRIVATE' },
      profile: 'fastq-qc-report',
      outputUri: 's3://lab-results/HK3H3BBXY/qc/',
      storageType: 'DYNAMIC',
      tags: {},
    });
  });

  it('falls back to the default output URI and reads rerunOnRetry', () => {
    // Act
    const plan = planOf(parse(withQc({ rerunOnRetry: false })));

    // Assess
    expect(plan.qc?.outputUri).toBe('s3://lab-results/HK3H3BBXY/');
    expect(plan.qc?.rerunOnRetry).toBe(false);
  });

  it.each([
    ['any-completed', {}, { kind: 'any-completed' }],
    ['all-succeeded', {}, { kind: 'all-succeeded' }],
    [
      'min-succeeded-fraction',
      { minSucceededFraction: 0.9 },
      { kind: 'min-succeeded-fraction', fraction: 0.9 },
    ],
    ['min-succeeded-fraction', { minSucceededFraction: 1 }, { kind: 'min-succeeded-fraction', fraction: 1 }],
  ])('reads policy %s %j', (policy, extra, expected) => {
    // Act
    const plan = planOf(parse(withQc({ policy, ...extra })));

    // Assess
    expect(plan.qc?.policy).toEqual(expected);
  });

  it.each([
    ['a fraction of 0', { policy: 'min-succeeded-fraction', minSucceededFraction: 0 }],
    ['a negative fraction', { policy: 'min-succeeded-fraction', minSucceededFraction: -0.5 }],
    ['a fraction above 1', { policy: 'min-succeeded-fraction', minSucceededFraction: 1.5 }],
    ['a fraction given as text', { policy: 'min-succeeded-fraction', minSucceededFraction: '0.9' }],
    ['no fraction with min-succeeded-fraction', { policy: 'min-succeeded-fraction' }],
    ['a fraction with another policy', { policy: 'all-succeeded', minSucceededFraction: 0.5 }],
  ])('rejects %s at $.qc.minSucceededFraction', (_case, qc) => {
    // Act
    const problems = problemsOf(parse(withQc(qc)));

    // Assess
    expect(problems).toEqual([{ path: '$.qc.minSucceededFraction', code: 'SCHEMA' }]);
  });

  it('rejects an unknown policy', () => {
    // Act
    const problems = problemsOf(parse(withQc({ policy: 'most-succeeded' })));

    // Assess
    expect(problems).toEqual([{ path: '$.qc.policy', code: 'SCHEMA' }]);
  });

  it('passes QC inputs by name when the QC step names a workflow', () => {
    // Prepare
    const document = nativeManifest({
      qc: {
        workflow: { id: '31337' },
        inputs: { control: 's3://lab-qc-fastq/phix.fq.gz' },
        parameters: { outputs: '{{batch.sampleOutputUris}}' },
      },
    });

    // Act
    const plan = planOf(parse(document));

    // Assess
    expect(plan.qc?.parameterTemplate).toEqual({
      control: 's3://lab-qc-fastq/phix.fq.gz',
      outputs: '{{batch.sampleOutputUris}}',
    });
  });

  it('rejects a QC step without a workflow, and a QC template naming a missing QC input', () => {
    // Prepare
    const document = nativeManifest({ qc: { parameters: { reads: '{{qc.control}}' } } });
    const withMissingInput = withQc({ inputs: { spikeIn: 's3://lab-qc-fastq/x.fq.gz' } });

    // Act
    const noWorkflow = problemsOf(parse(document));
    const missingInput = problemsOf(parse(withMissingInput));

    // Assess
    expect(noWorkflow).toEqual([{ path: '$.qc', code: 'NO_WORKFLOW' }]);
    expect(missingInput).toEqual([{ path: '$.qc.inputs.control', code: 'UNKNOWN_TEMPLATE_FIELD' }]);
  });

  it('rejects a sample profile used for QC', () => {
    // Act
    const result = parse(withQc({ profile: 'fastq-stats' }));

    // Assess
    expect(problemsOf(result)).toContainEqual({ path: '$.qc.profile', code: 'UNKNOWN_TEMPLATE_FIELD' });
  });
});

describe('parseManifest: each problem', () => {
  // Each case: a manifest (and any settings of the intake it differs in) and every problem
  // parseManifest reports for it, as [path, code], in document order.
  it.each<{
    title: string;
    document: unknown;
    settings?: Partial<ManifestContext>;
    problems: [path: string, code: ManifestProblemCode][];
  }>([
    {
      title: 'NOT_JSON: reports a document that is not JSON',
      document: '{"schemaVersion": "gwm.manifest/v1",',
      problems: [['$', 'NOT_JSON']],
    },
    {
      title: 'SCHEMA: reports a sample id that cannot go into run names and paths',
      document: nativeManifest({ samples: [pairedSample('NA 12878'), pairedSample('../x')] }),
      problems: [
        ['$.samples[0].id', 'SCHEMA'],
        ['$.samples[1].id', 'SCHEMA'],
      ],
    },
    {
      title: 'SCHEMA: reports both a profile and a workflow on one sample',
      document: nativeManifest({
        samples: [pairedSample('NA12878', { profile: 'fastq-stats', workflow: { id: '1' } })],
      }),
      problems: [['$.samples[0].workflow', 'SCHEMA']],
    },
    {
      title: 'SCHEMA: reports more than 40 tags on a run, and reserved tag keys',
      document: nativeManifest({
        defaults: {
          profile: 'fastq-stats',
          tags: Object.fromEntries(Array.from({ length: 30 }, (_, index) => [`d${index}`, 'x'])),
        },
        samples: [
          pairedSample('NA12878', {
            tags: Object.fromEntries(Array.from({ length: 11 }, (_, index) => [`s${index}`, 'y'])),
          }),
          pairedSample('NA12891', { tags: { 'aws:owner': 'x' } }),
        ],
      }),
      problems: [
        ['$.samples[0].tags', 'SCHEMA'],
        ["$.samples[1].tags['aws:owner']", 'SCHEMA'],
      ],
    },
    {
      title: 'MALFORMED_S3_URI: checks inputs, output URIs and s3 parameter values',
      document: nativeManifest({
        defaults: {
          profile: 'fastq-stats',
          outputUri: 's3:/lab-results/x/',
          parameters: { reference: 'S3://lab-refs/hg38.fa', other: 'not a uri' },
        },
        samples: [
          pairedSample('NA12878', {
            inputs: { fastq1: 'lab-samples-fastq/a.fq', fastq2: 's3://lab-samples-fastq/' },
            parameters: { extra: ['s3://Lab-Refs/x'] },
          }),
        ],
      }),
      problems: [
        ['$.defaults.outputUri', 'MALFORMED_S3_URI'],
        ['$.defaults.parameters.reference', 'MALFORMED_S3_URI'],
        ['$.samples[0].inputs.fastq1', 'MALFORMED_S3_URI'],
        ['$.samples[0].inputs.fastq2', 'MALFORMED_S3_URI'],
        ['$.samples[0].parameters.extra[0]', 'MALFORMED_S3_URI'],
      ],
    },
    {
      title: 'READ_PREFIX_NOT_ALLOWED: checks inputs and s3 parameter values, including rendered ones',
      document: nativeManifest({
        defaults: {
          profile: 'fastq-stats',
          outputUri: 's3://lab-results/x/',
          parameters: {
            known_sites: 's3://public-refs/dbsnp.vcf.gz',
            bam: 's3://other-bucket/{{sample.id}}.bam',
          },
        },
        samples: [
          pairedSample('NA12878', {
            inputs: { fastq1: 's3://lab-samples-fastq-2/a.fq', fastq2: 's3://lab-samples-fastq/b.fq' },
          }),
          pairedSample('NA12891'),
        ],
      }),
      problems: [
        ['$.defaults.parameters.known_sites', 'READ_PREFIX_NOT_ALLOWED'],
        ['$.defaults.parameters.bam', 'READ_PREFIX_NOT_ALLOWED'],
        ['$.samples[0].inputs.fastq1', 'READ_PREFIX_NOT_ALLOWED'],
      ],
    },
    {
      title: 'WRITE_PREFIX_NOT_ALLOWED: checks the output URI of samples, defaults and QC',
      document: nativeManifest({
        defaults: { profile: 'fastq-stats', outputUri: 's3://lab-samples-fastq/out/' },
        samples: [pairedSample('NA12878', { outputUri: 's3://lab-resultsx/out/' }), pairedSample('NA12891')],
        qc: { workflow: { id: '5' }, outputUri: 's3://lab-qc-fastq/qc/' },
      }),
      problems: [
        ['$.defaults.outputUri', 'WRITE_PREFIX_NOT_ALLOWED'],
        ['$.samples[0].outputUri', 'WRITE_PREFIX_NOT_ALLOWED'],
        ['$.qc.outputUri', 'WRITE_PREFIX_NOT_ALLOWED'],
      ],
    },
    {
      title: 'WRITE_PREFIX_NOT_ALLOWED: checks the default output URI of a profile at the profile field',
      document: nativeManifest({ defaults: { profile: 'fastq-stats' } }),
      settings: { allowedWritePrefixes: ['s3://lab-results/HK3H3BBXY/'] },
      problems: [['$.defaults.profile', 'WRITE_PREFIX_NOT_ALLOWED']],
    },
    {
      title: 'TOO_MANY_SAMPLES: reports more samples than the limit at $.samples',
      document: manySamples(3),
      settings: { limits: { ...DEFAULT_MANIFEST_LIMITS, maxSamples: 2 } },
      problems: [['$.samples', 'TOO_MANY_SAMPLES']],
    },
    {
      title: 'UNKNOWN_TEMPLATE_FIELD: reports unknown fields in manifest parameters',
      document: nativeManifest({
        defaults: { profile: 'fastq-stats', parameters: { owner: '{{batch.owner}}' } },
        samples: [
          pairedSample('NA12878', { parameters: { x: '{{run.id}}', outputs: '{{batch.sampleOutputUris}}' } }),
        ],
      }),
      problems: [
        ['$.defaults.parameters.owner', 'UNKNOWN_TEMPLATE_FIELD'],
        ['$.samples[0].parameters.x', 'UNKNOWN_TEMPLATE_FIELD'],
        ['$.samples[0].parameters.outputs', 'UNKNOWN_TEMPLATE_FIELD'],
      ],
    },
    {
      title: 'NO_WORKFLOW: reports each sample without one when others have one',
      document: nativeManifest({
        defaults: { outputUri: 's3://lab-results/x/' },
        samples: [pairedSample('A', { profile: 'fastq-stats' }), pairedSample('B'), pairedSample('C')],
      }),
      problems: [
        ['$.samples[1]', 'NO_WORKFLOW'],
        ['$.samples[2]', 'NO_WORKFLOW'],
      ],
    },
    {
      title: 'NO_WORKFLOW: reports once at $.defaults when no sample has one',
      document: { ...manySamples(50), defaults: { outputUri: 's3://lab-results/x/' } },
      problems: [['$.defaults', 'NO_WORKFLOW']],
    },
    {
      title: 'NO_OUTPUT_URI: reports a sample without an output URI anywhere',
      document: nativeManifest({
        defaults: { workflow: { id: '77' } },
        samples: [pairedSample('A', { outputUri: 's3://lab-results/a/' }), pairedSample('B')],
      }),
      problems: [['$.samples[1].outputUri', 'NO_OUTPUT_URI']],
    },
    {
      title: 'NO_OUTPUT_URI: reports once at $.defaults.outputUri when no sample has one',
      document: nativeManifest({ defaults: { workflow: { id: '77' } } }),
      problems: [['$.defaults.outputUri', 'NO_OUTPUT_URI']],
    },
  ])('$title', ({ document, settings, problems }) => {
    // Act
    const result = parse(document, context(settings));

    // Assess
    expect(problemsOf(result)).toEqual(problems.map(([path, code]) => ({ path, code })));
  });

  it('UNKNOWN_FORMAT: reports JSON that is neither format', () => {
    // Act
    const object = parse({ samples: [] });
    const array = parse([1, 2]);

    // Assess
    expect(problemsOf(object)).toEqual([{ path: '$', code: 'UNKNOWN_FORMAT' }]);
    expect(problemsOf(array)).toEqual([{ path: '$', code: 'UNKNOWN_FORMAT' }]);
  });

  it('SCHEMA: reports an unsupported schema version', () => {
    // Act
    const result = parse(nativeManifest({ schemaVersion: 'gwm.manifest/v2' }));

    // Assess
    expect(problemsOf(result)).toEqual([{ path: '$.schemaVersion', code: 'SCHEMA' }]);
    expect(!result.ok && result.problems[0]?.message).toContain('gwm.manifest/v1');
  });

  it('SCHEMA: reports a misspelled key at its own path, suggesting the right one', () => {
    // Act
    const result = parse(
      nativeManifest({ samples: [pairedSample('NA12878', { outputURI: 's3://lab-results/x/' })] }),
    );

    // Assess
    expect(problemsOf(result)).toEqual([{ path: '$.samples[0].outputURI', code: 'SCHEMA' }]);
    expect(!result.ok && result.problems[0]?.message).toContain('did you mean "outputUri"');
  });

  it('DUPLICATE_SAMPLE_ID: reports each repeat, naming the first, also when only the case differs', () => {
    // Act
    const result = parse(
      nativeManifest({
        samples: [pairedSample('NA1'), pairedSample('NA2'), pairedSample('NA1'), pairedSample('na1')],
      }),
    );

    // Assess
    expect(problemsOf(result)).toEqual([
      { path: '$.samples[2].id', code: 'DUPLICATE_SAMPLE_ID' },
      { path: '$.samples[3].id', code: 'DUPLICATE_SAMPLE_ID' },
    ]);
    expect(!result.ok && result.problems[0]?.message).toContain('sample 0 at $.samples[0]');
  });

  it('TOO_LARGE: reports a document over the size limit without reading it', () => {
    // Prepare
    const ctx = context({ limits: { ...DEFAULT_MANIFEST_LIMITS, maxBytes: 1000 } });

    // Act
    const result = parseManifest({ text: 'not even JSON', sizeBytes: 1001 }, ctx);

    // Assess
    expect(problemsOf(result)).toEqual([{ path: '$', code: 'TOO_LARGE' }]);
  });

  it('TOO_LARGE: accepts a document of exactly the size limit', () => {
    // Prepare
    const text = JSON.stringify(nativeManifest());
    const ctx = context({ limits: { ...DEFAULT_MANIFEST_LIMITS, maxBytes: Buffer.byteLength(text) } });

    // Act
    const result = parseManifest({ text, sizeBytes: Buffer.byteLength(text) }, ctx);

    // Assess
    expect(result.ok).toBe(true);
  });

  it('UNKNOWN_TEMPLATE_FIELD: reports a sample lacking an input the template names, at that input', () => {
    // Prepare
    const singleEnd = { id: 'NA19240', inputs: { fastq1: 's3://lab-samples-fastq/NA19240_R1.fq.gz' } };
    const document = nativeManifest({
      samples: [pairedSample('NA12878'), pairedSample('NA12891'), pairedSample('NA12892'), singleEnd],
    });

    // Act
    const result = parse(document);

    // Assess
    expect(problemsOf(result)).toEqual([
      { path: '$.samples[3].inputs.fastq2', code: 'UNKNOWN_TEMPLATE_FIELD' },
    ]);
    expect(!result.ok && result.problems[0]?.message).toContain('profile "fastq-stats"');
  });

  it('UNKNOWN_TEMPLATE_FIELD: does not report a missing input whose parameter the sample replaces', () => {
    // Prepare
    const singleEnd = {
      id: 'NA19240',
      inputs: { fastq1: 's3://lab-samples-fastq/NA19240_R1.fq.gz' },
      parameters: { reads2: null },
    };

    // Act
    const plan = planOf(parse(nativeManifest({ samples: [singleEnd] })));

    // Assess
    expect(plan.samples[0]?.parameters.reads2).toBeNull();
  });

  it('UNKNOWN_PROFILE: reports an unknown profile once at the field that names it', () => {
    // Act
    const result = parse(
      nativeManifest({
        defaults: { profile: 'fastq-statz', outputUri: 's3://lab-results/x/' },
        samples: [pairedSample('A'), pairedSample('B'), pairedSample('C', { profile: 'nope' })],
      }),
    );

    // Assess
    expect(problemsOf(result)).toEqual([
      { path: '$.defaults.profile', code: 'UNKNOWN_PROFILE' },
      { path: '$.samples[2].profile', code: 'UNKNOWN_PROFILE' },
    ]);
    expect(!result.ok && result.problems[0]?.message).toContain('fastq-qc-report, fastq-stats');
  });
});

describe('parseManifest: many mistakes at once', () => {
  it('lists every mistake of a manifest, each at its path, in document order', () => {
    // Prepare
    const document = {
      schemaVersion: 'gwm.manifest/v1',
      batch: { name: 'HK3H3BBXY', submiter: 'ana@example.org' },
      defaults: {
        profile: 'fastq-stats',
        outputUri: 's3://lab-results/HK3H3BBXY/',
        parameters: { owner: '{{batch.owner}}' },
      },
      samples: [
        pairedSample('NA12878'),
        pairedSample('NA12878'),
        pairedSample('NA12892', {
          inputs: { fastq1: 's3://lab samples/a.fq', fastq2: 's3://lab-samples-fastq/b.fq' },
        }),
        { id: 'NA19238', inputs: { fastq1: 's3://lab-samples-fastq/NA19238_R1.fq.gz' } },
        pairedSample('NA19239', {
          inputs: { fastq1: 's3://secret-bucket/a.fq', fastq2: 's3://lab-samples-fastq/b.fq' },
        }),
        pairedSample('NA19240', { outputUri: 's3://lab-samples-fastq/out/' }),
        pairedSample('HG00731', { profile: 'fastq-statistics' }),
        pairedSample('HG 00732'),
        pairedSample('HG00733', { storageType: 'FAST' }),
      ],
      qc: { profile: 'fastq-qc-report', policy: 'min-succeeded-fraction', minSucceededFraction: 1.2 },
      notifications: { onBatchComplete: true },
    };

    // Act
    const result = parse(document);

    // Assess
    expect(problemsOf(result)).toEqual([
      { path: '$.batch.submiter', code: 'SCHEMA' },
      { path: '$.defaults.parameters.owner', code: 'UNKNOWN_TEMPLATE_FIELD' },
      { path: '$.samples[1].id', code: 'DUPLICATE_SAMPLE_ID' },
      { path: '$.samples[2].inputs.fastq1', code: 'MALFORMED_S3_URI' },
      { path: '$.samples[3].inputs.fastq2', code: 'UNKNOWN_TEMPLATE_FIELD' },
      { path: '$.samples[4].inputs.fastq1', code: 'READ_PREFIX_NOT_ALLOWED' },
      { path: '$.samples[5].outputUri', code: 'WRITE_PREFIX_NOT_ALLOWED' },
      { path: '$.samples[6].profile', code: 'UNKNOWN_PROFILE' },
      { path: '$.samples[7].id', code: 'SCHEMA' },
      { path: '$.samples[8].storageType', code: 'SCHEMA' },
      { path: '$.qc.minSucceededFraction', code: 'SCHEMA' },
      { path: '$.qc.inputs.control', code: 'UNKNOWN_TEMPLATE_FIELD' },
      { path: '$.notifications.onBatchComplete', code: 'SCHEMA' },
    ]);
    expect(result).toMatchObject({ ok: false, format: 'native-v1', name: 'HK3H3BBXY' });
  });

  it('still checks the valid fields of a sample that has a schema mistake', () => {
    // Prepare
    const document = nativeManifest({
      samples: [pairedSample('NA12878', { priority: -1, outputUri: 's3://elsewhere-bucket/x/' })],
    });

    // Act
    const problems = problemsOf(parse(document));

    // Assess
    expect(problems).toEqual([
      { path: '$.samples[0].priority', code: 'SCHEMA' },
      { path: '$.samples[0].outputUri', code: 'WRITE_PREFIX_NOT_ALLOWED' },
    ]);
  });
});

describe('parseManifest: size', () => {
  it("parses 10,000 samples, the limit, keeping their order (its speed is bench:register's)", () => {
    // Prepare
    const text = JSON.stringify(manySamples(10_000));

    // Act
    const result = parseManifest({ text, sizeBytes: Buffer.byteLength(text) }, context());

    // Assess
    const samples = planOf(result).samples;
    expect(samples).toHaveLength(10_000);
    expect(samples[0]?.sampleId).toBe('S0');
    expect(samples[9_999]?.sampleId).toBe('S9999');
  });

  it('rejects 10,001 samples with TOO_MANY_SAMPLES', () => {
    // Act
    const problems = problemsOf(parse(manySamples(10_001)));

    // Assess
    expect(problems).toEqual([{ path: '$.samples', code: 'TOO_MANY_SAMPLES' }]);
  });
});

describe('parseWorkflowProfile', () => {
  it('accepts a profile and normalizes its workflow ARN', () => {
    // Prepare
    const document = {
      name: 'fastq-stats',
      workflow: { id: 'arn:aws:omics:us-east-1:123456789012:workflow/1234567', version: '1.0' },
      parameterTemplate: { reads1: '{{sample.fastq1}}', name: '{{sample.id}}' },
      defaults: { storageType: 'STATIC', storageCapacity: 1200 },
    };

    // Act
    const result = parseWorkflowProfile(document);

    // Assess
    expect(result).toEqual({
      ok: true,
      profile: {
        name: 'fastq-stats',
        workflow: { id: '1234567', type: 'PRIVATE', version: '1.0' },
        parameterTemplate: { reads1: '{{sample.fastq1}}', name: '{{sample.id}}' },
        defaults: { storageType: 'STATIC', storageCapacity: 1200 },
      },
    });
  });

  it('accepts an optional reference and refuses a "?" inside a longer string', () => {
    // Act
    const optional = parseWorkflowProfile({
      name: 'fastq-stats',
      workflow: { id: '1234567' },
      parameterTemplate: { reads1: '{{sample.fastq1}}', reads2: '{{sample.fastq2?}}' },
      defaults: {},
    });
    const embedded = parseWorkflowProfile({
      name: 'fastq-stats',
      workflow: { id: '1234567' },
      parameterTemplate: { reads2: 's3://lab/{{sample.id?}}.fq' },
      defaults: {},
    });
    // Assess
    expect(optional.ok).toBe(true);
    expect(!embedded.ok && embedded.problems).toEqual([
      expect.objectContaining({
        path: '$.parameterTemplate.reads2',
        code: 'UNKNOWN_TEMPLATE_FIELD',
        message: expect.stringContaining('an optional reference must be the whole value'),
      }),
    ]);
  });

  it('reports a bad name, unknown template fields, a profile mixing sample and QC fields and a bad URI', () => {
    // Prepare
    const text = JSON.stringify({
      name: 'FASTQ Stats',
      workflow: { id: '12' },
      parameterTemplate: { a: '{{sample.id}}', b: '{{batch.sampleOutputUris}}', c: '{{flowcell.id}}' },
      defaults: { outputUri: 's3://x/' },
    });

    // Act
    const result = parseWorkflowProfile(text);

    // Assess
    expect(!result.ok && result.problems.map(({ path, code }) => ({ path, code }))).toEqual([
      { path: '$.name', code: 'SCHEMA' },
      { path: '$.parameterTemplate.c', code: 'UNKNOWN_TEMPLATE_FIELD' },
      { path: '$.parameterTemplate.b', code: 'UNKNOWN_TEMPLATE_FIELD' },
      { path: '$.defaults.outputUri', code: 'MALFORMED_S3_URI' },
    ]);
  });
});
