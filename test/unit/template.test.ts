import { describe, expect, it } from 'vitest';
import {
  checkTemplateFields,
  renderTemplate,
  type TemplateContext,
  templateReferences,
} from '../../domain/manifest/template.js';

const sampleContext: TemplateContext = {
  sample: {
    id: 'NA12878',
    inputs: { fastq1: 's3://lab-in/NA12878_R1.fastq.gz', fastq2: 's3://lab-in/NA12878_R2.fastq.gz' },
  },
  batch: { id: 'b-123', name: 'HK3H3BBXY' },
  launch: { outputUri: 's3://lab-out/HK3H3BBXY/' },
};

describe('templateReferences', () => {
  it('lists references in nested objects and arrays with their JSONPaths', () => {
    // Prepare
    const template = {
      reads: ['{{sample.fastq1}}', '{{sample.fastq2}}'],
      meta: { title: '{{batch.name}}-{{ sample.id }}', threads: 4 },
      'read-group': 'RG:{{sample.id}}',
      plain: 'no references',
    };

    // Act
    const references = templateReferences(template);

    // Assess
    expect(references).toEqual([
      { path: 'sample.fastq1', jsonPath: '$.reads[0]' },
      { path: 'sample.fastq2', jsonPath: '$.reads[1]' },
      { path: 'batch.name', jsonPath: '$.meta.title' },
      { path: 'sample.id', jsonPath: '$.meta.title' },
      { path: 'sample.id', jsonPath: "$['read-group']" },
    ]);
  });

  it('starts paths at the root it is given', () => {
    // Act
    const references = templateReferences({ a: '{{batch.id}}' }, '$.defaults.parameters');

    // Assess
    expect(references).toEqual([{ path: 'batch.id', jsonPath: '$.defaults.parameters.a' }]);
  });
});

describe('renderTemplate', () => {
  it.each<{ title: string; template: Record<string, unknown>; context: TemplateContext; value: unknown }>([
    {
      title: 'replaces a string that is exactly one reference with the raw value, even an array',
      template: { outputs: '{{batch.sampleOutputUris}}', id: '{{ batch.id }}' },
      context: { batch: { id: 'b-1', sampleOutputUris: ['s3://lab-out/a/', 's3://lab-out/b/'] } },
      value: { outputs: ['s3://lab-out/a/', 's3://lab-out/b/'], id: 'b-1' },
    },
    {
      title: 'interpolates references inside a longer string, joining arrays with commas',
      template: { name: '{{batch.name}}/{{sample.id}}.bam', list: 'uris={{batch.sampleOutputUris}}' },
      context: { ...sampleContext, batch: { name: 'HK3', sampleOutputUris: ['s3://a/1', 's3://a/2'] } },
      value: { name: 'HK3/NA12878.bam', list: 'uris=s3://a/1,s3://a/2' },
    },
    {
      title: 'renders sample inputs, the sample id, batch fields and the output URI in nested values',
      template: {
        reads: ['{{sample.fastq1}}', '{{sample.fastq2}}'],
        sample: { name: '{{sample.id}}', batch: '{{batch.id}}' },
        out: '{{launch.outputUri}}',
        threads: 8,
        enabled: true,
        nothing: null,
      },
      context: sampleContext,
      value: {
        reads: ['s3://lab-in/NA12878_R1.fastq.gz', 's3://lab-in/NA12878_R2.fastq.gz'],
        sample: { name: 'NA12878', batch: 'b-123' },
        out: 's3://lab-out/HK3H3BBXY/',
        threads: 8,
        enabled: true,
        nothing: null,
      },
    },
    {
      title: 'keeps braces that do not form a reference',
      template: { a: 'not {a} template {{', b: '}}' },
      context: sampleContext,
      value: { a: 'not {a} template {{', b: '}}' },
    },
  ])('$title', ({ template, context, value }) => {
    // Act
    const result = renderTemplate(template, context);

    // Assess
    expect(result).toEqual({ ok: true, value });
  });

  it('does not change the template it renders', () => {
    // Prepare
    const template = { reads: ['{{sample.fastq1}}'] };

    // Act
    renderTemplate(template, sampleContext);

    // Assess
    expect(template).toEqual({ reads: ['{{sample.fastq1}}'] });
  });

  it('reports an input the sample does not have, naming the input', () => {
    // Prepare
    const context: TemplateContext = {
      ...sampleContext,
      sample: { id: 'NA1', inputs: { fastq1: 's3://lab-in/a' } },
    };

    // Act
    const result = renderTemplate({ r2: '{{sample.fastq2}}' }, context);

    // Assess
    expect(result).toEqual({
      ok: false,
      problems: [
        expect.objectContaining({
          path: 'sample.fastq2',
          jsonPath: '$.r2',
          reason: 'missing-input',
          input: 'fastq2',
        }),
      ],
    });
  });

  it('reports an unknown root and an unknown field of a known root', () => {
    // Act
    const result = renderTemplate(
      { a: '{{run.id}}', b: '{{batch.owner}}', c: '{{sample.inputs.fastq1}}' },
      sampleContext,
    );

    // Assess
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problems.map((item) => [item.jsonPath, item.reason])).toEqual([
      ['$.a', 'unknown-field'],
      ['$.b', 'unknown-field'],
      ['$.c', 'unknown-field'],
    ]);
  });

  it('leaves references the context cannot fill in place when rendering partially', () => {
    // Prepare
    const template = {
      outputs: '{{batch.sampleOutputUris}}',
      control: '{{qc.control}}',
      title: 'QC {{batch.name}}',
    };
    const context: TemplateContext = {
      qc: { inputs: { control: 's3://lab-in/phix.fq.gz' } },
      batch: { name: 'HK3' },
    };

    // Act
    const result = renderTemplate(template, context, { partial: true });

    // Assess
    expect(result).toEqual({
      ok: true,
      value: { outputs: '{{batch.sampleOutputUris}}', control: 's3://lab-in/phix.fq.gz', title: 'QC HK3' },
    });
  });

  it('reports a field the context has no value for when rendering completely', () => {
    // Act
    const result = renderTemplate({ outputs: '{{batch.sampleOutputUris}}' }, { batch: { name: 'HK3' } });

    // Assess
    expect(!result.ok && result.problems[0]?.reason).toBe('unavailable');
  });
});

