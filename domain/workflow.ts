/** How HealthOmics identifies a workflow to run. */
export const WORKFLOW_TYPES = ['PRIVATE', 'READY2RUN'] as const;
export type WorkflowType = (typeof WORKFLOW_TYPES)[number];
export const STORAGE_TYPES = ['STATIC', 'DYNAMIC'] as const;
export type StorageType = (typeof STORAGE_TYPES)[number];

/** What HealthOmics keeps in a run cache: completed tasks of failed runs, or of every run. */
export const CACHE_BEHAVIORS = ['CACHE_ON_FAILURE', 'CACHE_ALWAYS'] as const;
export type CacheBehavior = (typeof CACHE_BEHAVIORS)[number];

/**
 * A HealthOmics run cache a run uses (StartRun `cacheId`, `cacheBehavior`): a task that an earlier
 * run with this cache completed with the same inputs is taken from it instead of being run again.
 * Without `behavior` the cache's own default applies (HealthOmics: CACHE_ON_FAILURE).
 */
export interface RunCacheRef {
  /** The run cache's id: digits, as HealthOmics gives them. */
  id: string;
  behavior?: CacheBehavior;
}

export interface WorkflowRef {
  /** Numeric workflow id (the last segment of a workflow ARN). */
  id: string;
  type: WorkflowType;
  version?: string;
}

/** Run settings that a profile or a manifest's defaults may set. */
export interface RunDefaults {
  storageType?: StorageType;
  /** GiB; only meaningful for STATIC storage. */
  storageCapacity?: number;
  runGroupId?: string;
  cache?: RunCacheRef;
  priority?: number;
  outputUri?: string;
  parameters?: Record<string, unknown>;
}

/**
 * A named workflow: which engine workflow to run and how manifest fields map onto that
 * workflow's own parameter names. String values of `parameterTemplate` may hold `{{path}}`
 * references (see domain/manifest/template.ts for the fields a template may name).
 */
export interface WorkflowProfile {
  name: string;
  description?: string;
  workflow: WorkflowRef;
  parameterTemplate: Record<string, unknown>;
  defaults: RunDefaults;
}
