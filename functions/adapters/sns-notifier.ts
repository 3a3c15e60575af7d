import {
  type MessageAttributeValue,
  PublishCommand,
  type PublishCommandInput,
  type SNSClient,
} from '@aws-sdk/client-sns';
import { type Notice, type Notifier, renderNotice } from '../../domain/notifications.js';
import { delivered } from './notification-delivery.js';

export interface SnsNotifierOptions {
  client: SNSClient;
  topicArn: string;
}

/**
 * Publishes the readable message (e-mail subscribers see Subject and Message as they are). The
 * `kind`, `batchId`, `team` and, for completed batches, `outcome` attributes let subscribers
 * filter (an SNS filter policy on `team` for a team's own notices, on `kind` to hear only about
 * rejected manifests).
 */
export function makeSnsNotifier(options: SnsNotifierOptions): Notifier {
  const { client, topicArn } = options;
  return {
    async send(notice: Notice): Promise<void> {
      await delivered(
        () => client.send(new PublishCommand(snsPublishInput(notice, topicArn))),
        `SNS Publish to ${topicArn} failed for ${notice.kind} of batch ${notice.batchId}`,
      );
    },
  };
}

/** The Publish request for a notice: what the topic's subscribers receive. */
export function snsPublishInput(notice: Notice, topicArn: string): PublishCommandInput {
  const { subject, text } = renderNotice(notice);
  const attributes: Record<string, MessageAttributeValue> = {
    kind: { DataType: 'String', StringValue: notice.kind },
    batchId: { DataType: 'String', StringValue: notice.batchId },
  };
  if (notice.team !== undefined) attributes.team = { DataType: 'String', StringValue: notice.team };
  if (notice.kind === 'batch-completed') {
    attributes.outcome = { DataType: 'String', StringValue: notice.outcome };
  }
  return { TopicArn: topicArn, Subject: subject, Message: text, MessageAttributes: attributes };
}
