import {
  DEFAULT_MANIFEST_LIMITS,
  type ManifestContext,
  type ManifestResult,
  parseManifest,
} from '../../domain/manifest/index.js';
import type { WorkflowProfile, WorkflowRef } from '../../domain/workflow.js';

/** The parameter template of a fastq-stats profile: the sample's two FASTQs and its name. */
export const FASTQ_STATS_TEMPLATE: Record<string, string> = {
  reads1: '{{sample.fastq1}}',
  reads2: '{{sample.fastq2}}',
  sample_name: '{{sample.id}}',
};

/**
 * What the intake gives parseManifest for batch batch-0001 uploaded as upload-name: the default
 * limits and `profiles` by name; the prefixes it may read and write (and any other setting) from
 * `settings`.
 */
export function aManifestContext(
  profiles: WorkflowProfile[],
  settings: Pick<ManifestContext, 'allowedReadPrefixes' | 'allowedWritePrefixes'> & Partial<ManifestContext>,
): ManifestContext {
  return {
    limits: DEFAULT_MANIFEST_LIMITS,
    profiles: new Map(profiles.map((profile) => [profile.name, profile])),
    batch: { id: 'batch-0001', defaultName: 'upload-name' },
    ...settings,
  };
}

/** parseManifest on `document` (JSON-encoded unless it is text already), of the size S3 would report. */
export function parseDocument(document: unknown, context: ManifestContext): ManifestResult {
  const text = typeof document === 'string' ? document : JSON.stringify(document);
  return parseManifest({ text, sizeBytes: Buffer.byteLength(text) }, context);
}

/**
 * Profile `name` of a private workflow (`workflow` gives its id, and version where it has one): no
 * parameter template and no defaults unless `fields` give them.
 */
export function aProfile(
  name: string,
  workflow: Omit<WorkflowRef, 'type'> & Partial<Pick<WorkflowRef, 'type'>>,
  fields: Partial<Pick<WorkflowProfile, 'parameterTemplate' | 'defaults' | 'description'>> = {},
): WorkflowProfile {
  return { name, workflow: { type: 'PRIVATE', ...workflow }, parameterTemplate: {}, defaults: {}, ...fields };
}
