import { describe, expect, it } from 'vitest';
import { REQUEST_ID_MAX, RUN_NAME_MAX, requestIdFor, runNameFor } from '../../domain/launch.js';

/** True when `text` has no lone surrogate (it survives a UTF-8 round trip unchanged). */
function wellFormed(text: string): boolean {
  return Buffer.from(text, 'utf8').toString('utf8') === text;
}

describe('run names and request ids', () => {
  it('never cuts a surrogate pair when a batch name of astral letters is shortened', () => {
    // Prepare: 𝐀 (U+1D400) is one letter, two UTF-16 units; try every cut position parity
    for (const ascii of [59, 60]) {
      const batchName = `${'x'.repeat(ascii)}${'𝐀'.repeat(40)}`;
      // Act
      const name = runNameFor(batchName, 'S1', 1);
      // Assess
      expect(wellFormed(name)).toBe(true);
      expect(name.length).toBeLessThanOrEqual(RUN_NAME_MAX);
      expect(name.endsWith('-S1-1')).toBe(true);
      expect(name.length).toBeGreaterThanOrEqual(RUN_NAME_MAX - 1);
    }
  });

  it('keeps a short astral batch name whole', () => {
    expect(runNameFor('𠀀𠀁-flowcell', 'S1', 2)).toBe('𠀀𠀁-flowcell-S1-2');
  });

  it('never cuts a surrogate pair when a long request id is shortened', () => {
    for (const pad of [100, 101]) {
      const launchId = `${'b'.repeat(pad)}/${'𝐀'.repeat(30)}`;
      const id = requestIdFor(launchId, 1);
      expect(wellFormed(id)).toBe(true);
      expect(id.length).toBeLessThanOrEqual(REQUEST_ID_MAX);
      expect(id).not.toBe(requestIdFor(launchId, 2));
    }
  });
});
