import type { z } from 'zod';
import { makePrefixMatcher, parseS3Uri, type S3Location, s3UriError } from '../s3-uri.js';
import type { BatchPriority } from '../teams/team.js';
import type { RunCacheRef, StorageType, WorkflowProfile, WorkflowRef } from '../workflow.js';
import {
  batchInfoSchema,
  budgetSchema,
  issuesToProblems,
  MAX_USER_TAGS,
  manifestDefaultsSchema,
  manifestSampleSchema,
  nativeEnvelopeSchema,
  notificationsSchema,
  qcSchema,
  REPORT_INPUT,
  restoreSchema,
} from './native-schema.js';
import { inDocumentOrder, ProblemList, problem } from './problem-list.js';
import { renderedUriViolations } from './rendered-uris.js';
import { SEED_INPUT_NAME, seedEnvelopeSchema, seedQcSchema, seedSampleSchema } from './seed-schema.js';
import {
  checkTemplateFields,
  childPath,
  hasTemplateReference,
  jsonPathOf,
  renderAt,
  type TemplateContext,
  type TemplateKind,
  templateReferences,
  visitStrings,
} from './template.js';
import type {
  BatchPlan,
  ManifestContext,
  ManifestFormat,
  ManifestProblemCode,
  ManifestResult,
  NotificationSettings,
  QcLaunchSpec,
  QcPolicy,
  SampleLaunchSpec,
} from './types.js';

/**
 * Reads an uploaded manifest (native `gwm.manifest/v1` or the seed format) into a BatchPlan, or
 * lists every problem it has, each at its JSONPath. Nothing is thrown for bad input.
 *
 * Settings of a run resolve as: the sample's (or QC's) own field > the manifest's `defaults` >
 * the profile's defaults > built-ins (storageType DYNAMIC). Parameters are layered, later keys
 * replacing earlier ones (shallow, by top-level parameter name):
 * - with a profile: profile parameterTemplate, profile defaults.parameters, manifest
 *   defaults.parameters, sample parameters;
 * - without one: manifest defaults.parameters, the sample's inputs by name, sample parameters.
 * String values of every layer may hold {{field}} references (see template.ts); they are
 * rendered per sample. QC parameters are rendered except batch.sampleOutputUris, which is only
 * known when the samples have finished.
 */
