import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import {
  type Notice,
  NotificationDeliveryError,
  type Notifier,
  renderNotice,
} from '../../domain/notifications.js';

export interface SnsNotifierOptions {
  client: SNSClient;
  topicArn: string;
}

/**
 * Publishes the readable message (e-mail subscribers see Subject and Message as they are). The
 * `kind`, `batchId` and, for completed batches, `outcome` attributes let subscribers filter
 * (an SNS filter policy on `kind` to hear only about rejected manifests, for example).
 */
export function makeSnsNotifier(options: SnsNotifierOptions): Notifier {
  const { client, topicArn } = options;
  return {
    async send(notice: Notice): Promise<void> {
      const { subject, text } = renderNotice(notice);
      const attributes: Record<string, MessageAttributeValue> = {
        kind: { DataType: 'String', StringValue: notice.kind },
        batchId: { DataType: 'String', StringValue: notice.batchId },
      };
      if (notice.kind === 'batch-completed') {
        attributes.outcome = { DataType: 'String', StringValue: notice.outcome };
      }
      try {
        await client.send(
          new PublishCommand({
            TopicArn: topicArn,
            Subject: subject,
            Message: text,
            MessageAttributes: attributes,
          }),
        );
      } catch (error) {
        throw new NotificationDeliveryError(
          `SNS Publish to ${topicArn} failed for ${notice.kind} of batch ${notice.batchId}: ${describe(error)}`,
          { cause: error },
        );
      }
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
