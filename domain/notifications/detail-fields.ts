import * as z from 'zod';
import { LAUNCH_STATUSES } from '../launch.js';
import { clip, clipStart } from '../text.js';
import type { SampleOutcome } from './notice.js';
import { nonNegativeInt } from './text.js';

// Bounds on every free-text field, so that what cannot be cut by dropping list items (the batch
// name, a reason) can never push an event over the limit on its own.
export const MAX_ID_CHARS = 512;
export const MAX_TEXT_CHARS = 2048;
const MAX_EXCERPT_CHARS = 4096;
const EXCERPT_LINES_IN_DETAIL = 20;

export const id = z.string().max(MAX_ID_CHARS);
export const text = z.string().max(MAX_TEXT_CHARS);
export const count = z.number().int().nonnegative();

export const sampleOutcomeDetailV1 = z.object({
  sampleId: id,
  launchId: id,
  status: z.enum(LAUNCH_STATUSES),
  attempt: count,
  runId: id.optional(),
  failureReason: text.optional(),
  logLocation: text.optional(),
  /** The end of the run's log; `logExcerptTruncated` when earlier lines were left out. */
  logExcerpt: z.string().max(MAX_EXCERPT_CHARS).optional(),
  logExcerptTruncated: z.boolean().optional(),
  runOutputUri: text.optional(),
});

export type SampleOutcomeDetailV1 = z.infer<typeof sampleOutcomeDetailV1>;

export function sampleDetail(sample: SampleOutcome, withExcerpt: boolean): SampleOutcomeDetailV1 {
  const detail: SampleOutcomeDetailV1 = {
    sampleId: clip(sample.sampleId, MAX_ID_CHARS),
    launchId: clip(sample.launchId, MAX_ID_CHARS),
    status: sample.status,
    attempt: nonNegativeInt(sample.attempt),
    ...optionalId('runId', sample.runId),
    ...optionalText('failureReason', sample.failureReason),
    ...optionalText('logLocation', sample.logLocation),
    ...optionalText('runOutputUri', sample.runOutputUri),
  };
  if (withExcerpt && sample.logExcerpt) {
    const lines = sample.logExcerpt.split('\n');
    const tail = lines.slice(-EXCERPT_LINES_IN_DETAIL).join('\n');
    const excerpt = clipStart(tail, MAX_EXCERPT_CHARS);
    detail.logExcerpt = excerpt;
    if (lines.length > EXCERPT_LINES_IN_DETAIL || excerpt !== tail) detail.logExcerptTruncated = true;
  }
  return detail;
}

export function optionalText<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined ? {} : ({ [key]: clip(value, MAX_TEXT_CHARS) } as { [P in K]?: string });
}

export function optionalId<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return value === undefined ? {} : ({ [key]: clip(value, MAX_ID_CHARS) } as { [P in K]?: string });
}
