import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import {
  GWM_EVENT_SOURCE,
  type Notice,
  NotificationDeliveryError,
  type Notifier,
  toEventDetail,
} from '../../domain/notifications.js';
import { delivered } from './notification-delivery.js';

export interface EventBridgeNotifierOptions {
  client: EventBridgeClient;
  /** Name or ARN of the custom bus. */
  eventBusName: string;
}

/** Puts one `gwm` event per notice on the bus; the detail schemas are in domain/notifications.ts. */
export function makeEventBridgeNotifier(options: EventBridgeNotifierOptions): Notifier {
  const { client, eventBusName } = options;
  return {
    async send(notice: Notice): Promise<void> {
      const entry = eventBridgeEntry(notice, eventBusName);
      const what = `${entry.DetailType} event of batch ${notice.batchId} on bus ${eventBusName}`;
      const response = await delivered(
        () => client.send(new PutEventsCommand({ Entries: [entry] })),
        `PutEvents failed for the ${what}`,
      );
      // PutEvents answers 200 even when it refused the entry: the refusal is only in the body.
      if ((response.FailedEntryCount ?? 0) > 0) {
        const refused =
          response.Entries?.find((result) => result.ErrorCode !== undefined) ?? response.Entries?.[0];
        throw new NotificationDeliveryError(
          `PutEvents refused the ${what}: ${refused?.ErrorCode ?? 'unknown error'}: ${refused?.ErrorMessage ?? 'no message'}`,
        );
      }
    },
  };
}

/** The PutEvents entry for a notice: source `gwm`, its detail-type, the versioned detail as JSON. */
export function eventBridgeEntry(notice: Notice, eventBusName: string): PutEventsRequestEntry {
  const { detailType, detail } = toEventDetail(notice);
  return {
    EventBusName: eventBusName,
    Source: GWM_EVENT_SOURCE,
    DetailType: detailType,
    Detail: JSON.stringify(detail),
    Resources: [],
  };
}
