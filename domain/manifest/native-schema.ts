import * as z from 'zod';
import { BATCH_PRIORITIES } from '../teams/team.js';
import { clip } from '../text.js';
import { WORKFLOW_TYPES } from '../workflow.js';
import { runCacheSchema } from './run-cache-schema.js';
import { INPUT_NAME_PATTERN, jsonPathOf } from './template.js';
import type { ManifestProblem } from './types.js';

/**
 * The native manifest format, `gwm.manifest/v1`. Objects are strict so that a misspelled key is
 * reported instead of silently ignored. Rules between fields (profile or workflow, the QC
 * fraction) are refinements that run even when another field is wrong, so that every problem
 * is listed at once. S3 URIs are only checked for being strings here: their form and prefixes
 * are checked by parseManifest, which reports them with their own problem codes.
 */

export const NATIVE_SCHEMA_VERSION = 'gwm.manifest/v1';

/** Sample ids go into run names and S3 paths. */
export const SAMPLE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const WORKFLOW_ARN = /^arn:aws[a-z-]*:omics:[a-z0-9-]+:\d{12}:workflow\/(\d{1,20})$/;
const WORKFLOW_ID = /^\d{1,20}$/;
const WORKFLOW_ID_OR_ARN = /^(?:\d{1,20}|arn:aws[a-z-]*:omics:[a-z0-9-]+:\d{12}:workflow\/\d{1,20})$/;
const VERSION_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const RUN_GROUP_ID = /^\d{1,20}$/;
// HealthOmics allows 50 tags per run; gwm keeps 10 for its own (batch, sample, attempt…).
export const MAX_USER_TAGS = 40;
const TAG_KEY = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,128}$/u;
const TAG_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
const RESERVED_TAG_PREFIXES = ['aws:', 'gwm:'];

/** The numeric workflow id of a numeric id or a HealthOmics workflow ARN; undefined otherwise. */
export function normalizeWorkflowId(value: unknown): string | undefined {
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
  if (typeof value !== 'string') return undefined;
  if (WORKFLOW_ID.test(value)) return value;
  return WORKFLOW_ARN.exec(value)?.[1];
}

export const workflowIdSchema = z
  .string()
  .regex(
    WORKFLOW_ID_OR_ARN,
    'expected a numeric workflow id or arn:aws:omics:<region>:<account>:workflow/<id>',
  )
  .transform((value) => normalizeWorkflowId(value) ?? value)
  .describe('Numeric HealthOmics workflow id, or a workflow ARN (normalized to its id).');

export const workflowRefSchema = z
  .strictObject({
    id: workflowIdSchema,
    type: z
      .enum(WORKFLOW_TYPES)
      .default('PRIVATE')
      .describe('PRIVATE for your own workflows, READY2RUN for AWS Ready2Run workflows.'),
    version: z
      .string()
      .regex(VERSION_NAME, 'expected a workflow version name (letters, digits, . _ -)')
      .optional()
      .describe('Workflow version name; the default version when omitted.'),
  })
  .describe('A HealthOmics workflow to run, named directly instead of through a profile.');

export const storageTypeSchema = z
  .enum(['DYNAMIC', 'STATIC'])
  .describe('Run storage: DYNAMIC (default, billed by use) or STATIC (storageCapacity GiB).');

export const profileNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'expected a profile name (lower-case letters, digits and -)')
  .describe('Name of a workflow profile registered in gwm.');

/** Any JSON value; string values may hold {{field}} template references. */
export const parametersSchema = z
  .record(z.string().min(1, 'a parameter name must not be empty'), z.unknown())
  .describe('Workflow parameters by name. String values may hold {{field}} template references.');

const tagKeySchema = z
  .string()
  .regex(TAG_KEY, 'a tag key has 1-128 letters, digits, spaces or _ . : / = + - @')
  .refine(
    (key) => !RESERVED_TAG_PREFIXES.some((prefix) => key.toLowerCase().startsWith(prefix)),
    'tag keys starting with aws: or gwm: are reserved',
  );

export const tagsSchema = z
  .record(
    tagKeySchema,
    z.string().regex(TAG_VALUE, 'a tag value has up to 256 letters, digits, spaces or _ . : / = + - @'),
  )
  .refine((tags) => Object.keys(tags).length <= MAX_USER_TAGS, `at most ${MAX_USER_TAGS} tags`)
  .describe(
    `Run tags (string values, at most ${MAX_USER_TAGS}; keys starting with aws: or gwm: are reserved).`,
  );

