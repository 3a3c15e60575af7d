// Reads a seed-format upload (flowcellSamples, qcWorkflow) into the same draft as the native format,
// mapping its field names and pointing problems at the seed's own fields.

import type { WorkflowProfile } from '../workflow.js';
import {
  DEFAULT_NOTIFICATIONS,
  type ManifestReader,
  NOTHING_BROKEN,
  type PathOf,
  type QcDraft,
  type RunFields,
  readPart,
  readSampleList,
  type SampleDraft,
} from './draft.js';
import { SEED_INPUT_NAME, seedEnvelopeSchema, seedQcSchema, seedSampleSchema } from './seed-schema.js';
import { childPath } from './template.js';

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

export const readSeed: ManifestReader = (document, ctx, problems) => {
  const rawSamples = readSampleList(seedEnvelopeSchema, document, 'flowcellSamples', ctx, problems);
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
};

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
