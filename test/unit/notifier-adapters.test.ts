import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import {
  batchCompletedDetailV1,
  type Notice,
  NotificationDeliveryError,
  type Notifier,
  renderNotice,
} from '../../domain/notifications.js';
import { makeEventBridgeNotifier } from '../../functions/adapters/eventbridge-notifier.js';
import { makeFanOutNotifier } from '../../functions/adapters/fan-out-notifier.js';
import { makeSnsNotifier } from '../../functions/adapters/sns-notifier.js';
import { aBatchCompletedNotice, aManifestRejectedNotice } from '../support/notices.js';
import { OFFLINE_AWS } from '../support/offline-aws.js';

const snsClient = new SNSClient(OFFLINE_AWS);
const eventsClient = new EventBridgeClient(OFFLINE_AWS);
const sns = mockClient(snsClient);
const events = mockClient(eventsClient);
afterEach(() => {
  sns.reset();
  events.reset();
});

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:gwm-notifications';
const BUS = 'gwm-events';

const completed = aBatchCompletedNotice();

const rejected = aManifestRejectedNotice();

/** An error as the AWS SDK throws it for a refused call: `name` is the service's exception. */
function serviceError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/** What sending `notice` through `notifier` throws (undefined when it is delivered). */
function sendFailure(notifier: Notifier, notice: Notice): Promise<unknown> {
  return notifier.send(notice).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('SNS notifier', () => {
  it('publishes the rendered subject and message with kind, batchId and outcome attributes', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const notifier = makeSnsNotifier({ client: snsClient, topicArn: TOPIC });

    await notifier.send(completed);

    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    const { subject, text } = renderNotice(completed);
    expect(calls[0]?.args[0].input).toEqual({
      TopicArn: TOPIC,
      Subject: subject,
      Message: text,
      MessageAttributes: {
        kind: { DataType: 'String', StringValue: 'batch-completed' },
        batchId: { DataType: 'String', StringValue: 'b-hk3' },
        outcome: { DataType: 'String', StringValue: 'COMPLETED_WITH_FAILURES' },
      },
    });
  });

  it('sends a rejected manifest with its own kind and no outcome', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-2' });
    await makeSnsNotifier({ client: snsClient, topicArn: TOPIC }).send(rejected);
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.Subject).toBe('gwm: cohort-7 manifest rejected (1 problem)');
    expect(input?.MessageAttributes).toEqual({
      kind: { DataType: 'String', StringValue: 'manifest-rejected' },
      batchId: { DataType: 'String', StringValue: 'b-bad' },
    });
  });

  it('names the batch’s team in a `team` attribute, for a team’s subscription filter', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-3' });
    await makeSnsNotifier({ client: snsClient, topicArn: TOPIC }).send({ ...rejected, team: 'lab-a' });
    const input = sns.commandCalls(PublishCommand)[0]?.args[0].input;
    expect(input?.MessageAttributes?.team).toEqual({ DataType: 'String', StringValue: 'lab-a' });
  });

  it('turns a refused publish into a retryable delivery error that keeps the cause', async () => {
    const cause = serviceError('ThrottledException', 'Rate exceeded');
    sns.on(PublishCommand).rejects(cause);
    const error = await sendFailure(makeSnsNotifier({ client: snsClient, topicArn: TOPIC }), completed);
    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect(error).toMatchObject({ code: 'NOTIFICATION_NOT_DELIVERED', cause });
    expect((error as Error).message).toContain('ThrottledException: Rate exceeded');
  });
});

describe('EventBridge notifier', () => {
  it('puts one gwm event on the custom bus with the detail-type and a versioned detail', async () => {
    events.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    const notifier = makeEventBridgeNotifier({ client: eventsClient, eventBusName: BUS });

    await notifier.send(completed);

    const calls = events.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    const entries = calls[0]?.args[0].input.Entries ?? [];
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      EventBusName: BUS,
      Source: 'gwm',
      DetailType: 'Batch Completed',
      Resources: [],
    });
    const detail = batchCompletedDetailV1.parse(JSON.parse(entries[0]?.Detail ?? 'null'));
    expect(detail).toMatchObject({
      detailVersion: '1',
      batchId: 'b-hk3',
      outcome: 'COMPLETED_WITH_FAILURES',
      failures: [{ sampleId: 'S2', runId: '7002', failureReason: 'out of memory' }],
      failuresOmitted: 0,
      qc: { state: 'SKIPPED', reason: 'policy all-succeeded not met' },
    });
  });

  it('throws with the entry error code and message when PutEvents answers 200 with a failed entry', async () => {
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'Internal service error' }],
    });
    const notifier = makeEventBridgeNotifier({ client: eventsClient, eventBusName: BUS });

    const error = await sendFailure(notifier, rejected);

    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect((error as Error).message).toContain('InternalFailure');
    expect((error as Error).message).toContain('Internal service error');
    expect((error as Error).message).toContain('Manifest Rejected event of batch b-bad on bus gwm-events');
  });

  it('wraps a rejected PutEvents call, keeping the cause', async () => {
    const cause = serviceError('ResourceNotFoundException', 'no such bus');
    events.on(PutEventsCommand).rejects(cause);
    const error = await sendFailure(
      makeEventBridgeNotifier({ client: eventsClient, eventBusName: BUS }),
      completed,
    );
    expect(error).toBeInstanceOf(NotificationDeliveryError);
    expect(error).toMatchObject({ cause });
  });
});

describe('fan-out notifier', () => {
  function recording(outcome: 'ok' | Error): Notifier & { sent: Notice[] } {
    const sent: Notice[] = [];
    return {
      sent,
      async send(notice) {
        sent.push(notice);
        if (outcome !== 'ok') throw outcome;
      },
    };
  }

  it('sends to every notifier', async () => {
    const first = recording('ok');
    const second = recording('ok');
    await makeFanOutNotifier([first, second]).send(completed);
    expect(first.sent).toEqual([completed]);
    expect(second.sent).toEqual([completed]);
  });

  it('still tries the others when one fails, then throws every failure together', async () => {
    const snsDown = new Error('SNS down');
    const busDown = new Error('bus down');
    const first = recording(snsDown);
    const second = recording('ok');
    const third = recording(busDown);

    const error = await sendFailure(makeFanOutNotifier([first, second, third]), completed);

    expect([first.sent, second.sent, third.sent]).toEqual([[completed], [completed], [completed]]);
    expect(error).toBeInstanceOf(AggregateError);
    expect((error as AggregateError).errors).toEqual([snsDown, busDown]);
    expect((error as Error).message).toContain('2 of 3 notifiers failed');
  });

  it('works with the real adapters: a failed PutEvents entry does not stop the SNS publish', async () => {
    sns.on(PublishCommand).resolves({ MessageId: 'm-3' });
    events.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }],
    });
    const notifier = makeFanOutNotifier([
      makeEventBridgeNotifier({ client: eventsClient, eventBusName: BUS }),
      makeSnsNotifier({ client: snsClient, topicArn: TOPIC }),
    ]);

    await expect(notifier.send(completed)).rejects.toThrow(/ThrottlingException/);
    expect(sns.commandCalls(PublishCommand)).toHaveLength(1);
    expect(events.commandCalls(PutEventsCommand)).toHaveLength(1);
  });

  it('does nothing with no notifiers', async () => {
    await expect(makeFanOutNotifier([]).send(completed)).resolves.toBeUndefined();
  });
});