describe('checkTemplateFields', () => {
  it('accepts every field a sample template may name', () => {
    // Prepare
    const template = {
      a: '{{sample.id}}',
      b: '{{sample.any_input}}',
      c: '{{batch.id}}',
      d: '{{batch.name}}',
      e: '{{launch.outputUri}}',
    };

    // Act
    const problems = checkTemplateFields(template, 'sample');

    // Assess
    expect(problems).toEqual([]);
  });

  it('refuses batch.sampleOutputUris and qc inputs in a sample template', () => {
    // Act
    const problems = checkTemplateFields({ a: '{{batch.sampleOutputUris}}', b: '{{qc.control}}' }, 'sample');

    // Assess
    expect(problems.map((item) => [item.jsonPath, item.reason])).toEqual([
      ['$.a', 'unknown-field'],
      ['$.b', 'unknown-field'],
    ]);
    expect(problems[0]?.message).toContain('only known to qc templates');
  });

  it('accepts batch.sampleOutputUris and qc inputs in a QC template but refuses sample fields', () => {
    // Prepare
    const template = { a: '{{batch.sampleOutputUris}}', b: '{{qc.control}}', c: '{{sample.id}}' };

    // Act
    const problems = checkTemplateFields(template, 'qc', '$.qc.parameters');

    // Assess
    expect(problems.map((item) => item.jsonPath)).toEqual(['$.qc.parameters.c']);
  });

  it('refuses a reference that is not a field path', () => {
    // Act
    const problems = checkTemplateFields({ a: '{{ }}', b: '{{sample..id}}', c: '{{sample}}' }, 'sample');

    // Assess
    expect(problems.map((item) => item.jsonPath)).toEqual(['$.a', '$.b', '$.c']);
  });
});

describe('optional references', () => {
  const singleEnd: TemplateContext = {
    ...sampleContext,
    sample: { id: 'NA1', inputs: { fastq1: 's3://lab-in/NA1_R1.fastq.gz' } },
  };
  const template = {
    reads1: '{{sample.fastq1}}',
    reads2: '{{ sample.fastq2? }}',
    lanes: ['{{sample.fastq1}}', '{{sample.fastq2?}}'],
  };

  it('leave out the key or the array element when the sample has no such input', () => {
    // Act
    const result = renderTemplate(template, singleEnd);
    // Assess
    expect(result).toEqual({
      ok: true,
      value: { reads1: 's3://lab-in/NA1_R1.fastq.gz', lanes: ['s3://lab-in/NA1_R1.fastq.gz'] },
    });
  });

  it('render like any reference when the input is there', () => {
    // Act
    const result = renderTemplate(template, sampleContext);
    // Assess
    expect(result).toEqual({
      ok: true,
      value: {
        reads1: 's3://lab-in/NA12878_R1.fastq.gz',
        reads2: 's3://lab-in/NA12878_R2.fastq.gz',
        lanes: ['s3://lab-in/NA12878_R1.fastq.gz', 's3://lab-in/NA12878_R2.fastq.gz'],
      },
    });
  });

  it('are listed without the question mark, marked optional', () => {
    expect(templateReferences(template)).toEqual([
      { path: 'sample.fastq1', jsonPath: '$.reads1' },
      { path: 'sample.fastq2', jsonPath: '$.reads2', optional: true },
      { path: 'sample.fastq1', jsonPath: '$.lanes[0]' },
      { path: 'sample.fastq2', jsonPath: '$.lanes[1]', optional: true },
    ]);
  });

  it('still report an unknown field, and a "?" inside a longer string', () => {
    // Act
    const problems = checkTemplateFields(
      { a: '{{sample.fastq2.x?}}', b: 's3://lab/{{sample.fastq2?}}' },
      'sample',
    );
    // Assess
    expect(problems.map((item) => item.jsonPath)).toEqual(['$.a', '$.b']);
    expect(problems[1]?.message).toContain('an optional reference must be the whole value');
  });
});
