import { randomUUID } from 'node:crypto';
import { appendFile, writeFile } from 'node:fs/promises';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { CostQueue, CostRequest } from '../../../domain/ports.js';
import { COST_EVENT_SOURCE } from '../../../functions/event-sources.js';
import { createEventRouter } from '../events/event-router.js';
import { readJsonLines } from '../json-lines.js';
import type { LocalLog } from '../local-log.js';
import { LOCAL_NAMES } from '../stack-settings.js';

type CostHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

const SOURCE = 'gwm.cost';

type JournalLine = { sent: string; request: CostRequest } | { done: string };

/**
 * The embedded runtime's cost queue: what SQS and its event source do for the deployed cost
 * collector. Each request is handed to the collector as a one-message SQS event, a few at a time
 * (COST_EVENT_SOURCE); a failed one comes back with backoff and, after `maxReceiveCount`
 * deliveries, goes to the dead-letter file. Built on the local event router, which has exactly
 * those semantics. Like SQS, it keeps what it was sent: each request is journalled before `send`
 * returns and marked done once priced or dead-lettered, so requests a stopped or killed stack had
 * not finished are sent again by the next one (`resume`); the collector makes a request sent twice
 * count once.
 */
export function createLocalCostQueue(options: {
  deadLetterFile: string;
  journalFile: string;
  log?: LocalLog;
  /** Wait before redelivery number `attempt` (the router's backoff when absent). */
  retryDelayMs?: (attempt: number) => number;
}) {
  let handler: CostHandler | undefined;
  let sequence = 0;
  // One append at a time, in order: a `done` never lands before its `sent`.
  let journal: Promise<void> = Promise.resolve();
  const record = (line: JournalLine) => {
    const written = journal.then(() => appendFile(options.journalFile, `${JSON.stringify(line)}\n`, 'utf8'));
    journal = written.catch((error: unknown) => {
      options.log?.('error', `could not write to the cost queue journal ${options.journalFile}`, {
        error: (error as Error).message,
      });
    });
    return written;
  };
  const router = createEventRouter({
    rules: [
      {
        name: 'cost-collector',
        pattern: { source: [SOURCE] },
        retryAttempts: COST_EVENT_SOURCE.maxReceiveCount - 1,
        target: async (message) => {
          if (!handler) throw new Error('the cost collector is not ready');
          const { request, id } = (message as { detail: { request: CostRequest; id: string } }).detail;
          const result = await handler(sqsEvent(request, `local-${++sequence}`));
          if (result.batchItemFailures.length > 0) throw new Error('the cost collector failed the request');
          void record({ done: id }).catch(() => {});
        },
      },
    ],
    deadLetterFile: options.deadLetterFile,
    ...(options.retryDelayMs === undefined ? {} : { retryDelayMs: options.retryDelayMs }),
    maxConcurrency: COST_EVENT_SOURCE.maxConcurrency,
    log: options.log,
    onDeadLettered: (_rule, event) => {
      const { id } = (event as { detail: { id: string } }).detail;
      void record({ done: id }).catch(() => {});
    },
  });
  let halted = false;
  const put = (id: string, request: CostRequest) => {
    // Once stopping, a request stays in the journal for the next stack.
    if (!halted) router.put({ source: SOURCE, 'detail-type': 'Cost Request', detail: { request, id } });
  };
  const queue: CostQueue = {
    async send(request) {
      const id = randomUUID();
      // On disk before the sender moves on, as SQS has a message once SendMessage answers.
      await record({ sent: id, request });
      put(id, request);
    },
  };
  return {
    queue,
    /** The collector that consumes the queue (built with the queue, to send paused requests again). */
    consumeWith(next: CostHandler) {
      handler = next;
    },
    /**
     * Sends again what an earlier stack on the same journal left unfinished, after rewriting the
     * journal to hold only those. Call once, after `consumeWith`, before anything is sent.
     */
    async resume(): Promise<number> {
      const lines = await readJsonLines<JournalLine>(options.journalFile);
      const done = new Set(lines.flatMap((line) => ('done' in line ? [line.done] : [])));
      const pending = lines.flatMap((line) =>
        'sent' in line && !done.has(line.sent) ? [{ sent: line.sent, request: line.request }] : [],
      );
      await writeFile(
        options.journalFile,
        pending.map((line) => `${JSON.stringify(line)}\n`).join(''),
        'utf8',
      );
      for (const line of pending) put(line.sent, line.request);
      return pending.length;
    },
    settle: () => router.settle(),
    stats: () => router.stats(),
    /**
     * Stops without working through the queue: what is waiting stays in the journal for the next
     * stack; the requests being priced are finished first.
     */
    stop: async () => {
      halted = true;
      await router.halt();
      await journal;
    },
  };
}

function sqsEvent(request: CostRequest, messageId: string): SQSEvent {
  const now = String(Date.now());
  return {
    Records: [
      {
        messageId,
        receiptHandle: messageId,
        body: JSON.stringify(request),
        attributes: {
          ApproximateReceiveCount: '1',
          SentTimestamp: now,
          SenderId: LOCAL_NAMES.accountId,
          ApproximateFirstReceiveTimestamp: now,
        },
        messageAttributes: {},
        md5OfBody: '',
        eventSource: 'aws:sqs',
        eventSourceARN: `arn:aws:sqs:${LOCAL_NAMES.region}:${LOCAL_NAMES.accountId}:gwm-cost`,
        awsRegion: LOCAL_NAMES.region,
      },
    ],
  };
}