const inputNameSchema = z
  .string()
  .regex(INPUT_NAME_PATTERN, 'an input name starts with a letter and has letters, digits and _ (at most 64)')
  .refine((name) => name !== 'id', 'an input may not be called "id": {{sample.id}} is the sample id');

export const inputsSchema = z
  .record(inputNameSchema, z.string().min(1, 'an input URI must not be empty'))
  .describe('Input files by name (S3 URIs). Templates name them as {{sample.<name>}}.');

const outputUriSchema = z
  .string()
  .min(1, 'an output URI must not be empty')
  .describe('S3 URI under which the run writes its outputs (gwm adds a folder per run).');

/** Run settings a sample may set and the manifest's defaults may give for all samples. */
const runSettingsShape = {
  profile: profileNameSchema.optional(),
  workflow: workflowRefSchema.optional(),
  outputUri: outputUriSchema.optional(),
  storageType: storageTypeSchema.optional(),
  storageCapacity: z
    .number()
    .int('storageCapacity is a whole number of GiB')
    .positive()
    .optional()
    .describe('Static run storage in GiB; only used with storageType STATIC.'),
  runGroupId: z
    .string()
    .regex(RUN_GROUP_ID, 'expected a numeric run group id')
    .optional()
    .describe('HealthOmics run group that caps the runs’ resources.'),
  cache: runCacheSchema.optional(),
  priority: z
    .number()
    .int('priority is a whole number')
    .nonnegative()
    .optional()
    .describe('Run priority within the run group (higher runs first).'),
  tags: tagsSchema.optional(),
  parameters: parametersSchema.optional(),
};

type WithWorkflowChoice = { profile?: unknown; workflow?: unknown };

/** Refinement that runs even when other fields are invalid, so every problem is reported together. */
const ALWAYS = { when: () => true };

function refineProfileOrWorkflow(value: WithWorkflowChoice, ctx: z.RefinementCtx): void {
  if (value.profile !== undefined && value.workflow !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['workflow'],
      message: 'give either profile or workflow, not both',
    });
  }
}

export const batchInfoSchema = z
  .strictObject({
    name: z
      .string()
      .regex(
        /^[\p{L}\p{N} _.,:()+=@#/-]{1,128}$/u,
        'a batch name has 1-128 letters, digits, spaces or _ . , : ( ) + = @ # / -',
      )
      .optional()
      .describe(
        'Name shown in notifications and run names, e.g. the flowcell id; the file name when omitted.',
      ),
    team: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe(
        'Team that owns the batch: where the manifest is uploaded decides (teams/<team>/); a different name here is rejected.',
      ),
    priority: z
      .enum(BATCH_PRIORITIES)
      .optional()
      .describe(
        'Place in the launch queue: urgent batches start before normal ones, low after (default normal). A person may change it on the waiting batch item.',
      ),
    submitter: z
      .string()
      .min(1)
      .max(256)
      .optional()
      .describe('Who submitted the batch, e.g. an e-mail address.'),
  })
  .describe('Who and what the batch is.');

export const manifestDefaultsSchema = z
  .strictObject(runSettingsShape)
  .superRefine(refineProfileOrWorkflow, ALWAYS)
  .describe('Settings for every sample that does not set its own; the run settings also apply to QC.');

export const manifestSampleSchema = z
  .strictObject({
    id: z
      .string()
      .regex(
        SAMPLE_ID_PATTERN,
        'a sample id has 1-64 letters, digits, . _ - and starts with a letter or digit',
      )
      .describe('Unique sample id (goes into run names and output paths).'),
    inputs: inputsSchema.refine(
      (inputs) => Object.keys(inputs).length > 0,
      'a sample needs at least one input',
    ),
    ...runSettingsShape,
  })
  .superRefine(refineProfileOrWorkflow, ALWAYS)
  .describe('One sample: one workflow run.');

export const qcPolicySchema = z
  .enum(['all-succeeded', 'any-completed', 'min-succeeded-fraction'])
  .describe(
    'When QC starts once every sample has finished: all-succeeded (every sample COMPLETED), any-completed (at least one), min-succeeded-fraction (at least minSucceededFraction of them).',
  );

export const qcSchema = z
  .strictObject({
    profile: profileNameSchema.optional(),
    workflow: workflowRefSchema.optional(),
    inputs: inputsSchema.optional().describe('QC input files by name. Templates name them as {{qc.<name>}}.'),
    parameters: parametersSchema.optional(),
    outputUri: outputUriSchema.optional(),
    storageType: runSettingsShape.storageType,
    storageCapacity: runSettingsShape.storageCapacity,
    runGroupId: runSettingsShape.runGroupId,
    cache: runSettingsShape.cache,
    priority: runSettingsShape.priority,
    tags: tagsSchema.optional(),
    policy: qcPolicySchema.default('all-succeeded'),
    minSucceededFraction: z
      .number()
      .gt(0, 'minSucceededFraction must be greater than 0')
      .lte(1, 'minSucceededFraction must be at most 1')
      .optional()
      .describe(
        'Fraction (0 < f <= 1) of samples that must succeed; required with policy min-succeeded-fraction.',
      ),
    rerunOnRetry: z
      .boolean()
      .default(true)
      .describe('Run QC again when a sample is retried after QC has run.'),
  })
  .superRefine((value, ctx) => {
    refineProfileOrWorkflow(value, ctx);
    const policy = value.policy ?? 'all-succeeded';
    if (policy === 'min-succeeded-fraction' && value.minSucceededFraction === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['minSucceededFraction'],
        message: 'minSucceededFraction is required with policy min-succeeded-fraction',
      });
    }
    if (policy !== 'min-succeeded-fraction' && value.minSucceededFraction !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['minSucceededFraction'],
        message: 'minSucceededFraction is only used with policy min-succeeded-fraction',
      });
    }
  }, ALWAYS)
  .describe('A QC workflow run once over the whole batch when the samples have finished.');

