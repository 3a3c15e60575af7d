import { describe, expect, it } from 'vitest';
import type { RateLimitStore } from '../../domain/ports.js';
import { type TokenBucketState, takeToken, takeTokens } from '../../domain/rate-limit.js';
import { makePacer } from '../../domain/use-cases/pace.js';

const settings = { ratePerSecond: 0.5, burst: 2 };

describe('token bucket', () => {
  it('starts full and grants up to the burst at once', () => {
    const first = takeToken(undefined, 0, settings);
    expect(first.granted).toBe(true);
    if (!first.granted) return;
    const second = takeToken(first.next, 0, settings);
    expect(second.granted).toBe(true);
    if (!second.granted) return;
    expect(takeToken(second.next, 0, settings)).toEqual({ granted: false, waitMs: 2_000 });
  });

  it('refills at the configured rate and never beyond the burst', () => {
    const empty = { tokens: 0, refilledAt: 0 };
    expect(takeToken(empty, 1_000, settings)).toEqual({ granted: false, waitMs: 1_000 });
    expect(takeToken(empty, 2_000, settings)).toMatchObject({ granted: true, next: { tokens: 0 } });
    expect(takeToken(empty, 3_600_000, settings)).toMatchObject({ granted: true, next: { tokens: 1 } });
  });

  it('does not mint tokens when a clock steps back', () => {
    const state = { tokens: 0.5, refilledAt: 10_000 };
    expect(takeToken(state, 5_000, settings)).toEqual({ granted: false, waitMs: 1_000 });
  });

  it('grants calls at the rate over a long run', () => {
    let state: { tokens: number; refilledAt: number } | undefined;
    let granted = 0;
    for (let ms = 0; ms <= 60_000; ms += 100) {
      const decision = takeToken(state, ms, { ratePerSecond: 1, burst: 1 });
      if (decision.granted) {
        granted++;
        state = decision.next;
      }
    }
    expect(granted).toBe(61);
  });
});

describe('token bucket, several tokens at once', () => {
  it('takes as many whole tokens as it holds, up to those wanted, as if taken one by one', () => {
    const full = takeTokens(undefined, 0, settings, 5);
    expect(full).toEqual({ granted: true, count: 2, next: { tokens: 0, refilledAt: 0 } });
    expect(takeTokens({ tokens: 0.5, refilledAt: 0 }, 0, settings, 3)).toEqual({
      granted: false,
      waitMs: 1000,
    });
  });
});

describe('pacer', () => {
  /** The bucket item as the table keeps it: a conditional put on its revision. */
  function memoryStore() {
    let item: { state: TokenBucketState; revision: number } | undefined;
    const calls = { puts: 0, conflicts: 0 };
    const store: RateLimitStore = {
      async get() {
        await Promise.resolve();
        return item;
      },
      async put(_name, state, revision) {
        await Promise.resolve();
        calls.puts++;
        if (item?.revision !== revision) {
          calls.conflicts++;
          return 'conflict';
        }
        item = { state, revision: (revision ?? 0) + 1 };
        return 'written';
      },
    };
    return { store, calls };
  }

  /**
   * 8 launches asking a pacer of 10/s and `burst` at once, on a fake clock that sleeping moves on:
   * the clock time each was granted at, and the store's writes.
   */
  async function eightAtOnce(burst: number) {
    let now = 0;
    const { store, calls } = memoryStore();
    const pacer = makePacer({
      store,
      name: 'startRun',
      settings: { ratePerSecond: 10, burst },
      now: () => new Date(now),
      sleep: async (ms) => {
        now += ms;
      },
    });
    const grantedAt: number[] = [];
    await Promise.all(Array.from({ length: 8 }, () => pacer.acquire().then(() => grantedAt.push(now))));
    return { grantedAt, calls };
  }

  it('lets the callers of one process take turns, so none overwrites another and the rate holds', async () => {
    // Act
    const { grantedAt, calls } = await eightAtOnce(1);
    // Assess
    expect(calls).toEqual({ puts: 8, conflicts: 0 });
    expect(grantedAt).toEqual([0, 100, 200, 300, 400, 500, 600, 700]);
  });

  it('keeps serving the next caller after one fails', async () => {
    // Prepare
    const { store } = memoryStore();
    let failNext = true;
    const flaky: RateLimitStore = {
      get: async (name) => {
        if (failNext) {
          failNext = false;
          throw new Error('ProvisionedThroughputExceededException');
        }
        return store.get(name);
      },
      put: store.put,
    };
    const pacer = makePacer({
      store: flaky,
      name: 'startRun',
      settings: { ratePerSecond: 10, burst: 5 },
      now: () => new Date(0),
      sleep: async () => {},
    });
    // Act
    const results = await Promise.allSettled([pacer.acquire(), pacer.acquire()]);
    // Assess
    expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled']);
  });

  it('gives the callers waiting at once as many tokens as the bucket holds in one write, and the rest at the rate', async () => {
    // Act: a bucket of burst 5
    const { grantedAt, calls } = await eightAtOnce(5);
    // Assess: the burst's 5 in one write, then one per 100 ms; never more than the bucket allows
    expect(grantedAt).toEqual([0, 0, 0, 0, 0, 100, 200, 300]);
    expect(calls).toEqual({ puts: 4, conflicts: 0 });
  });
});
