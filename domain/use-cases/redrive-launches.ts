import { effectiveStatus, type LaunchStatus } from '../launch.js';
import { redrive } from '../launch-transitions.js';
import type { LaunchRepository } from '../ports.js';
import { persistTransition } from './persist.js';

export interface RedriveDeps {
  launches: LaunchRepository;
  now: () => Date;
}

export interface LaunchKey {
  batchId: string;
  launchId: string;
}

export type RedriveAction =
  /** Rewritten: the stream delivers it again. */
  | 'redriven'
  /** On its way to a run or running: the tracker and the reconciler follow it. */
  | 'in-flight'
  /** No such launch any more. */
  | 'gone';

export interface RedriveResult {
  batchId: string;
  launchId: string;
  action: RedriveAction;
  /** The status gwm recorded, as found (absent when gone). */
  status?: LaunchStatus;
}

/**
 * Rewrites each launch once (a key named twice is handled once) so the table's stream delivers it
 * to its consumers again. Every consumer is idempotent, so a launch re-driven that had in fact
 * been handled changes nothing but its revision and note.
 */
export async function redriveLaunches(
  deps: RedriveDeps,
  keys: readonly LaunchKey[],
  reason: string,
  onResult: (result: RedriveResult) => void = () => undefined,
): Promise<RedriveResult[]> {
  const seen = new Set<string>();
  const results: RedriveResult[] = [];
  for (const key of keys) {
    const id = `${key.batchId}\u0000${key.launchId}`;
    if (seen.has(id)) continue;
    seen.add(id);
    const result = await redriveOne(deps, key, reason);
    results.push(result);
    onResult(result);
  }
  return results;
}

async function redriveOne(deps: RedriveDeps, key: LaunchKey, reason: string): Promise<RedriveResult> {
  const launch = await deps.launches.get(key.batchId, key.launchId);
  if (!launch) return { ...key, action: 'gone' };
  const saved = await persistTransition(deps.launches, launch, (current) =>
    redrive(current, reason, deps.now()),
  );
  if (saved.kind === 'gone') return { ...key, action: 'gone' };
  if (saved.kind === 'changed') return { ...key, action: 'redriven', status: effectiveStatus(saved.next) };
  return { ...key, action: 'in-flight', status: effectiveStatus(saved.launch) };
}
