import * as z from 'zod';
import { s3UriError } from '../s3-uri.js';
import type { WorkflowProfile } from '../workflow.js';
import {
  issuesToProblems,
  parametersSchema,
  profileNameSchema,
  REPORT_INPUT,
  storageTypeSchema,
  workflowRefSchema,
} from './native-schema.js';
import { jsonDocument } from './problem-list.js';
import { runCacheSchema } from './run-cache-schema.js';
import { classifyTemplateField, type TemplateReference, templateReferences } from './template.js';
import type { ManifestProblem } from './types.js';

export const runDefaultsSchema = z
  .strictObject({
    storageType: storageTypeSchema.optional(),
    storageCapacity: z.number().int().positive().optional(),
    runGroupId: z
      .string()
      .regex(/^\d{1,20}$/, 'expected a numeric run group id')
      .optional(),
    cache: runCacheSchema.optional(),
    priority: z.number().int().nonnegative().optional(),
    outputUri: z.string().min(1).optional(),
    parameters: parametersSchema.optional(),
  })
  .describe('Run settings for manifests that use the profile; the manifest may override each of them.');

export const workflowProfileSchema = z
  .strictObject({
    name: profileNameSchema,
    description: z.string().max(1024).optional(),
    workflow: workflowRefSchema,
    parameterTemplate: parametersSchema.describe(
      'Maps manifest fields onto the workflow\'s parameter names, e.g. {"reads": "{{sample.fastq1}}"}.',
    ),
    defaults: runDefaultsSchema.default({}),
  })
  .meta({ title: 'gwm workflow profile' });

const PROFILE_KEYS = [
  ...Object.keys(workflowProfileSchema.shape),
  ...Object.keys(runDefaultsSchema.shape),
  ...Object.keys(workflowRefSchema.shape),
  ...Object.keys(runCacheSchema.shape),
];

export type ProfileParseResult =
  | { ok: true; profile: WorkflowProfile }
  | { ok: false; problems: ManifestProblem[] };

/**
 * Validates a workflow profile document (already parsed JSON, or JSON text). Sample inputs are
 * not known here, so any `sample.<name>` is accepted; a profile is meant for samples or for QC,
 * so it may not mix sample fields with QC-only fields.
 */
export function parseWorkflowProfile(json: unknown): ProfileParseResult {
  const read = jsonDocument(json);
  if (!read.ok) return read;
  const { document } = read;

  const parsed = workflowProfileSchema.safeParse(document, REPORT_INPUT);
  const problems: ManifestProblem[] = parsed.success
    ? []
    : issuesToProblems(parsed.error.issues, '$', PROFILE_KEYS);
  if (document === null || typeof document !== 'object') return { ok: false, problems };

  const raw = document as {
    parameterTemplate?: unknown;
    defaults?: { parameters?: unknown; outputUri?: unknown };
  };
  const templates = [
    templateReferences(raw.parameterTemplate, '$.parameterTemplate'),
    templateReferences(raw.defaults?.parameters, '$.defaults.parameters'),
  ].flat();
  problems.push(...templateProblems(templates));

  const outputUri = raw.defaults?.outputUri;
  if (typeof outputUri === 'string') {
    const error = s3UriError(outputUri);
    if (error !== undefined) {
      problems.push({ path: '$.defaults.outputUri', code: 'MALFORMED_S3_URI', message: error });
    }
  }

  if (problems.length > 0 || !parsed.success) return { ok: false, problems };
  return { ok: true, profile: parsed.data };
}

function templateProblems(references: readonly TemplateReference[]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  let sampleOnly: TemplateReference | undefined;
  let qcOnly: TemplateReference | undefined;
  for (const reference of references) {
    const field = classifyTemplateField(reference.path);
    if (!field.ok) {
      problems.push({ path: reference.jsonPath, code: 'UNKNOWN_TEMPLATE_FIELD', message: field.message });
    } else if (field.kinds.length === 1) {
      if (field.kinds[0] === 'sample') sampleOnly ??= reference;
      else qcOnly ??= reference;
    }
  }
  if (sampleOnly !== undefined && qcOnly !== undefined) {
    problems.push({
      path: qcOnly.jsonPath,
      code: 'UNKNOWN_TEMPLATE_FIELD',
      message: `a profile is for samples or for QC, not both: {{${sampleOnly.path}}} is a sample field, {{${qcOnly.path}}} a QC field`,
    });
  }
  return problems;
}
