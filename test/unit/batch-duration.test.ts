import { describe, expect, it } from 'vitest';
import { batchDurationSeconds } from '../../domain/batch.js';

describe("a batch's duration", () => {
  it('counts the seconds from its registration to its finish', () => {
    // Prepare
    const batch = {
      createdAt: '2026-03-01T10:00:00.000Z',
      registeredAt: '2026-03-01T10:00:02.500Z',
      finishedAt: '2026-03-01T11:30:02.500Z',
    };
    // Act
    const seconds = batchDurationSeconds(batch);
    // Assess
    expect(seconds).toBe(5400);
  });

  it('counts from its creation when it has no registration time (an item from before it was kept)', () => {
    // Prepare
    const batch = { createdAt: '2026-03-01T10:00:00.000Z', finishedAt: '2026-03-01T10:01:30.000Z' };
    // Act
    const seconds = batchDurationSeconds(batch);
    // Assess
    expect(seconds).toBe(90);
  });

  it('has none while the batch has not finished', () => {
    // Prepare
    const batch = { createdAt: '2026-03-01T10:00:00.000Z', registeredAt: '2026-03-01T10:00:01.000Z' };
    // Act
    const seconds = batchDurationSeconds(batch);
    // Assess
    expect(seconds).toBeUndefined();
  });
});
