// Reads a native `gwm.manifest/v1` upload into a draft, keeping every valid field and reporting
// each schema problem at its JSONPath.

import {
  checkSampleCount,
  DEFAULT_NOTIFICATIONS,
  type ManifestDraft,
  type PathOf,
  type QcDraft,
  readPart,
  type SampleDraft,
} from './draft.js';
import {
  batchInfoSchema,
  budgetSchema,
  issuesToProblems,
  manifestDefaultsSchema,
  manifestSampleSchema,
  nativeEnvelopeSchema,
  notificationsSchema,
  qcSchema,
  REPORT_INPUT,
  restoreSchema,
} from './native-schema.js';
import type { ProblemList } from './problem-list.js';
import { jsonPathOf } from './template.js';
import type { ManifestContext } from './types.js';

function nativePathOf(base: string): PathOf {
  return (...segments) => jsonPathOf(segments, base);
}

export function readNative(
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
