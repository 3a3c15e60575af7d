// The shape both manifest formats are read into before resolution: each run's fields, which of them
// failed the schema, and where each sits in the uploaded document (so problems point at the lab's own text).

import type * as z from 'zod';
import { isRecord } from '../is-record.js';
import type { S3Location } from '../s3-uri.js';
import type { BatchPriority } from '../teams/team.js';
import type { RunCacheRef, StorageType, WorkflowRef } from '../workflow.js';
import { issuesToProblems, REPORT_INPUT } from './native-schema.js';
import type { Layer } from './parameter-layers.js';
import type { ProblemList } from './problem-list.js';
import type { BatchPlan, ManifestContext, ManifestFormat, NotificationSettings } from './types.js';

export type PathOf = (...segments: (string | number)[]) => string;

export interface RunFields {
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

export interface SampleDraft extends RunFields {
  index: number;
  id?: string;
  inputs?: Record<string, string>;
}

export interface QcDraft extends RunFields {
  inputs?: Record<string, string>;
  policy?: 'all-succeeded' | 'any-completed' | 'min-succeeded-fraction';
  minSucceededFraction?: number;
  rerunOnRetry?: boolean;
}

export interface ManifestDraft {
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

/** Reads one upload format into a draft, adding what is wrong with the document to `problems`. */
export type ManifestReader = (
  document: Record<string, unknown>,
  ctx: ManifestContext,
  problems: ProblemList,
) => ManifestDraft;

export const DEFAULT_NOTIFICATIONS: NotificationSettings = {
  onBatchCompleted: true,
  onLaunchFailed: false,
  onRejected: true,
};

export const NOTHING_BROKEN: ReadonlySet<string> = new Set();

export const WHOLE = '*';

export interface Part<T> {
  value: Partial<T>;
  broken: ReadonlySet<string>;
}

/**
 * Validates one part of the document and keeps its valid fields even when others are wrong,
 * so that the checks that do not depend on a wrong field still run.
 */
export function readPart<S extends z.ZodObject>(
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

export function isBroken(part: RunFields, ...fields: string[]): boolean {
  return part.broken.size > 0 && (part.broken.has(WHOLE) || fields.some((field) => part.broken.has(field)));
}

/**
 * Checks the document's top-level fields against `envelope` and returns the entries of its list of
 * samples (`samplesField`), reporting a list longer than the limit.
 */
export function readSampleList(
  envelope: z.ZodType,
  document: Record<string, unknown>,
  samplesField: string,
  ctx: ManifestContext,
  problems: ProblemList,
): unknown[] {
  const parsed = envelope.safeParse(document, REPORT_INPUT);
  if (!parsed.success) problems.addAll(issuesToProblems(parsed.error.issues, '$'));
  const listed = document[samplesField];
  const samples: unknown[] = Array.isArray(listed) ? listed : [];
  if (samples.length > ctx.limits.maxSamples) {
    problems.add(
      `$.${samplesField}`,
      'TOO_MANY_SAMPLES',
      `${samples.length} samples; a manifest may have at most ${ctx.limits.maxSamples}`,
    );
  }
  return samples;
}

export interface Checker {
  ctx: ManifestContext;
  problems: ProblemList;
  canRead: (location: S3Location) => boolean;
  canWrite: (location: S3Location) => boolean;
  batchContext: { id: string; name: string };
  profileChecks: Map<string, boolean>;
  profileLayers: Map<string, [Layer, Layer]>;
  defaultOutputOk: boolean;
}
