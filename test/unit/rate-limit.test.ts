import { describe, expect, it } from 'vitest';
import { takeToken } from '../../domain/rate-limit.js';

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
