/**
 * What gwm tells people: the notices, their EventBridge details and their plain-text messages.
 * The parts live in ./notifications/ (one module per notice kind, and the shared bounds); this
 * module is their public face.
 */
export {
  type BatchCompletedDetailV1,
  batchCompletedDetailV1,
  qcOutcomeDetailV1,
} from './notifications/batch-completed.js';
export {
  type BatchCostDetailV1,
  batchCostDetailV1,
  MOST_EXPENSIVE_LISTED,
  noticeCost,
} from './notifications/batch-cost.js';
export {
  type BatchHeldDetailV1,
  type BatchHeldNotice,
  batchHeldDetailV1,
  batchHeldNotice,
} from './notifications/batch-held.js';
export { type SampleOutcomeDetailV1, sampleOutcomeDetailV1 } from './notifications/detail-fields.js';
export {
  DETAIL_TYPES,
  type DetailType,
  EVENT_DETAIL_SCHEMAS,
  type EventDetail,
  GWM_EVENT_SOURCE,
  MAX_EVENT_DETAIL_BYTES,
  toEventDetail,
} from './notifications/event-detail.js';
export { fitPrefix } from './notifications/fit.js';
export { type LaunchFailedDetailV1, launchFailedDetailV1 } from './notifications/launch-failed.js';
export {
  type ManifestRejectedDetailV1,
  manifestProblemDetailV1,
  manifestRejectedDetailV1,
} from './notifications/manifest-rejected.js';
export {
  type BatchCompletedNotice,
  type BatchOutcome,
  type LaunchFailedNotice,
  type ManifestRejectedNotice,
  type Notice,
  type NoticeBatch,
  type NoticeCost,
  NotificationDeliveryError,
  type Notifier,
  noticeBatch,
  type QcOutcome,
  type RenderedNotice,
  type SampleCostOutcome,
  type SampleOutcome,
  WAITED_LISTED,
  type WaitedForInputs,
} from './notifications/notice.js';
export { MAX_MESSAGE_BYTES, type RenderOptions, renderNotice } from './notifications/render.js';
export { formatDuration, MAX_SUBJECT_CHARS } from './notifications/text.js';
export { utf8Length } from './text.js';