export const notificationsSchema = z
  .strictObject({
    onBatchCompleted: z.boolean().default(true).describe('Notify once when the batch (and its QC) is done.'),
    onLaunchFailed: z
      .boolean()
      .default(false)
      .describe('Notify for every run that fails to launch or fails.'),
    onRejected: z.boolean().default(true).describe('Notify when the manifest is rejected.'),
  })
  .describe('Which notifications the batch sends.');

export const budgetSchema = z
  .strictObject({
    maxUsd: z
      .number()
      .positive('maxUsd must be more than 0')
      .describe(
        'The most the batch may be predicted to cost, in US dollars. A batch whose estimate is over it is registered and held (HELD_OVER_BUDGET) until a person releases it.',
      ),
  })
  .describe("A spending limit checked against the batch's cost estimate before anything is launched.");

export const restoreSchema = z
  .strictObject({
    tier: z
      .enum(['Expedited', 'Standard', 'Bulk'])
      .describe(
        'The S3 restore tier for inputs in an archive (GLACIER, DEEP_ARCHIVE, Intelligent-Tiering archive tiers); the deployment sets the default (Bulk). Expedited is not offered for Deep Archive, which gets Standard.',
      ),
  })
  .describe('How archived inputs are restored before their samples run.');

export const schemaVersionSchema = z
  .literal(NATIVE_SCHEMA_VERSION, {
    error: (issue) =>
      `unsupported schemaVersion ${JSON.stringify(issue.input)}: this gwm reads "${NATIVE_SCHEMA_VERSION}"`,
  })
  .describe('Format and version of this document.');

const editorSchemaSchema = z.string().optional().describe('JSON Schema URI for editors; gwm ignores it.');

export const nativeManifestSchema = z
  .strictObject({
    $schema: editorSchemaSchema,
    schemaVersion: schemaVersionSchema,
    batch: batchInfoSchema.optional(),
    defaults: manifestDefaultsSchema.optional(),
    samples: z.array(manifestSampleSchema).min(1, 'a manifest needs at least one sample'),
    qc: qcSchema.optional(),
    notifications: notificationsSchema.optional(),
    budget: budgetSchema.optional(),
    restore: restoreSchema.optional(),
  })
  .meta({
    title: 'gwm manifest',
    description:
      'A batch of samples (one flowcell or cohort) to run on AWS HealthOmics, with an optional QC step.',
  });

