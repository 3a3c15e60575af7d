import { describe, expect, it } from 'vitest';
import { batchDurationSeconds } from '../../domain/batch.js';

describe("a batch's duration", () => {
  it.each([
    {
      title: 'counts the seconds from its registration to its finish',
      batch: {
        createdAt: '2026-03-01T10:00:00.000Z',
        registeredAt: '2026-03-01T10:00:02.500Z',
        finishedAt: '2026-03-01T11:30:02.500Z',
      },
      seconds: 5400,
    },
    {
      title: 'counts from its creation when it has no registration time (an item from before it was kept)',
      batch: { createdAt: '2026-03-01T10:00:00.000Z', finishedAt: '2026-03-01T10:01:30.000Z' },
      seconds: 90,
    },
    {
      title: 'has none while the batch has not finished',
      batch: { createdAt: '2026-03-01T10:00:00.000Z', registeredAt: '2026-03-01T10:00:01.000Z' },
      seconds: undefined,
    },
  ])('$title', ({ batch, seconds }) => {
    expect(batchDurationSeconds(batch)).toBe(seconds);
  });
});