export function parseManifest(
  input: { text: string; sizeBytes: number },
  ctx: ManifestContext,
): ManifestResult {
  const { maxBytes } = ctx.limits;
  // A string has at most as many UTF-16 units as UTF-8 bytes, so the length check is a cheap
  // guard against a caller that passes a wrong size.
  if (input.sizeBytes > maxBytes || input.text.length > maxBytes) {
    const size = Math.max(input.sizeBytes, input.text.length);
    return problem('$', 'TOO_LARGE', `the manifest is ${size} bytes; the limit is ${maxBytes} bytes`);
  }

  let document: unknown;
  try {
    // Editors on Windows like to start UTF-8 files with a byte order mark; JSON.parse does not.
    document = JSON.parse(input.text.startsWith('\uFEFF') ? input.text.slice(1) : input.text);
  } catch (error) {
    return problem(
      '$',
      'NOT_JSON',
      `the manifest is not valid JSON: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  if (!isRecord(document) || !('schemaVersion' in document || 'flowcellSamples' in document)) {
    return problem(
      '$',
      'UNKNOWN_FORMAT',
      'expected a JSON object with "schemaVersion": "gwm.manifest/v1" (gwm format) or "flowcellSamples" (seed format)',
    );
  }

  const problems = new ProblemList();
  const format: ManifestFormat = 'schemaVersion' in document ? 'native-v1' : 'seed';
  const draft =
    format === 'native-v1' ? readNative(document, ctx, problems) : readSeed(document, ctx, problems);
  const plan = buildPlan(draft, ctx, problems);
  if (plan === undefined) {
    return {
      ok: false,
      format,
      name: draft.name,
      notifications: draft.notifications,
      problems: inDocumentOrder(problems.items),
    };
  }
  return { ok: true, plan };
}

// ---------------------------------------------------------------------------------------------
// One shape for both formats: each part keeps where its fields are in the uploaded document.

type PathOf = (...segments: (string | number)[]) => string;

interface RunFields {
  profile?: string;
  workflow?: WorkflowRef;
  outputUri?: string;
  storageType?: StorageType;
  storageCapacity?: number;
  runGroupId?: string;
  cache?: RunCacheRef;
  priority?: number;
  tags?: Record<string, string>;
  parameters?: Record<string, unknown>;
  /** Fields that failed the schema: checks that depend on them are skipped (already reported). */
  broken: ReadonlySet<string>;
  /** JSONPath of one of this part's fields in the uploaded document. */
  at: PathOf;
}

interface SampleDraft extends RunFields {
  index: number;
  id?: string;
  inputs?: Record<string, string>;
}

interface QcDraft extends RunFields {
  inputs?: Record<string, string>;
  policy?: 'all-succeeded' | 'any-completed' | 'min-succeeded-fraction';
  minSucceededFraction?: number;
  rerunOnRetry?: boolean;
}

interface ManifestDraft {
  format: ManifestFormat;
  name: string;
  team?: string;
  submitter?: string;
  priority?: BatchPriority;
  defaults: RunFields;
  samples: SampleDraft[];
  qc?: QcDraft;
  notifications: NotificationSettings;
  budgetMaxUsd?: number;
  restoreTier?: BatchPlan['restoreTier'];
}

const DEFAULT_NOTIFICATIONS: NotificationSettings = {
  onBatchCompleted: true,
  onLaunchFailed: false,
  onRejected: true,
};
const NOTHING_BROKEN: ReadonlySet<string> = new Set();
const WHOLE = '*';

interface Part<T> {
  value: Partial<T>;
  broken: ReadonlySet<string>;
}

/**
 * Validates one part of the document and keeps its valid fields even when others are wrong,
 * so that the checks that do not depend on a wrong field still run.
 */
function readPart<S extends z.ZodObject>(
  schema: S,
  raw: unknown,
  path: string,
  problems: ProblemList,
): Part<z.output<S>> {
  const parsed = schema.safeParse(raw, REPORT_INPUT);
  if (parsed.success) return { value: parsed.data, broken: NOTHING_BROKEN };
  problems.addAll(issuesToProblems(parsed.error.issues, path));
  if (!isRecord(raw)) return { value: {}, broken: new Set([WHOLE]) };

  const broken = new Set<string>();
  for (const issue of parsed.error.issues) {
    const key = issue.path[0];
    if (typeof key === 'string') broken.add(key);
  }
  const value: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    if (broken.has(key)) continue;
    const fieldResult = field.safeParse(raw[key]);
    if (fieldResult.success && fieldResult.data !== undefined) value[key] = fieldResult.data;
  }
  return { value: value as Partial<z.output<S>>, broken };
}

function nativePathOf(base: string): PathOf {
  return (...segments) => jsonPathOf(segments, base);
}

function readNative(
  document: Record<string, unknown>,
  ctx: ManifestContext,
  problems: ProblemList,
): ManifestDraft {
  const envelope = nativeEnvelopeSchema.safeParse(document, REPORT_INPUT);
  if (!envelope.success) problems.addAll(issuesToProblems(envelope.error.issues, '$'));

  const rawSamples = Array.isArray(document.samples) ? document.samples : [];
  checkSampleCount(rawSamples.length, '$.samples', ctx, problems);

  const batch = readPart(
    batchInfoSchema,
    document.batch === undefined ? {} : document.batch,
    '$.batch',
    problems,
  ).value;
  const defaults = readPart(
    manifestDefaultsSchema,
    document.defaults === undefined ? {} : document.defaults,
    '$.defaults',
    problems,
  );
  const samples: SampleDraft[] = rawSamples.map((raw, index) => {
    const base = `$.samples[${index}]`;
    const sample = readPart(manifestSampleSchema, raw, base, problems);
    return { ...sample.value, index, broken: sample.broken, at: nativePathOf(base) };
  });

  let qc: QcDraft | undefined;
  if (document.qc !== undefined) {
    const part = readPart(qcSchema, document.qc, '$.qc', problems);
    qc = { ...part.value, broken: part.broken, at: nativePathOf('$.qc') };
  }
  const notifications = readPart(
    notificationsSchema,
    document.notifications === undefined ? {} : document.notifications,
    '$.notifications',
    problems,
  ).value;
  const budget =
    document.budget === undefined ? {} : readPart(budgetSchema, document.budget, '$.budget', problems).value;
  const restore =
    document.restore === undefined
      ? {}
      : readPart(restoreSchema, document.restore, '$.restore', problems).value;

  return {
    format: 'native-v1',
    name: batch.name ?? ctx.batch.defaultName,
    ...(batch.team !== undefined && { team: batch.team }),
    ...(batch.submitter !== undefined && { submitter: batch.submitter }),
    ...(batch.priority !== undefined && { priority: batch.priority }),
    defaults: { ...defaults.value, broken: defaults.broken, at: nativePathOf('$.defaults') },
    samples,
    ...(qc !== undefined && { qc }),
    notifications: { ...DEFAULT_NOTIFICATIONS, ...notifications },
    ...(budget.maxUsd !== undefined && { budgetMaxUsd: budget.maxUsd }),
    ...(restore.tier !== undefined && { restoreTier: restore.tier }),
  };
}

/** Seed fields by the native field they map to; anything else points at the entry itself. */
function seedPathOf(
  base: string,
  fields: { input: string; outputUri: string; workflow: string; id?: string },
): PathOf {
  return (...segments) => {
    const [first, second] = segments;
    if (first === 'inputs' && second === SEED_INPUT_NAME) return childPath(base, fields.input);
    if (first === 'outputUri') return childPath(base, fields.outputUri);
    if (first === 'profile' || first === 'workflow') return childPath(base, fields.workflow);
    if (first === 'id' && fields.id !== undefined) return childPath(base, fields.id);
    return base;
  };
}

function readSeed(
  document: Record<string, unknown>,
  ctx: ManifestContext,
  problems: ProblemList,
): ManifestDraft {
  const envelope = seedEnvelopeSchema.safeParse(document, REPORT_INPUT);
  if (!envelope.success) problems.addAll(issuesToProblems(envelope.error.issues, '$'));

  const rawSamples = Array.isArray(document.flowcellSamples) ? document.flowcellSamples : [];
  checkSampleCount(rawSamples.length, '$.flowcellSamples', ctx, problems);
  const profilesByWorkflow = profilesByWorkflowId(ctx.profiles);

  const samples: SampleDraft[] = rawSamples.map((raw, index) => {
    const base = `$.flowcellSamples[${index}]`;
    const { value, broken } = readPart(seedSampleSchema, raw, base, problems);
    const at = seedPathOf(base, {
      id: 'sampleId',
      input: 'fastqFileRef',
      outputUri: 'OutputS3path',
      workflow: 'ahoSampleWorkflowId',
    });
    const profile =
      value.ahoSampleWorkflowId === undefined ? undefined : profilesByWorkflow.get(value.ahoSampleWorkflowId);
    return {
      index,
      at,
      broken: renameBroken(broken, {
        sampleId: 'id',
        fastqFileRef: 'inputs',
        OutputS3path: 'outputUri',
        ahoSampleWorkflowId: 'workflow',
      }),
      ...(value.sampleId !== undefined && { id: value.sampleId }),
      ...(value.fastqFileRef !== undefined && { inputs: { [SEED_INPUT_NAME]: value.fastqFileRef } }),
      ...(value.OutputS3path !== undefined && { outputUri: value.OutputS3path }),
      ...seedWorkflowChoice(value.ahoSampleWorkflowId, profile),
      // Without a profile the seed's workflow gets the sample id besides its FASTQ (an input by name).
      ...(profile === undefined &&
        value.sampleId !== undefined && { parameters: { sample_id: value.sampleId } }),
    };
  });

  let qc: QcDraft | undefined;
  if (document.qcWorkflow !== undefined) {
    const { value, broken } = readPart(seedQcSchema, document.qcWorkflow, '$.qcWorkflow', problems);
    const profile =
      value.ahoQcWorkflowId === undefined ? undefined : profilesByWorkflow.get(value.ahoQcWorkflowId);
    qc = {
      at: seedPathOf('$.qcWorkflow', {
        input: 'qcWorkflowFileRef',
        outputUri: 'OutputS3path',
        workflow: 'ahoQcWorkflowId',
      }),
      broken: renameBroken(broken, {
        qcWorkflowFileRef: 'inputs',
        OutputS3path: 'outputUri',
        ahoQcWorkflowId: 'workflow',
      }),
      ...(value.qcWorkflowFileRef !== undefined && {
        inputs: { [SEED_INPUT_NAME]: value.qcWorkflowFileRef },
      }),
      ...(value.OutputS3path !== undefined && { outputUri: value.OutputS3path }),
      ...seedWorkflowChoice(value.ahoQcWorkflowId, profile),
      ...(profile === undefined && { parameters: { sample_output_uris: '{{batch.sampleOutputUris}}' } }),
      policy: 'all-succeeded',
      rerunOnRetry: true,
    };
  }

  return {
    format: 'seed',
    name: ctx.batch.defaultName,
    defaults: { broken: NOTHING_BROKEN, at: () => '$' },
    samples,
    ...(qc !== undefined && { qc }),
    notifications: DEFAULT_NOTIFICATIONS,
  };
}

function seedWorkflowChoice(
  workflowId: string | undefined,
  profile: WorkflowProfile | undefined,
): Pick<RunFields, 'profile' | 'workflow'> {
  if (profile !== undefined) return { profile: profile.name };
  if (workflowId !== undefined) return { workflow: { id: workflowId, type: 'PRIVATE' } };
  return {};
}

function renameBroken(broken: ReadonlySet<string>, names: Record<string, string>): ReadonlySet<string> {
  if (broken.size === 0) return broken;
  const renamed = new Set<string>();
  for (const key of broken) renamed.add(names[key] ?? key);
  if (renamed.has('workflow')) renamed.add('profile');
  return renamed;
}

/** The seed names workflows by id only: a PRIVATE profile for that id (first by name) supplies the parameters. */
function profilesByWorkflowId(profiles: ReadonlyMap<string, WorkflowProfile>): Map<string, WorkflowProfile> {
  const byId = new Map<string, WorkflowProfile>();
  const sorted = [...profiles.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const profile of sorted) {
    if (profile.workflow.type !== 'PRIVATE' || byId.has(profile.workflow.id)) continue;
    byId.set(profile.workflow.id, profile);
  }
  return byId;
}

function checkSampleCount(count: number, path: string, ctx: ManifestContext, problems: ProblemList): void {
  if (count > ctx.limits.maxSamples) {
    problems.add(
      path,
      'TOO_MANY_SAMPLES',
      `${count} samples; a manifest may have at most ${ctx.limits.maxSamples}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Resolution and the checks that need more than one field.

interface Checker {
  ctx: ManifestContext;
  problems: ProblemList;
  canRead: (location: S3Location) => boolean;
  canWrite: (location: S3Location) => boolean;
  batchContext: { id: string; name: string };
  profileChecks: Map<string, boolean>;
  profileLayers: Map<string, [Layer, Layer]>;
  defaultOutputOk: boolean;
}

function buildPlan(draft: ManifestDraft, ctx: ManifestContext, problems: ProblemList): BatchPlan | undefined {
  const checker: Checker = {
    ctx,
    problems,
    canRead: makePrefixMatcher(ctx.allowedReadPrefixes),
    canWrite: makePrefixMatcher(ctx.allowedWritePrefixes),
    batchContext: { id: ctx.batch.id, name: draft.name },
    profileChecks: new Map(),
    profileLayers: new Map(),
    defaultOutputOk: true,
  };
  const { defaults } = draft;

  if (defaults.outputUri !== undefined) {
    checker.defaultOutputOk = checkWriteUri(checker, defaults.outputUri, defaults.at('outputUri'));
  }
  const defaultLayer = manifestLayer(checker, defaults.parameters, defaults.at('parameters'), 'sample');

  const samples: SampleLaunchSpec[] = [];
  const firstById = new Map<string, SampleDraft>();
  const missingWorkflow: SampleDraft[] = [];
  const missingOutput: SampleDraft[] = [];
  const unresolved: SampleDraft[] = [];
  for (const sample of draft.samples) {
    checkDuplicate(checker, sample, firstById);
    const spec = resolveSample(checker, draft, defaultLayer, sample, missingWorkflow, missingOutput);
    if (spec !== undefined) samples.push(spec);
    else unresolved.push(sample);
  }
  reportMissing(checker, draft, missingWorkflow, 'NO_WORKFLOW');
  reportMissing(checker, draft, missingOutput, 'NO_OUTPUT_URI');

  const qc = draft.qc === undefined ? undefined : resolveQc(checker, draft, draft.qc);
  if (problems.items.length > 0) return undefined;
  // A plan is all samples or none: a sample left out without a reported problem must not pass.
  if (unresolved.length > 0 || (draft.qc !== undefined && qc === undefined)) {
    for (const sample of unresolved) problems.add(sample.at(), 'SCHEMA', 'this sample could not be resolved');
    if (draft.qc !== undefined && qc === undefined) {
      problems.add(draft.qc.at(), 'SCHEMA', 'the QC step could not be resolved');
    }
    return undefined;
  }
  return {
    format: draft.format,
    name: draft.name,
    ...(draft.team !== undefined && { team: draft.team }),
    ...(draft.submitter !== undefined && { submitter: draft.submitter }),
    ...(draft.priority !== undefined && { priority: draft.priority }),
    samples,
    ...(qc !== undefined && { qc }),
    notifications: draft.notifications,
    ...(draft.budgetMaxUsd !== undefined && { budgetMaxUsd: draft.budgetMaxUsd }),
    ...(draft.restoreTier !== undefined && { restoreTier: draft.restoreTier }),
    inputLocations: [...draft.samples, ...(draft.qc ? [draft.qc] : [])].flatMap((part) =>
      Object.entries(part.inputs ?? {}).map(([name, uri]) => ({ uri, path: part.at('inputs', name) })),
    ),
  };
}

function checkDuplicate(checker: Checker, sample: SampleDraft, firstById: Map<string, SampleDraft>): void {
  if (sample.id === undefined) return;
  // Ids differing only in case would share output folders on case-insensitive file systems
  // and keys in stores that fold case, so they count as the same sample.
  const key = sample.id.toLowerCase();
  const first = firstById.get(key);
  if (first === undefined) {
    firstById.set(key, sample);
    return;
  }
  const same =
    first.id === sample.id ? '' : ` as "${first.id}" (ids differing only in case count as the same)`;
  checker.problems.add(
    sample.at('id'),
    'DUPLICATE_SAMPLE_ID',
    `sample id "${sample.id}" is already used by sample ${first.index} at ${first.at()}${same}`,
  );
}

/** When no sample has it and the defaults do not give it, one problem at the defaults says it all. */
function reportMissing(
  checker: Checker,
  draft: ManifestDraft,
  missing: readonly SampleDraft[],
  code: 'NO_WORKFLOW' | 'NO_OUTPUT_URI',
): void {
  const what = code === 'NO_WORKFLOW' ? 'profile or workflow' : 'output URI';
  const fix =
    code === 'NO_WORKFLOW'
      ? 'set defaults.profile or defaults.workflow, or profile or workflow on each sample'
      : 'set defaults.outputUri or outputUri on each sample, or use a profile with a default output URI';
  if (draft.format === 'native-v1' && missing.length > 1 && missing.length === draft.samples.length) {
    const path = code === 'NO_WORKFLOW' ? draft.defaults.at() : draft.defaults.at('outputUri');
    checker.problems.add(path, code, `no sample has a ${what}: ${fix}`);
    return;
  }
  for (const sample of missing) {
    const path = code === 'NO_WORKFLOW' ? sample.at() : sample.at('outputUri');
    checker.problems.add(path, code, `sample "${sample.id ?? sample.index}" has no ${what}: ${fix}`);
  }
}

type WorkflowChoice =
  | { kind: 'profile'; profile: WorkflowProfile; path: string }
  | { kind: 'workflow'; workflow: WorkflowRef }
  | { kind: 'none' }
  | { kind: 'unresolved' };

function chooseWorkflow(checker: Checker, part: RunFields, fallback: RunFields | undefined): WorkflowChoice {
  if (isBroken(part, 'profile', 'workflow')) return { kind: 'unresolved' };
  if (part.profile !== undefined) return lookUpProfile(checker, part.profile, part.at('profile'));
  if (part.workflow !== undefined) return { kind: 'workflow', workflow: part.workflow };
  if (fallback === undefined) return { kind: 'none' };
  return chooseWorkflow(checker, fallback, undefined);
}

function lookUpProfile(checker: Checker, name: string, path: string): WorkflowChoice {
  const profile = checker.ctx.profiles.get(name);
  if (profile !== undefined) return { kind: 'profile', profile, path };
  const known = [...checker.ctx.profiles.keys()].sort();
  const list = known.length === 0 ? 'none are registered' : `known: ${known.slice(0, 20).join(', ')}`;
  checker.problems.once(name, path, 'UNKNOWN_PROFILE', `unknown profile "${name}" (${list})`);
  return { kind: 'unresolved' };
}

function isBroken(part: RunFields, ...fields: string[]): boolean {
  return part.broken.size > 0 && (part.broken.has(WHOLE) || fields.some((field) => part.broken.has(field)));
}

/** Checks once per use site and kind that a profile's templates only name fields known to that kind. */
function checkProfile(
  checker: Checker,
  choice: { profile: WorkflowProfile; path: string },
  kind: TemplateKind,
): boolean {
  const key = `${choice.profile.name}\u0000${kind}\u0000${choice.path}`;
  const known = checker.profileChecks.get(key);
  if (known !== undefined) return known;
  const { profile } = choice;
  const templateProblems = [
    ...checkTemplateFields(profile.parameterTemplate, kind, 'parameterTemplate'),
    ...checkTemplateFields(profile.defaults.parameters ?? {}, kind, 'defaults.parameters'),
  ];
  for (const item of templateProblems) {
    checker.problems.add(
      choice.path,
      'UNKNOWN_TEMPLATE_FIELD',
      `profile "${profile.name}" cannot be used for ${kind === 'qc' ? 'QC' : 'samples'}: ${item.message} (at ${item.jsonPath})`,
    );
  }
  const ok = templateProblems.length === 0;
  checker.profileChecks.set(key, ok);
  return ok;
}

interface ResolvedOutput {
  uri: string;
  ok: boolean;
}

function resolveOutputUri(
  checker: Checker,
  part: RunFields,
  defaults: RunFields,
  choice: WorkflowChoice,
): ResolvedOutput | 'missing' | 'unresolved' {
  if (isBroken(part, 'outputUri')) return 'unresolved';
  if (part.outputUri !== undefined) {
    return { uri: part.outputUri, ok: checkWriteUri(checker, part.outputUri, part.at('outputUri')) };
  }
  if (isBroken(defaults, 'outputUri')) return 'unresolved';
  if (defaults.outputUri !== undefined) return { uri: defaults.outputUri, ok: checker.defaultOutputOk };
  if (choice.kind === 'unresolved') return 'unresolved';
  if (choice.kind === 'profile' && choice.profile.defaults.outputUri !== undefined) {
    const uri = choice.profile.defaults.outputUri;
    const ok = checkWriteUri(checker, uri, choice.path, `the output URI of profile "${choice.profile.name}"`);
    return { uri, ok };
  }
  return 'missing';
}

function resolveSample(
  checker: Checker,
  draft: ManifestDraft,
  defaultLayer: Layer,
  sample: SampleDraft,
  missingWorkflow: SampleDraft[],
  missingOutput: SampleDraft[],
): SampleLaunchSpec | undefined {
  const { defaults } = draft;
  let ok = sample.broken.size === 0;

  if (sample.inputs !== undefined) {
    for (const [name, uri] of Object.entries(sample.inputs)) {
      ok = checkReadUri(checker, uri, sample.at('inputs', name), true) && ok;
    }
  }
  const sampleLayer = manifestLayer(checker, sample.parameters, sample.at('parameters'), 'sample');
  ok = sampleLayer.ok && defaultLayer.ok && ok;

  const choice = chooseWorkflow(checker, sample, defaults);
  if (choice.kind === 'none') missingWorkflow.push(sample);
  if (choice.kind === 'profile') ok = checkProfile(checker, choice, 'sample') && ok;
  else if (choice.kind !== 'workflow') ok = false;

  const output = resolveOutputUri(checker, sample, defaults, choice);
  if (output === 'missing') missingOutput.push(sample);
  if (typeof output !== 'object' || !output.ok) ok = false;

  const tags = mergeTags(checker, defaults, sample);
  if (tags === undefined) ok = false;

  if (sample.id === undefined || sample.inputs === undefined || isBroken(sample, 'parameters')) {
    return undefined;
  }
  if (choice.kind !== 'profile' && choice.kind !== 'workflow') return undefined;
  const context: TemplateContext = {
    sample: { id: sample.id, inputs: sample.inputs },
    batch: checker.batchContext,
    ...(typeof output === 'object' && { launch: { outputUri: output.uri } }),
  };
  const layers =
    choice.kind === 'profile'
      ? [...profileLayers(checker, choice), defaultLayer, sampleLayer]
      : [defaultLayer, inputLayer(sample.inputs), sampleLayer];
  const parameters = renderLayers(checker, layers, context, (name) => sample.at('inputs', name), sample.id);
  if (parameters === undefined || !ok || typeof output !== 'object' || tags === undefined) return undefined;

  return {
    sampleId: sample.id,
    inputs: sample.inputs,
    parameters,
    ...runSettings(sample, defaults, choice, output.uri, tags),
  };
}

function resolveQc(checker: Checker, draft: ManifestDraft, qc: QcDraft): QcLaunchSpec | undefined {
  let ok = qc.broken.size === 0;
  const inputs = qc.inputs ?? {};
  for (const [name, uri] of Object.entries(inputs)) {
    ok = checkReadUri(checker, uri, qc.at('inputs', name), true) && ok;
  }
  const qcLayer = manifestLayer(checker, qc.parameters, qc.at('parameters'), 'qc');
  ok = qcLayer.ok && ok;

  const choice = chooseWorkflow(checker, qc, undefined);
  if (choice.kind === 'none') {
    checker.problems.add(qc.at(), 'NO_WORKFLOW', 'the QC step has no profile or workflow');
  } else if (choice.kind === 'profile') {
    ok = checkProfile(checker, choice, 'qc') && ok;
  }

  const output = resolveOutputUri(checker, qc, draft.defaults, choice);
  if (output === 'missing') {
    checker.problems.add(
      qc.at('outputUri'),
      'NO_OUTPUT_URI',
      'the QC step has no output URI: set qc.outputUri or defaults.outputUri, or use a profile with a default output URI',
    );
  }
  const tags = mergeTags(checker, draft.defaults, qc);
  const policy = qcPolicy(qc);
  if (typeof output !== 'object' || !output.ok || tags === undefined || policy === undefined) ok = false;
  if (isBroken(qc, 'inputs', 'parameters') || (choice.kind !== 'profile' && choice.kind !== 'workflow')) {
    return undefined;
  }

  // Everything known now is filled in, so the completion path only has the sample outputs left.
  const context: TemplateContext = {
    qc: { inputs },
    batch: checker.batchContext,
    ...(typeof output === 'object' && { launch: { outputUri: output.uri } }),
  };
  const layers =
    choice.kind === 'profile' ? [...profileLayers(checker, choice), qcLayer] : [inputLayer(inputs), qcLayer];
  const parameterTemplate = renderLayers(
    checker,
    layers,
    context,
    (name) => qc.at('inputs', name),
    undefined,
    true,
  );
  if (parameterTemplate === undefined || !ok || typeof output !== 'object' || tags === undefined || !policy) {
    return undefined;
  }
  return {
    inputs,
    parameterTemplate,
    policy,
    rerunOnRetry: qc.rerunOnRetry ?? true,
    ...runSettings(qc, draft.defaults, choice, output.uri, tags),
  };
}

function qcPolicy(qc: QcDraft): QcPolicy | undefined {
  if (isBroken(qc, 'policy', 'minSucceededFraction')) return undefined;
  const kind = qc.policy ?? 'all-succeeded';
  if (kind !== 'min-succeeded-fraction') return { kind };
  return qc.minSucceededFraction === undefined ? undefined : { kind, fraction: qc.minSucceededFraction };
}

function runSettings(
  part: RunFields,
  defaults: RunFields,
  choice: { kind: 'profile'; profile: WorkflowProfile } | { kind: 'workflow'; workflow: WorkflowRef },
  outputUri: string,
  tags: Record<string, string>,
): Omit<SampleLaunchSpec, 'sampleId' | 'inputs' | 'parameters'> {
  const profileDefaults = choice.kind === 'profile' ? choice.profile.defaults : {};
  const storageType = part.storageType ?? defaults.storageType ?? profileDefaults.storageType ?? 'DYNAMIC';
  // A capacity only means something for STATIC storage; a profile made for STATIC runs must not
  // leave one on a run the manifest switched to DYNAMIC.
  const storageCapacity =
    storageType === 'STATIC'
      ? (part.storageCapacity ?? defaults.storageCapacity ?? profileDefaults.storageCapacity)
      : undefined;
  const runGroupId = part.runGroupId ?? defaults.runGroupId ?? profileDefaults.runGroupId;
  const cache = part.cache ?? defaults.cache ?? profileDefaults.cache;
  const priority = part.priority ?? defaults.priority ?? profileDefaults.priority;
  return {
    workflow: choice.kind === 'profile' ? choice.profile.workflow : choice.workflow,
    ...(choice.kind === 'profile' && { profile: choice.profile.name }),
    outputUri,
    storageType,
    ...(storageCapacity !== undefined && { storageCapacity }),
    ...(runGroupId !== undefined && { runGroupId }),
    ...(cache !== undefined && { cache }),
    ...(priority !== undefined && { priority }),
    tags,
  };
}

function mergeTags(
  checker: Checker,
  defaults: RunFields,
  part: RunFields,
): Record<string, string> | undefined {
  if (isBroken(part, 'tags') || isBroken(defaults, 'tags')) return undefined;
  const tags = { ...defaults.tags, ...part.tags };
  const count = Object.keys(tags).length;
  if (count > MAX_USER_TAGS) {
    checker.problems.add(
      part.at('tags'),
      'SCHEMA',
      `${count} tags together with defaults.tags; a run may have at most ${MAX_USER_TAGS}`,
    );
    return undefined;
  }
  return tags;
}

// ---------------------------------------------------------------------------------------------
// Parameter layers.

interface Layer {
  entries: ReadonlyArray<{ key: string; value: unknown; path: string; render: boolean }>;
  keys: ReadonlySet<string>;
  /** True when the layer comes from the profile: its problems are reported at `reportAt`. */
  fromProfile?: { name: string; reportAt: string };
  ok: boolean;
}

const EMPTY_LAYER: Layer = { entries: [], keys: new Set(), ok: true };

function layerOf(parameters: Record<string, unknown> | undefined, basePath: string): Omit<Layer, 'ok'> {
  if (parameters === undefined) return EMPTY_LAYER;
  const entries = Object.entries(parameters).map(([key, value]) => {
    const path = childPath(basePath, key);
    return { key, value, path, render: templateReferences(value, path).length > 0 };
  });
  return { entries, keys: new Set(Object.keys(parameters)) };
}

/** A parameter layer written in the manifest: its template fields and S3 strings are checked. */
function manifestLayer(
  checker: Checker,
  parameters: Record<string, unknown> | undefined,
  basePath: string,
  kind: TemplateKind,
): Layer {
  if (parameters === undefined) return EMPTY_LAYER;
  let ok = true;
  for (const item of checkTemplateFields(parameters, kind, basePath)) {
    checker.problems.add(item.jsonPath, 'UNKNOWN_TEMPLATE_FIELD', item.message);
    ok = false;
  }
  // Strings with template references are checked once rendered (renderLayers).
  for (const [key, parameter] of Object.entries(parameters)) {
    visitStrings(parameter, childPath(basePath, key), (value, path) => {
      if (looksLikeS3(value) && !hasTemplateReference(value))
        ok = checkReadUri(checker, value, path, false) && ok;
    });
  }
  return { ...layerOf(parameters, basePath), ok };
}

/** The profile's two parameter layers, built once per place the manifest names the profile. */
function profileLayers(checker: Checker, choice: { profile: WorkflowProfile; path: string }): [Layer, Layer] {
  const key = `${choice.profile.name}\u0000${choice.path}`;
  let layers = checker.profileLayers.get(key);
  if (layers === undefined) {
    const { profile } = choice;
    const fromProfile = { name: profile.name, reportAt: choice.path };
    layers = [
      {
        ...layerOf(profile.parameterTemplate, 'parameterTemplate'),
        ok: true,
        fromProfile,
      },
      {
        ...layerOf(profile.defaults.parameters, 'defaults.parameters'),
        ok: true,
        fromProfile,
      },
    ];
    checker.profileLayers.set(key, layers);
  }
  return layers;
}

function inputLayer(inputs: Record<string, string>): Layer {
  const entries = Object.entries(inputs).map(([key, value]) => ({ key, value, path: '', render: false }));
  return { entries, keys: new Set(Object.keys(inputs)), ok: true };
}

/**
 * Merges the layers (a later layer's key replaces an earlier one's) and renders what is left.
 * Only a missing input is reported here: unknown fields were reported when the layer was checked.
 */
function renderLayers(
  checker: Checker,
  layers: readonly Layer[],
  context: TemplateContext,
  inputPath: (name: string) => string,
  sampleId: string | undefined,
  partial = false,
): Record<string, unknown> | undefined {
  const parameters: Record<string, unknown> = {};
  let ok = true;
  layers.forEach((layer, index) => {
    const later = layers.slice(index + 1);
    for (const entry of layer.entries) {
      if (later.some((next) => next.keys.has(entry.key))) continue;
      if (!entry.render) {
        parameters[entry.key] = entry.value;
        continue;
      }
      const rendered = renderAt(entry.value, context, entry.path, { partial });
      if (rendered.ok) {
        // Undefined: an optional `{{sample.<input>?}}` for an input this sample does not have.
        if (rendered.value !== undefined) parameters[entry.key] = rendered.value;
        ok = checkRenderedUris(checker, layer, entry.path, rendered.value, context, sampleId) && ok;
        continue;
      }
      for (const item of rendered.problems) {
        if (item.reason !== 'missing-input' || item.input === undefined) continue;
        const where =
          layer.fromProfile === undefined
            ? item.jsonPath
            : `profile "${layer.fromProfile.name}" ${item.jsonPath}`;
        checker.problems.add(inputPath(item.input), 'UNKNOWN_TEMPLATE_FIELD', `${where}: ${item.message}`);
      }
      ok = false;
    }
  });
  return ok ? parameters : undefined;
}

/** Reports the S3 URIs a rendered parameter holds that the run may not read (rendered-uris.ts). */
function checkRenderedUris(
  checker: Checker,
  layer: Layer,
  path: string,
  value: unknown,
  context: TemplateContext,
  sampleId: string | undefined,
): boolean {
  const violations = renderedUriViolations(value, path, {
    canRead: checker.canRead,
    canWrite: checker.canWrite,
    outputUri: context.launch?.outputUri,
    inputs: Object.values(context.sample?.inputs ?? context.qc?.inputs ?? {}),
  });
  const forSample = sampleId === undefined ? '' : ` (for sample "${sampleId}")`;
  for (const { jsonPath, uri, code, reason } of violations) {
    const why =
      code === 'MALFORMED_S3_URI'
        ? `: ${reason}`
        : ` is not under a prefix ${checker.ctx.prefixOwner ?? 'this deployment'} may read (${describePrefixes(checker.ctx.allowedReadPrefixes)})`;
    // A shared part (the defaults, a profile) is reported once, however many samples render it.
    if (layer.fromProfile === undefined) {
      checker.problems.once('rendered', jsonPath, code, `${uri}${forSample}${why}`);
    } else {
      const { name, reportAt } = layer.fromProfile;
      checker.problems.once(
        jsonPath,
        reportAt,
        code,
        `profile "${name}" ${jsonPath} renders ${uri}${forSample}${why}`,
      );
    }
  }
  return violations.length === 0;
}

// ---------------------------------------------------------------------------------------------
// S3 URIs.

function looksLikeS3(value: string): boolean {
  return value.length >= 3 && value.slice(0, 3).toLowerCase() === 's3:';
}

function describePrefixes(prefixes: readonly string[]): string {
  if (prefixes.length === 0) return 'none are configured';
  const shown = prefixes.slice(0, 5).join(', ');
  return prefixes.length > 5 ? `${shown}, … ${prefixes.length - 5} more` : shown;
}

function checkReadUri(
  checker: Checker,
  uri: string,
  path: string,
  isInput: boolean,
  subject = uri,
  onceKey?: string,
): boolean {
  const report = (code: ManifestProblemCode, message: string) =>
    onceKey === undefined
      ? checker.problems.add(path, code, message)
      : checker.problems.once(onceKey, path, code, message);
  const error = s3UriError(uri);
  if (error !== undefined) {
    report('MALFORMED_S3_URI', `${subject}: ${error}`);
    return false;
  }
  const location = parseS3Uri(uri);
  if (location === undefined) return false;
  if (isInput && location.key === '') {
    report('MALFORMED_S3_URI', `${subject}: an input must name an object, not a whole bucket`);
    return false;
  }
  if (!checker.canRead(location)) {
    report(
      'READ_PREFIX_NOT_ALLOWED',
      `${subject} is not under a prefix ${checker.ctx.prefixOwner ?? 'this deployment'} may read (${describePrefixes(checker.ctx.allowedReadPrefixes)})`,
    );
    return false;
  }
  return true;
}

function checkWriteUri(checker: Checker, uri: string, path: string, subject = uri): boolean {
  const error = s3UriError(uri);
  if (error !== undefined) {
    checker.problems.once(uri, path, 'MALFORMED_S3_URI', `${subject}: ${error}`);
    return false;
  }
  const location = parseS3Uri(uri);
  if (location === undefined || !checker.canWrite(location)) {
    checker.problems.once(
      uri,
      path,
      'WRITE_PREFIX_NOT_ALLOWED',
      `${subject} is not under a prefix ${checker.ctx.prefixOwner ?? 'this deployment'} may write (${describePrefixes(checker.ctx.allowedWritePrefixes)})`,
    );
    return false;
  }
  return true;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
