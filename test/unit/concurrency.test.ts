import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { mapConcurrently } from '../../domain/concurrency.js';

describe('mapConcurrently', () => {
  it('gives the results in the order of the items, whatever order the calls end in', async () => {
    // Act
    const results = await mapConcurrently([30, 10, 20, 0], 2, async (ms, index) => {
      await sleep(ms);
      return `${index}:${ms}`;
    });
    // Assess
    expect(results).toEqual(['0:30', '1:10', '2:20', '3:0']);
  });

  it('has at most the limit of calls in flight, and a slow call holds up only its own worker', async () => {
    // Prepare
    let inFlight = 0;
    let most = 0;
    const ended: number[] = [];
    // Act
    await mapConcurrently([200, 5, 5, 5, 5], 2, async (ms, index) => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await sleep(ms);
      inFlight -= 1;
      ended.push(index);
    });
    // Assess
    expect(most).toBe(2);
    expect(ended).toEqual([1, 2, 3, 4, 0]);
  });

  it('gives an empty list for no items, and rejects with the first failure', async () => {
    expect(await mapConcurrently([], 4, async () => 1)).toEqual([]);
    await expect(
      mapConcurrently([1, 2, 3], 3, async (n) => {
        if (n === 2) throw new Error('two failed');
        return n;
      }),
    ).rejects.toThrow('two failed');
  });
});
