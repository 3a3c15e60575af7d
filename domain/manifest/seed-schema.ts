import * as z from 'zod';
import { normalizeWorkflowId, SAMPLE_ID_PATTERN } from './native-schema.js';

/**
 * The seed format, exactly as the public HealthOmics orchestration sample writes it:
 *
 * ```json
 * { "flowcellSamples": [{ "sampleId", "fastqFileRef", "ahoSampleWorkflowId", "OutputS3path" }],
 *   "qcWorkflow": { "qcWorkflowFileRef", "ahoQcWorkflowId", "OutputS3path" } }
 * ```
 *
 * It is someone else's format, so unknown keys are accepted (and ignored) rather than refused.
 * Workflow ids may be numbers, numeric strings or workflow ARNs.
 */

/** The name the seed's single FASTQ gets as an input (and as a parameter without a profile). */
export const SEED_INPUT_NAME = 'fastq';

const seedWorkflowIdSchema = z.unknown().transform((value, ctx) => {
  const id = normalizeWorkflowId(value);
  if (id === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'expected a numeric workflow id or arn:aws:omics:<region>:<account>:workflow/<id>',
    });
    return z.NEVER;
  }
  return id;
});

const uriSchema = z.string().min(1, 'must not be empty');

export const seedSampleSchema = z.looseObject({
  sampleId: z
    .string()
    .regex(
      SAMPLE_ID_PATTERN,
      'a sample id has 1-64 letters, digits, . _ - and starts with a letter or digit',
    ),
  fastqFileRef: uriSchema,
  ahoSampleWorkflowId: seedWorkflowIdSchema,
  OutputS3path: uriSchema,
});

export const seedQcSchema = z.looseObject({
  qcWorkflowFileRef: uriSchema,
  ahoQcWorkflowId: seedWorkflowIdSchema,
  OutputS3path: uriSchema,
});

export const seedManifestSchema = z.looseObject({
  flowcellSamples: z.array(seedSampleSchema).min(1, 'flowcellSamples needs at least one sample'),
  qcWorkflow: seedQcSchema.optional(),
});

/** The top level alone; the parts are validated one by one so every problem is reported. */
export const seedEnvelopeSchema = z.looseObject({
  flowcellSamples: z
    .array(z.unknown(), { error: 'flowcellSamples must be a list of samples' })
    .min(1, 'flowcellSamples needs at least one sample'),
  qcWorkflow: z.unknown().optional(),
});

export type SeedManifest = z.output<typeof seedManifestSchema>;
export type SeedSample = z.output<typeof seedSampleSchema>;
export type SeedQc = z.output<typeof seedQcSchema>;
