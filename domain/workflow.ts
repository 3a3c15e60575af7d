/** How HealthOmics identifies a workflow to run. */
export type WorkflowType = 'PRIVATE' | 'READY2RUN';
export type StorageType = 'STATIC' | 'DYNAMIC';

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
