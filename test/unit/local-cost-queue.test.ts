import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SQSEvent } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import type { CostRequest } from '../../domain/ports.js';
import { COST_EVENT_SOURCE } from '../../functions/event-sources.js';
import { createLocalCostQueue } from '../../infra/local/sqs/cost-queue.js';

const request = (n: number): CostRequest => ({
  batchId: 'B1',
  launchId: `B1/S${n}`,
  attempt: 1,
  runId: String(1_000_000 + n),
});

const bodiesOf = (event: SQSEvent) => event.Records.map((record) => JSON.parse(record.body) as CostRequest);

describe('the local cost queue', () => {
  const folders: string[] = [];
  afterEach(async () => {
    for (const folder of folders.splice(0)) await rm(folder, { recursive: true, force: true });
  });

  async function files() {
    const dir = await mkdtemp(join(tmpdir(), 'gwm-cost-queue-'));
    folders.push(dir);
    return { journalFile: join(dir, 'cost-queue.jsonl'), deadLetterFile: join(dir, 'dead-letters.jsonl') };
  }

  it('keeps what a stack killed mid-way had not priced, and the next stack on the same folder prices it, once', async () => {
    // Prepare: a first stack whose collector never answers (killed before it could)
    const paths = await files();
    const first = createLocalCostQueue({ ...paths, retryDelayMs: () => 1 });
    first.consumeWith(() => new Promise(() => {}));
    expect(await first.resume()).toBe(0);
    await first.queue.send(request(1));
    await first.queue.send(request(2));

    // Act: a second stack on the same folder
    const priced: CostRequest[] = [];
    const second = createLocalCostQueue({ ...paths, retryDelayMs: () => 1 });
    second.consumeWith(async (event) => {
      priced.push(...bodiesOf(event));
      return { batchItemFailures: [] };
    });
    const resent = await second.resume();
    await second.settle();
    await second.queue.send(request(3));
    await second.settle();
    await second.stop();

    // Assess: the two the first left, then the new one; a third stack has nothing left to send
    expect(resent).toBe(2);
    expect(priced).toEqual([request(1), request(2), request(3)]);
    const third = createLocalCostQueue({ ...paths, retryDelayMs: () => 1 });
    third.consumeWith(async () => ({ batchItemFailures: [] }));
    expect(await third.resume()).toBe(0);
    await third.stop();
  });

  it('stops without working through its queue: the next stack prices what was waiting, each request once', async () => {
    // Prepare: a collector that takes 100 ms a request, two at a time; ten requests sent
    const paths = await files();
    const priced: CostRequest[] = [];
    const slow = async (event: SQSEvent) => {
      await new Promise((done) => setTimeout(done, 100));
      priced.push(...bodiesOf(event));
      return { batchItemFailures: [] };
    };
    const first = createLocalCostQueue({ ...paths, retryDelayMs: () => 1 });
    first.consumeWith(slow);
    await first.resume();
    for (let n = 1; n <= 10; n++) await first.queue.send(request(n));
    // Act: stop at once, and send one more while stopping (a late record)
    const stopped = first.stop();
    await first.queue.send(request(11));
    await stopped;
    const pricedByFirst = priced.length;
    const second = createLocalCostQueue({ ...paths, retryDelayMs: () => 1 });
    second.consumeWith(slow);
    const resent = await second.resume();
    await second.stop();
    const third = createLocalCostQueue({ ...paths, retryDelayMs: () => 1 });
    third.consumeWith(slow);
    await third.resume();
    await third.settle();
    await third.stop();
    // Assess: the first stack finished only what it had started; nothing was lost or priced twice
    expect(pricedByFirst).toBeLessThanOrEqual(COST_EVENT_SOURCE.maxConcurrency);
    expect(resent).toBe(11 - pricedByFirst);
    expect(priced.map((r) => r.launchId).sort()).toEqual(
      Array.from({ length: 11 }, (_, i) => request(i + 1).launchId).sort(),
    );
  });

  it('does not send again a request it dead-lettered', async () => {
    // Prepare: a collector that fails every delivery
    const paths = await files();
    const queue = createLocalCostQueue({ ...paths, retryDelayMs: () => 1 });
    let deliveries = 0;
    queue.consumeWith(async (event) => {
      deliveries++;
      return { batchItemFailures: event.Records.map((record) => ({ itemIdentifier: record.messageId })) };
    });
    await queue.resume();
    // Act
    await queue.queue.send(request(7));
    await queue.settle();
    await queue.stop();
    // Assess: delivered as often as SQS would, dead-lettered, and marked done
    expect(deliveries).toBe(COST_EVENT_SOURCE.maxReceiveCount);
    const deadLetters = (await readFile(paths.deadLetterFile, 'utf8')).trim().split('\n');
    expect(deadLetters).toHaveLength(1);
    expect(JSON.parse(deadLetters[0] ?? '{}').event.detail.request).toEqual(request(7));
    const next = createLocalCostQueue({ ...paths, retryDelayMs: () => 1 });
    next.consumeWith(async () => ({ batchItemFailures: [] }));
    expect(await next.resume()).toBe(0);
    await next.stop();
  });
});
