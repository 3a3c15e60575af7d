import type { ScheduledEvent } from 'aws-lambda';

/** True for the tick an EventBridge schedule sends (`aws.events`, `Scheduled Event`). */
export function isScheduledEvent(event: unknown): event is ScheduledEvent {
  if (typeof event !== 'object' || event === null) return false;
  const fields = event as Record<string, unknown>;
  return fields.source === 'aws.events' && fields['detail-type'] === 'Scheduled Event';
}

/**
 * A function's handler that also runs its scheduled sweep: the schedule's ticks go to the sweep,
 * every other event to the handler.
 */
export function withScheduledSweep<E, A extends unknown[], R, S>(
  handler: (event: E, ...rest: A) => Promise<R>,
  sweep: (event: ScheduledEvent) => Promise<S>,
): (event: E | ScheduledEvent, ...rest: A) => Promise<R | S> {
  return (event, ...rest) => (isScheduledEvent(event) ? sweep(event) : handler(event as E, ...rest));
}
