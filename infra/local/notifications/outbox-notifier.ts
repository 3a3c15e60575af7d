import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { PublishCommandInput } from '@aws-sdk/client-sns';
import { type Notice, NotificationDeliveryError, type Notifier } from '../../../domain/notifications.js';
import { eventBridgeEntry } from '../../../functions/adapters/eventbridge-notifier.js';
import { snsPublishInput } from '../../../functions/adapters/sns-notifier.js';
import { readJsonLines } from '../json-lines.js';

export const SNS_OUTBOX_FILE = 'sns.jsonl';
export const EVENTS_OUTBOX_FILE = 'events.jsonl';

/** One line of sns.jsonl: the Publish request the deployed SNS notifier would send. */
export interface SnsOutboxLine {
  time: string;
  publish: PublishCommandInput;
}

/** One line of events.jsonl: the PutEvents entry the deployed EventBridge notifier would put. */
export interface EventsOutboxLine {
  time: string;
  entry: PutEventsRequestEntry;
}

export interface Outbox {
  sns: SnsOutboxLine[];
  events: EventsOutboxLine[];
}

export interface OutboxNotifierOptions {
  /** Created when missing; holds sns.jsonl and events.jsonl. */
  dir: string;
  topicArn: string;
  eventBusName: string;
  /** Told about each notice once both lines are written (for a terminal, say). */
  print?: (notice: Notice, rendered: { subject: string; text: string }) => void;
}

/**
 * The embedded runtime's notifier: each notice is written as what the deployed notifiers would
 * send, built by their own functions, so what a person reads locally is what SNS subscribers and
 * EventBridge rules would get.
 */
export function makeOutboxNotifier(options: OutboxNotifierOptions): Notifier {
  const snsFile = join(options.dir, SNS_OUTBOX_FILE);
  const eventsFile = join(options.dir, EVENTS_OUTBOX_FILE);
  // One notice at a time: lines of concurrent sends never interleave.
  let writes: Promise<unknown> = Promise.resolve();

  async function write(notice: Notice): Promise<void> {
    const time = new Date().toISOString();
    const publish = snsPublishInput(notice, options.topicArn);
    const entry = eventBridgeEntry(notice, options.eventBusName);
    try {
      await mkdir(options.dir, { recursive: true });
      await appendFile(snsFile, `${JSON.stringify({ time, publish } satisfies SnsOutboxLine)}\n`, 'utf8');
      await appendFile(eventsFile, `${JSON.stringify({ time, entry } satisfies EventsOutboxLine)}\n`, 'utf8');
    } catch (error) {
      throw new NotificationDeliveryError(
        `Could not write the ${notice.kind} notice of batch ${notice.batchId} to ${options.dir}: ${(error as Error).message}`,
        { cause: error },
      );
    }
    options.print?.(notice, { subject: publish.Subject ?? '', text: publish.Message ?? '' });
  }

  return {
    send(notice) {
      const sent = writes.then(() => write(notice));
      writes = sent.catch(() => undefined);
      return sent;
    },
  };
}

/** Everything written to an outbox folder so far, oldest first; missing files read as empty. */
export async function readOutbox(dir: string): Promise<Outbox> {
  const [sns, events] = await Promise.all([
    readJsonLines<SnsOutboxLine>(join(dir, SNS_OUTBOX_FILE)),
    readJsonLines<EventsOutboxLine>(join(dir, EVENTS_OUTBOX_FILE)),
  ]);
  return { sns, events };
}
