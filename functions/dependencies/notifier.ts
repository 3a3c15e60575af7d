import { Logger } from '@aws-lambda-powertools/logger';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SNSClient } from '@aws-sdk/client-sns';
import { type Notifier, renderNotice } from '../../domain/notifications.js';
import { makeEventBridgeNotifier } from '../adapters/eventbridge-notifier.js';
import { makeFanOutNotifier } from '../adapters/fan-out-notifier.js';
import { makeSnsNotifier } from '../adapters/sns-notifier.js';
import type { Base } from './base.js';

/** SNS and/or EventBridge as configured; with neither, notices are written to the log. */
export function notifierOf(base: Base): Notifier {
  return base.share(notifierOf, () => base.overrides.notifier ?? makeConfiguredNotifier(base));
}

function makeConfiguredNotifier({ config, region }: Base): Notifier {
  const notifiers: Notifier[] = [];
  if (config.NOTIFY_TOPIC_ARN) {
    notifiers.push(
      makeSnsNotifier({
        client: new SNSClient({ region, endpoint: config.SNS_ENDPOINT }),
        topicArn: config.NOTIFY_TOPIC_ARN,
      }),
    );
  }
  if (config.NOTIFY_EVENT_BUS_NAME) {
    notifiers.push(
      makeEventBridgeNotifier({
        client: new EventBridgeClient({ region, endpoint: config.EVENTS_ENDPOINT }),
        eventBusName: config.NOTIFY_EVENT_BUS_NAME,
      }),
    );
  }
  if (notifiers.length === 0) return makeLogNotifier();
  return notifiers.length === 1 && notifiers[0] ? notifiers[0] : makeFanOutNotifier(notifiers);
}

function makeLogNotifier(): Notifier {
  const logger = new Logger({ serviceName: 'gwm-notifications' });
  return {
    async send(notice) {
      const { subject, text } = renderNotice(notice);
      logger.info('notification (no SNS topic or event bus configured)', {
        kind: notice.kind,
        subject,
        text,
      });
    },
  };
}
