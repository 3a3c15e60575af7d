import type * as z from 'zod';
import {
  type BatchCompletedDetailV1,
  batchCompletedDetail,
  batchCompletedDetailV1,
} from './batch-completed.js';
import { type BatchHeldDetailV1, batchHeldDetail, batchHeldDetailV1 } from './batch-held.js';
import { type LaunchFailedDetailV1, launchFailedDetail, launchFailedDetailV1 } from './launch-failed.js';
import {
  type ManifestRejectedDetailV1,
  manifestRejectedDetail,
  manifestRejectedDetailV1,
} from './manifest-rejected.js';
import type { Notice } from './notice.js';

// EventBridge events

export const GWM_EVENT_SOURCE = 'gwm';

export const DETAIL_TYPES = {
  'batch-completed': 'Batch Completed',
  'launch-failed': 'Launch Failed',
  'manifest-rejected': 'Manifest Rejected',
  'batch-held': 'Batch Held',
} as const satisfies Record<Notice['kind'], string>;

export type DetailType = (typeof DETAIL_TYPES)[Notice['kind']];

/**
 * PutEvents refuses entries over 256 KB (262,144 bytes, counting source, detail-type, detail and
 * resources). The detail is kept under this, which leaves room for the rest of the entry.
 */
export const MAX_EVENT_DETAIL_BYTES = 250_000;

/** The schema of each event's detail, by detail-type: for consumers and tests. */
export const EVENT_DETAIL_SCHEMAS = {
  'Batch Completed': batchCompletedDetailV1,
  'Launch Failed': launchFailedDetailV1,
  'Manifest Rejected': manifestRejectedDetailV1,
  'Batch Held': batchHeldDetailV1,
} as const satisfies Record<DetailType, z.ZodType>;

export type EventDetail =
  | { detailType: 'Batch Completed'; detail: BatchCompletedDetailV1 }
  | { detailType: 'Launch Failed'; detail: LaunchFailedDetailV1 }
  | { detailType: 'Manifest Rejected'; detail: ManifestRejectedDetailV1 }
  | { detailType: 'Batch Held'; detail: BatchHeldDetailV1 };

/**
 * The EventBridge detail of a notice. Its JSON stays under `maxBytes` (UTF-8): free text is
 * clipped, then log excerpts are left out from the last failure backwards, then failures (or
 * problems) from the end; the detail says how many were left out.
 */
export function toEventDetail(notice: Notice, options: { maxBytes?: number } = {}): EventDetail {
  const maxBytes = options.maxBytes ?? MAX_EVENT_DETAIL_BYTES;
  switch (notice.kind) {
    case 'batch-completed':
      return { detailType: DETAIL_TYPES[notice.kind], detail: batchCompletedDetail(notice, maxBytes) };
    case 'launch-failed':
      return {
        detailType: DETAIL_TYPES[notice.kind],
        detail: launchFailedDetail(notice),
      };
    case 'manifest-rejected':
      return { detailType: DETAIL_TYPES[notice.kind], detail: manifestRejectedDetail(notice, maxBytes) };
    case 'batch-held':
      return { detailType: DETAIL_TYPES[notice.kind], detail: batchHeldDetail(notice) };
  }
}
