// Resolves a manifest draft into a BatchPlan: each sample's and the QC step's workflow, output URI,
// run settings, tags and parameters, with the checks that need more than one field.

import { makePrefixMatcher } from '../s3-uri.js';
import type { WorkflowProfile, WorkflowRef } from '../workflow.js';
import {
  type Checker,
  isBroken,
  type ManifestDraft,
  type QcDraft,
  type RunFields,
  type SampleDraft,
} from './draft.js';
import { MAX_USER_TAGS } from './native-schema.js';
import {
  allPassed,
  inputLayer,
  type Layer,
  manifestLayer,
  profileLayers,
  renderLayers,
} from './parameter-layers.js';
import type { ProblemList } from './problem-list.js';
import { checkTemplateFields, type TemplateContext, type TemplateKind } from './template.js';
import type { BatchPlan, ManifestContext, QcLaunchSpec, QcPolicy, SampleLaunchSpec } from './types.js';
import { checkReadUri, checkWriteUri } from './uri-policy.js';

export function buildPlan(
  draft: ManifestDraft,
  ctx: ManifestContext,
  problems: ProblemList,
): BatchPlan | undefined {
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
    const resolved = resolveSample(checker, draft, defaultLayer, sample);
    if (resolved.missingWorkflow) missingWorkflow.push(sample);
    if (resolved.missingOutput) missingOutput.push(sample);
    if (resolved.ok) samples.push(resolved.value);
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

/**
 * A sample's launch, or why there is none: its problems are reported as it is resolved. A sample
 * without a workflow or an output URI says so, for one problem to cover all such samples.
 */
type SampleResolution = ({ ok: true; value: SampleLaunchSpec } | { ok: false }) & {
  missingWorkflow: boolean;
  missingOutput: boolean;
};

function resolveSample(
  checker: Checker,
  draft: ManifestDraft,
  defaultLayer: Layer,
  sample: SampleDraft,
): SampleResolution {
  const { defaults } = draft;
  // Each check runs, in this order, whatever the ones before found: every problem is reported.
  const inputChecks = Object.entries(sample.inputs ?? {}).map(([name, uri]) =>
    checkReadUri(checker, uri, sample.at('inputs', name), { as: 'input' }),
  );
  const sampleLayer = manifestLayer(checker, sample.parameters, sample.at('parameters'), 'sample');
  const choice = chooseWorkflow(checker, sample, defaults);
  const workflowOk =
    choice.kind === 'profile' ? checkProfile(checker, choice, 'sample') : choice.kind === 'workflow';
  const output = resolveOutputUri(checker, sample, defaults, choice);
  const tags = mergeTags(checker, defaults, sample);
  const missing = { missingWorkflow: choice.kind === 'none', missingOutput: output === 'missing' };
  const ok =
    sample.broken.size === 0 &&
    allPassed(inputChecks) &&
    sampleLayer.ok &&
    defaultLayer.ok &&
    workflowOk &&
    typeof output === 'object' &&
    output.ok &&
    tags !== undefined;

  if (sample.id === undefined || sample.inputs === undefined || isBroken(sample, 'parameters')) {
    return { ok: false, ...missing };
  }
  if (choice.kind !== 'profile' && choice.kind !== 'workflow') return { ok: false, ...missing };
  const context: TemplateContext = {
    sample: { id: sample.id, inputs: sample.inputs },
    batch: checker.batchContext,
    ...(typeof output === 'object' && { launch: { outputUri: output.uri } }),
  };
  const layers =
    choice.kind === 'profile'
      ? [...profileLayers(checker, choice), defaultLayer, sampleLayer]
      : [defaultLayer, inputLayer(sample.inputs), sampleLayer];
  const parameters = renderLayers(checker, layers, context, {
    inputPath: (name) => sample.at('inputs', name),
    sampleId: sample.id,
  });
  if (parameters === undefined || !ok || typeof output !== 'object' || tags === undefined) {
    return { ok: false, ...missing };
  }
  return {
    ok: true,
    value: {
      sampleId: sample.id,
      inputs: sample.inputs,
      parameters,
      ...runSettings(sample, defaults, choice, output.uri, tags),
    },
    ...missing,
  };
}

function resolveQc(checker: Checker, draft: ManifestDraft, qc: QcDraft): QcLaunchSpec | undefined {
  const inputs = qc.inputs ?? {};
  // Each check runs, in this order, whatever the ones before found: every problem is reported.
  const inputChecks = Object.entries(inputs).map(([name, uri]) =>
    checkReadUri(checker, uri, qc.at('inputs', name), { as: 'input' }),
  );
  const qcLayer = manifestLayer(checker, qc.parameters, qc.at('parameters'), 'qc');
  const choice = chooseWorkflow(checker, qc, undefined);
  if (choice.kind === 'none') {
    checker.problems.add(qc.at(), 'NO_WORKFLOW', 'the QC step has no profile or workflow');
  }
  const profileOk = choice.kind === 'profile' ? checkProfile(checker, choice, 'qc') : true;

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
  const ok =
    qc.broken.size === 0 &&
    allPassed(inputChecks) &&
    qcLayer.ok &&
    profileOk &&
    typeof output === 'object' &&
    output.ok &&
    tags !== undefined &&
    policy !== undefined;
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
  const parameterTemplate = renderLayers(checker, layers, context, {
    inputPath: (name) => qc.at('inputs', name),
    partial: true,
  });
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
