import type { BatchPriority } from '../teams/team.js';
import type { RunCacheRef, StorageType, WorkflowProfile, WorkflowRef } from '../workflow.js';

export const MANIFEST_FORMATS = ['seed', 'native-v1'] as const;
export type ManifestFormat = (typeof MANIFEST_FORMATS)[number];

/** One thing wrong with a manifest; `path` is a JSONPath into the uploaded document (`$.samples[2].id`). */
export interface ManifestProblem {
  path: string;
  code: ManifestProblemCode;
  message: string;
}

export type ManifestProblemCode =
  | 'NOT_JSON'
  | 'UNKNOWN_FORMAT'
  | 'SCHEMA'
  | 'DUPLICATE_SAMPLE_ID'
  | 'MALFORMED_S3_URI'
  | 'READ_PREFIX_NOT_ALLOWED'
  | 'WRITE_PREFIX_NOT_ALLOWED'
  | 'TOO_MANY_SAMPLES'
  | 'TOO_LARGE'
  | 'SAMPLE_TOO_LARGE'
  | 'UNKNOWN_TEMPLATE_FIELD'
  | 'UNKNOWN_PROFILE'
  | 'NO_WORKFLOW'
  | 'NO_OUTPUT_URI'
  /** An input object (or folder) S3 says is not there. */
  | 'INPUT_NOT_FOUND'
  /** An input S3 refuses to let gwm read (and so would refuse the run). */
  | 'INPUT_NOT_READABLE'
  /** Not a manifest check: a batch held over its budget that a person rejected. */
  | 'OVER_BUDGET'
  /** Uploaded under teams/<name>/ with no such team. */
  | 'TEAM_UNKNOWN'
  /** Uploaded outside every team's prefix, and the deployment has no default team. */
  | 'TEAM_REQUIRED'
  /** The manifest names a team (or a run group) other than the one it was uploaded under. */
  | 'TEAM_MISMATCH';

export type QcPolicy =
  | { kind: 'all-succeeded' }
  | { kind: 'any-completed' }
  | { kind: 'min-succeeded-fraction'; fraction: number };

export interface RunSettings {
  workflow: WorkflowRef;
  /** Name of the profile the run was built from, when one was used. */
  profile?: string;
  outputUri: string;
  storageType: StorageType;
  storageCapacity?: number;
  runGroupId?: string;
  /** The HealthOmics run cache the run uses (StartRun cacheId, cacheBehavior). */
  cache?: RunCacheRef;
  priority?: number;
  tags: Record<string, string>;
}

/** A sample's run, fully resolved: parameters are rendered and every URI was checked. */
export interface SampleLaunchSpec extends RunSettings {
  sampleId: string;
  inputs: Record<string, string>;
  parameters: Record<string, unknown>;
}

/**
 * The QC run. Its parameters may name `batch.sampleOutputUris`, which is only known when the
 * samples have finished, so they stay a template here and are rendered by the completion path.
 */
export interface QcLaunchSpec extends RunSettings {
  inputs: Record<string, string>;
  parameterTemplate: Record<string, unknown>;
  policy: QcPolicy;
  rerunOnRetry: boolean;
}

export interface NotificationSettings {
  onBatchCompleted: boolean;
  onLaunchFailed: boolean;
  onRejected: boolean;
}

/** Where an input URI is named in the manifest: the sample's (or QC's) `inputs` entry. */
export interface InputLocation {
  uri: string;
  /** JSONPath into the uploaded document (`$.samples[2].inputs.fastq1`). */
  path: string;
}

export interface BatchPlan {
  format: ManifestFormat;
  name: string;
  team?: string;
  submitter?: string;
  /** The batch's place in its team's queue (manifest `batch.priority`). */
  priority?: BatchPriority;
  samples: SampleLaunchSpec[];
  qc?: QcLaunchSpec;
  notifications: NotificationSettings;
  /** The manifest's `budget.maxUsd`: the most the batch may be predicted to cost before it is held. */
  budgetMaxUsd?: number;
  /** The manifest's `restore.tier` for archived inputs (else the deployment's). */
  restoreTier?: 'Expedited' | 'Standard' | 'Bulk';
  /** Every input of every sample and of the QC step, where it is named: what intake checks in S3. */
  inputLocations: InputLocation[];
}

export interface ManifestLimits {
  maxSamples: number;
  maxBytes: number;
}

export const DEFAULT_MANIFEST_LIMITS: ManifestLimits = { maxSamples: 10_000, maxBytes: 10 * 1024 * 1024 };

export interface ManifestContext {
  limits: ManifestLimits;
  /** s3://bucket/prefix/ URIs every input must fall under. */
  allowedReadPrefixes: readonly string[];
  /** s3://bucket/prefix/ URIs every output URI must fall under. */
  allowedWritePrefixes: readonly string[];
  /** Whose prefixes these are, in problem messages ("team lab-a"); default "this deployment". */
  prefixOwner?: string;
  /** Known workflow profiles by name. */
  profiles: ReadonlyMap<string, WorkflowProfile>;
  /** Batch identity, used for template fields and as the name when the manifest has none. */
  batch: { id: string; defaultName: string };
}

export type ManifestResult =
  | { ok: true; plan: BatchPlan }
  | {
      ok: false;
      format?: ManifestFormat;
      name?: string;
      /** The notification settings as far as they could be read (defaults where they could not). */
      notifications?: NotificationSettings;
      problems: ManifestProblem[];
    };
