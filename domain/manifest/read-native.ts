// Reads a native `gwm.manifest/v1` upload into a draft, keeping every valid field and reporting
// each schema problem at its JSONPath.

import type * as z from 'zod';
import {
  DEFAULT_NOTIFICATIONS,
  type ManifestReader,
  type PathOf,
  type QcDraft,
  readPart,
  readSampleList,
  type SampleDraft,
} from './draft.js';
import {
  batchInfoSchema,
  budgetSchema,
  manifestDefaultsSchema,
  manifestSampleSchema,
  nativeEnvelopeSchema,
  notificationsSchema,
  qcSchema,
  restoreSchema,
} from './native-schema.js';
import { jsonPathOf } from './template.js';

function nativePathOf(base: string): PathOf {
  return (...segments) => jsonPathOf(segments, base);
}

export const readNative: ManifestReader = (document, ctx, problems) => {
  const rawSamples = readSampleList(nativeEnvelopeSchema, document, 'samples', ctx, problems);
  /** A top-level object that may be left out: read as an empty one. */
  const readSection = <S extends z.ZodObject>(schema: S, field: string) =>
    readPart(schema, document[field] === undefined ? {} : document[field], `$.${field}`, problems);

  const batch = readSection(batchInfoSchema, 'batch').value;
  const defaults = readSection(manifestDefaultsSchema, 'defaults');
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
  const notifications = readSection(notificationsSchema, 'notifications').value;
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
};
