import type { Launch } from '../launch.js';
import type { Ignored, Transition } from '../launch-transitions.js';
import type { LaunchRepository } from '../ports.js';

export type Persisted =
  | { kind: 'changed'; previous: Launch; next: Launch }
  | (Ignored & { launch: Launch })
  | { kind: 'gone' };

const MAX_ROUNDS = 8;

/**
 * Applies a decision to the stored launch with an optimistic write. When another writer got there
 * first (the tracker, a racing launcher, a console edit), it reads the launch again and decides anew.
 */
export async function persistTransition(
  launches: LaunchRepository,
  launch: Launch,
  decide: (current: Launch) => Transition | Ignored,
): Promise<Persisted> {
  let current: Launch | undefined = launch;
  for (let round = 0; round < MAX_ROUNDS && current; round++) {
    const outcome = decide(current);
    if (outcome.kind === 'ignored') return { ...outcome, launch: current };
    if ((await launches.replace(current, outcome.next)) === 'written') {
      return { kind: 'changed', previous: current, next: outcome.next };
    }
    current = await launches.get(launch.batchId, launch.launchId);
  }
  if (!current) return { kind: 'gone' };
  throw new Error(`launch ${launch.launchId} kept changing under ${MAX_ROUNDS} writes`);
}
