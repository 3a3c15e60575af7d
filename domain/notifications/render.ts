import { renderBatchCompleted } from './batch-completed.js';
import { renderBatchHeld } from './batch-held.js';
import { renderLaunchFailed } from './launch-failed.js';
import { renderManifestRejected } from './manifest-rejected.js';
import type { Notice, RenderedNotice } from './notice.js';

// Plain-text messages (SNS, e-mail)

/**
 * SNS refuses messages over 256 KB (262,144 bytes); the default stays under it with room for the
 * message attributes.
 */
export const MAX_MESSAGE_BYTES = 250_000;

export interface RenderOptions {
  /** Largest UTF-8 size of `text`; default {@link MAX_MESSAGE_BYTES}. */
  maxBytes?: number;
}

/**
 * A readable message for people. When the full text would be too large, log lines are left
 * out first (from the last listed sample backwards), then samples or problems from the end, and
 * the message says how many were not listed.
 */
export function renderNotice(notice: Notice, options: RenderOptions = {}): RenderedNotice {
  const maxBytes = options.maxBytes ?? MAX_MESSAGE_BYTES;
  switch (notice.kind) {
    case 'batch-completed':
      return renderBatchCompleted(notice, maxBytes);
    case 'launch-failed':
      return renderLaunchFailed(notice, maxBytes);
    case 'manifest-rejected':
      return renderManifestRejected(notice, maxBytes);
    case 'batch-held':
      return renderBatchHeld(notice);
  }
}
