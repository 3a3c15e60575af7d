import { describe, expect, it } from 'vitest';
import type { LaunchQueueStore } from '../../domain/ports.js';
import { makeLaunchScheduler } from '../../domain/use-cases/launch-scheduler.js';
import { aBatch } from '../support/launch-factory.js';

/** A queue whose waiting launches the test sets, counting the reads of the whole queue. */
function fakeQueue() {
  const waiting = new Map<string, string[]>([['B1', []]]);
  const reads = { openBatches: 0 };
  const held: Array<() => void> = [];
  const queue: LaunchQueueStore = {
    async openBatches() {
      reads.openBatches += 1;
      return [aBatch({ batchId: 'B1', status: 'ACTIVE' })];
    },
    async registeringBatches() {
      return [];
    },
    async waiting(batchId) {
      // What waits when the read reaches the table, answered when the test lets it go: the
      // reads that overlap are what is tested.
      const seen = [...(waiting.get(batchId) ?? [])];
      await new Promise<void>((resolve) => held.push(resolve));
      return seen;
    },
    async inFlight() {
      return [];
    },
    async passes() {
      return { passes: new Map(), virtualPass: 0 };
    },
    async served() {},
  };
  return { queue, waiting, reads, finishRead: () => held.shift()?.() };
}

function schedulerOn(queue: LaunchQueueStore) {
  return makeLaunchScheduler({
    queue,
    teams: { list: async () => [] },
    now: () => new Date(),
    refreshMs: 250,
    teamsRefreshMs: 1_000,
    candidatesPerRead: 10,
  });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the launch scheduler: a spare wake-up asking whether anything waits', () => {
  it('shares one read among the wake-ups that ask at the same time', async () => {
    // Prepare
    const { queue, waiting, reads, finishRead } = fakeQueue();
    const scheduler = schedulerOn(queue);
    waiting.set('B1', ['S001']);

    // Act: three spares take their mark before any read starts
    const marks = [scheduler.mark(), scheduler.mark(), scheduler.mark()];
    const answers = Promise.all(marks.map((after) => scheduler.anyWaiting({ after })));
    await tick();
    finishRead();

    // Assess
    expect(await answers).toEqual([true, true, true]);
    expect(reads.openBatches).toBe(1);
  });

  it('never answers a wake-up from a read that started before it asked: a launch left waiting since is found', async () => {
    // Prepare: a read starts while nothing waits
    const { queue, waiting, reads, finishRead } = fakeQueue();
    const scheduler = schedulerOn(queue);
    const early = scheduler.anyWaiting({ after: scheduler.mark() });
    await tick();

    // Act: a launch is left waiting (its wake-up spent on another launch); that launch's spare asks
    waiting.set('B1', ['S002']);
    const late = scheduler.anyWaiting({ after: scheduler.mark() });
    await tick();
    finishRead();
    await tick();
    finishRead();

    // Assess: the early read's answer is its own; the late spare read again and found S002
    expect(await early).toBe(false);
    expect(await late).toBe(true);
    expect(reads.openBatches).toBe(2);
  });
});