/**
 * The top level alone, so that each part is validated on its own and a broken sample does not
 * hide the problems of the others. Keep its keys equal to nativeManifestSchema's.
 */
export const nativeEnvelopeSchema = z.strictObject({
  $schema: editorSchemaSchema,
  schemaVersion: schemaVersionSchema,
  batch: z.unknown().optional(),
  defaults: z.unknown().optional(),
  samples: z
    .array(z.unknown(), { error: 'samples must be a list of samples' })
    .min(1, 'a manifest needs at least one sample'),
  qc: z.unknown().optional(),
  notifications: z.unknown().optional(),
  budget: z.unknown().optional(),
  restore: z.unknown().optional(),
});

export type NativeManifest = z.output<typeof nativeManifestSchema>;
export type NativeManifestInput = z.input<typeof nativeManifestSchema>;
export type ManifestDefaults = z.output<typeof manifestDefaultsSchema>;
export type ManifestSample = z.output<typeof manifestSampleSchema>;
export type ManifestQc = z.output<typeof qcSchema>;
export type ManifestNotifications = z.output<typeof notificationsSchema>;
export type BatchInfo = z.output<typeof batchInfoSchema>;

/** Every key of the native format, for "did you mean" hints on misspelled keys. */
export const NATIVE_FIELD_NAMES: readonly string[] = [
  ...new Set([
    ...Object.keys(nativeManifestSchema.shape),
    ...Object.keys(batchInfoSchema.shape),
    ...Object.keys(manifestSampleSchema.shape),
    ...Object.keys(qcSchema.shape),
    ...Object.keys(notificationsSchema.shape),
    ...Object.keys(budgetSchema.shape),
    ...Object.keys(restoreSchema.shape),
    ...Object.keys(runCacheSchema.shape),
    ...Object.keys(workflowRefSchema.shape),
  ]),
];

/** Parse options that keep the offending value in each issue, for messages that show it. */
export const REPORT_INPUT = { reportInput: true } as const;

/**
 * Maps zod issues to SCHEMA problems under `rootPath`. An unknown key becomes one problem per
 * key, at the key's own path, with a hint when it looks like a misspelled known key.
 */
export function issuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  rootPath: string,
  knownKeys: readonly string[] = NATIVE_FIELD_NAMES,
): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  for (const issue of issues) {
    const path = jsonPathOf(issue.path, rootPath);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const hint = closestKey(key, knownKeys);
        problems.push({
          path: jsonPathOf([key], path),
          code: 'SCHEMA',
          message: `unknown field "${key}"${hint === undefined ? '' : ` (did you mean "${hint}"?)`}`,
        });
      }
    } else if (issue.code === 'invalid_key') {
      const message = issue.issues[0]?.message ?? issue.message;
      problems.push({ path, code: 'SCHEMA', message: `${message} (got ${quote(issue.path.at(-1))})` });
    } else if (issue.code === 'invalid_type' && issue.input === undefined && issue.path.length > 0) {
      // JSON has no undefined: the key is simply missing.
      problems.push({
        path,
        code: 'SCHEMA',
        message: `required field ${quote(issue.path.at(-1))} is missing`,
      });
    } else if (issue.code === 'invalid_format' || issue.code === 'custom') {
      // Pattern messages describe the rule; the value shows which entry broke it.
      const got = typeof issue.input === 'string' ? ` (got ${quote(issue.input)})` : '';
      problems.push({ path, code: 'SCHEMA', message: `${issue.message}${got}` });
    } else {
      problems.push({ path, code: 'SCHEMA', message: issue.message });
    }
  }
  return problems;
}

function quote(value: unknown): string {
  return JSON.stringify(clip(String(value), 80, { markOutside: true }));
}

function closestKey(key: string, knownKeys: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  const lower = key.toLowerCase();
  for (const known of knownKeys) {
    const distance =
      known.toLowerCase() === lower ? 0 : editDistance(lower, known.toLowerCase(), bestDistance);
    if (distance < bestDistance) {
      best = known;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance, giving up (returning `limit`) once it cannot be below `limit`. */
function editDistance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) >= limit) return limit;
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    let rowMin = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const value = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + cost,
      );
      current.push(value);
      rowMin = Math.min(rowMin, value);
    }
    if (rowMin >= limit) return limit;
    previous = current;
  }
  return Math.min(previous[b.length] ?? limit, limit);
}
