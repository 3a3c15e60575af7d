import { describe, expect, it } from 'vitest';
import { backoffMs } from '../../domain/backoff.js';

describe('backoffMs', () => {
  it('waits the base before the first retry, doubles with each, and stops at the most', () => {
    // Act
    const waits = [1, 2, 3, 4, 5, 6].map((attempt) => backoffMs(attempt, { baseMs: 100, maxMs: 1_000 }));
    // Assess
    expect(waits).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('treats an attempt below 1 as the first, and has no most unless given one', () => {
    expect(backoffMs(0, { baseMs: 50 })).toBe(50);
    expect(backoffMs(12, { baseMs: 50 })).toBe(50 * 2 ** 11);
  });
});
