import type { RateLimitStore } from '../ports.js';
import { type TokenBucketSettings, takeToken } from '../rate-limit.js';

export interface Pacer {
  /** Resolves when the caller may make one call. */
  acquire(): Promise<void>;
}

export interface PacerDeps {
  store: RateLimitStore;
  name: string;
  settings: TokenBucketSettings;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

/**
 * A token bucket shared through the table, so concurrent launchers together keep the rate.
 * Callers of one pacer take turns: only one of them reads and writes the bucket at a time, so
 * the launches a process runs in parallel do not spend round trips overwriting each other's
 * take (other processes still can; the conditional write settles that).
 */
export function makePacer(deps: PacerDeps): Pacer {
  let turn: Promise<void> = Promise.resolve();
  const take = async () => {
    for (;;) {
      const stored = await deps.store.get(deps.name);
      const decision = takeToken(stored?.state, deps.now().getTime(), deps.settings);
      if (!decision.granted) {
        await deps.sleep(decision.waitMs);
        continue;
      }
      if ((await deps.store.put(deps.name, decision.next, stored?.revision)) === 'written') return;
    }
  };
  return {
    acquire() {
      const mine = turn.then(take);
      // The next caller waits for this one to finish, whether it got its token or failed.
      turn = mine.catch(() => {});
      return mine;
    },
  };
}
