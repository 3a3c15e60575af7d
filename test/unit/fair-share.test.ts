import { describe, expect, it } from 'vitest';
import {
  flowOf,
  rankTurns,
  type ShareView,
  type TeamShare,
  type WaitingBatch,
} from '../../domain/scheduling/fair-share.js';

/** Serves `starts` launches one at a time as the launcher would: best turn, its pass moves on. */
function simulate(
  batches: WaitingBatch[],
  teams: Record<string, TeamShare>,
  starts: number,
  options: { limits?: Record<string, number>; passes?: Record<string, number>; virtualPass?: number } = {},
) {
  const passes = new Map(Object.entries(options.passes ?? {}));
  let virtualPass = options.virtualPass ?? 0;
  const served: string[] = [];
  for (let start = 0; start < starts; start++) {
    const view: ShareView = {
      batches,
      teams: new Map(Object.entries(teams)),
      inFlight: new Map(Object.entries(options.limits ?? {})),
      passes,
      virtualPass,
    };
    const [turn] = rankTurns(view);
    if (!turn) break;
    served.push(turn.batches[0]?.batchId ?? '');
    passes.set(turn.flow, Math.max(passes.get(turn.flow) ?? 0, turn.pass) + turn.stride);
    virtualPass = Math.max(virtualPass, turn.pass);
  }
  return served;
}

const share = (served: string[], batchId: string) =>
  served.filter((id) => id === batchId).length / served.length;
const batch = (
  batchId: string,
  team: string,
  priority: WaitingBatch['priority'],
  createdAt: string,
): WaitingBatch => ({
  batchId,
  team,
  priority,
  createdAt,
});

describe('fair share of the StartRun rate', () => {
  it('splits the rate between teams by weight', () => {
    const served = simulate(
      [
        batch('a', 'lab-a', 'normal', '2026-12-01T10:00:00Z'),
        batch('c', 'lab-c', 'normal', '2026-12-01T10:05:00Z'),
      ],
      { 'lab-a': { weight: 1 }, 'lab-c': { weight: 3 } },
      400,
    );
    expect(share(served, 'c')).toBeCloseTo(0.75, 2);
    expect(share(served, 'a')).toBeCloseTo(0.25, 2);
  });

  it('gives a team that comes back no credit for the time it had nothing waiting', () => {
    // lab-a has been served 1,000 times alone; lab-c, never served, joins at equal weight
    const served = simulate(
      [
        batch('a', 'lab-a', 'normal', '2026-12-01T10:00:00Z'),
        batch('c', 'lab-c', 'normal', '2026-12-01T10:05:00Z'),
      ],
      { 'lab-a': { weight: 1 }, 'lab-c': { weight: 1 } },
      100,
      { passes: { [flowOf('lab-a', 'normal')]: 100 }, virtualPass: 99.9 },
    );
    // Alternating from the first turn: no burst of lab-c catching up
    expect(share(served.slice(0, 10), 'c')).toBeCloseTo(0.5, 5);
    expect(share(served, 'c')).toBeCloseTo(0.5, 5);
  });

  it('lets an urgent batch of another team go first, without stopping the others', () => {
    const served = simulate(
      [
        batch('a', 'lab-a', 'normal', '2026-12-01T10:00:00Z'),
        batch('b', 'lab-b', 'urgent', '2026-12-01T10:01:00Z'),
      ],
      { 'lab-a': { weight: 1 }, 'lab-b': { weight: 1 } },
      110,
    );
    expect(served.slice(0, 10).filter((id) => id === 'b').length).toBeGreaterThanOrEqual(9);
    expect(share(served, 'b')).toBeCloseTo(100 / 110, 2);
    expect(served).toContain('a');
  });

  it('within a team: urgent before normal before low, and a low batch still moves at its share', () => {
    const served = simulate(
      [
        batch('old-normal', 'lab-a', 'normal', '2026-12-01T09:00:00Z'),
        batch('new-urgent', 'lab-a', 'urgent', '2026-12-01T10:00:00Z'),
        batch('low', 'lab-a', 'low', '2026-12-01T08:00:00Z'),
      ],
      { 'lab-a': { weight: 1 } },
      1110,
    );
    expect(served[0]).toBe('new-urgent');
    expect(share(served, 'new-urgent')).toBeCloseTo(1000 / 1110, 2);
    expect(share(served, 'old-normal')).toBeCloseTo(100 / 1110, 2);
    expect(share(served, 'low')).toBeCloseTo(10 / 1110, 2);
  });

  it('serves the older batch of a team and priority first', () => {
    const served = simulate(
      [
        batch('newer', 'lab-a', 'normal', '2026-12-01T10:00:00Z'),
        batch('older', 'lab-a', 'normal', '2026-12-01T09:00:00Z'),
      ],
      { 'lab-a': { weight: 1 } },
      5,
    );
    expect(served).toEqual(['older', 'older', 'older', 'older', 'older']);
  });

  it('leaves out a team at its in-flight limit without holding the others back', () => {
    const served = simulate(
      [
        batch('a', 'lab-a', 'normal', '2026-12-01T10:00:00Z'),
        batch('c', 'lab-c', 'low', '2026-12-01T10:05:00Z'),
      ],
      { 'lab-a': { weight: 5, maxInFlight: 2 }, 'lab-c': { weight: 1 } },
      20,
      { limits: { 'lab-a': 2 } },
    );
    expect(served).toEqual(Array(20).fill('c'));
  });

  it('treats a team without an item as weight 1 with no limit', () => {
    const served = simulate(
      [
        batch('a', 'lab-a', 'normal', '2026-12-01T10:00:00Z'),
        batch('d', 'default', 'normal', '2026-12-01T10:05:00Z'),
      ],
      { 'lab-a': { weight: 1 } },
      100,
    );
    expect(share(served, 'd')).toBeCloseTo(0.5, 5);
  });
  it('shares the turns among launches chosen at the same time as if chosen one after another', () => {
    // Prepare: eight wake-ups of one launcher rank the same view before any start is recorded
    const batches = [
      batch('a', 'lab-a', 'normal', '2026-12-01T10:00:00Z'),
      batch('c', 'lab-c', 'normal', '2026-12-01T10:05:00Z'),
    ];
    const pending = new Map<string, number>();
    const chosen: string[] = [];
    // Act: each takes the best turn and holds it (its start counted ahead) for the next to see
    for (let lane = 0; lane < 8; lane++) {
      const [turn] = rankTurns({
        batches,
        teams: new Map(),
        inFlight: new Map(),
        passes: new Map(),
        virtualPass: 0,
        pending,
      });
      if (!turn) throw new Error('no turn');
      chosen.push(turn.batches[0]?.batchId ?? '');
      pending.set(turn.flow, (pending.get(turn.flow) ?? 0) + 1);
    }
    // Assess: alternating, not eight of the first flow
    expect(chosen).toEqual(['a', 'c', 'a', 'c', 'a', 'c', 'a', 'c']);
    expect(pending.get(flowOf('lab-a', 'normal'))).toBe(4);
  });
});
