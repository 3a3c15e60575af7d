import { describe, expect, it } from 'vitest';
import type { Turn } from '../../domain/scheduling/fair-share.js';
import { type DispatchDeps, dispatchLaunch } from '../../domain/use-cases/dispatch-launch.js';
import type { LaunchScheduler } from '../../domain/use-cases/launch-scheduler.js';

const turnOf = (team: string): Turn => ({
  flow: `${team}/normal`,
  team,
  priority: 'normal',
  batches: [],
  pass: 0,
  stored: 0,
  stride: 1,
});

/**
 * A scheduler offering `turns` to a run that ended, counting the starts each flow is held for
 * (what the next ranking in this process sees), whose limit check answers with `atLimit`.
 */
function schedulerOffering(turns: Turn[], atLimit: (team: string | undefined) => Promise<boolean>) {
  const held = new Map<string, number>();
  const add = (turn: Turn, by: number) => held.set(turn.flow, (held.get(turn.flow) ?? 0) + by);
  const scheduler: Partial<LaunchScheduler> = {
    hasLimit: async () => true,
    async turns(_ended, options) {
      const first = turns[0];
      if (options?.choose && first) add(first, 1);
      return turns;
    },
    hold: (turn) => add(turn, 1),
    unhold: (turn) => add(turn, -1),
    atLimit,
  };
  const deps = { scheduler, pacer: { acquire: async () => {} } } as unknown as DispatchDeps;
  return { deps, held };
}

const ended = { batchId: 'b1', launchId: 'b1/S1', team: 'lab-a', ended: true };

describe('dispatching a freed slot: turns held while ranked are given back', () => {
  it('gives the held turn back when the limit check fails, and the failure reaches the caller', async () => {
    // Prepare
    const { deps, held } = schedulerOffering([turnOf('lab-a')], async () => {
      throw new Error('Query of the queue index throttled');
    });

    // Act
    const dispatched = dispatchLaunch(deps, ended);

    // Assess
    await expect(dispatched).rejects.toThrow('Query of the queue index throttled');
    expect(held.get('lab-a/normal')).toBe(0);
  });

  it('gives back a turn at its limit and the next one whose check fails, holding none after', async () => {
    // Prepare: lab-a is at its limit; lab-b's check fails
    const { deps, held } = schedulerOffering([turnOf('lab-a'), turnOf('lab-b')], async (team) => {
      if (team === 'lab-a') return true;
      throw new Error('Query of the queue index throttled');
    });

    // Act
    const dispatched = dispatchLaunch(deps, ended);

    // Assess
    await expect(dispatched).rejects.toThrow('throttled');
    expect(Object.fromEntries(held)).toEqual({ 'lab-a/normal': 0, 'lab-b/normal': 0 });
  });
});
