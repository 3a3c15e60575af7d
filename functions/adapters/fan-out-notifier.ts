import { errorMessage } from '../../domain/errors.js';
import type { Notice, Notifier } from '../../domain/notifications.js';

/**
 * Sends each notice to every notifier, at the same time. One channel failing does not keep the
 * others from being tried; the failures are then thrown together so the caller can retry. A retry
 * sends again on the channels that had succeeded: subscribers may see a notice twice, never zero times.
 */
export function makeFanOutNotifier(notifiers: readonly Notifier[]): Notifier {
  return {
    async send(notice: Notice): Promise<void> {
      const results = await Promise.allSettled(notifiers.map((notifier) => notifier.send(notice)));
      const errors = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
      if (errors.length > 0) {
        const reasons = errors.map(errorMessage);
        throw new AggregateError(
          errors,
          `${errors.length} of ${notifiers.length} notifiers failed for ${notice.kind} of batch ${notice.batchId}: ${reasons.join('; ')}`,
        );
      }
    },
  };
}
