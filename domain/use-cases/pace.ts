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

/** A token bucket shared through the table, so concurrent launchers together keep the rate. */
export function makePacer(deps: PacerDeps): Pacer {
  return {
    async acquire() {
      for (;;) {
        const stored = await deps.store.get(deps.name);
        const decision = takeToken(stored?.state, deps.now().getTime(), deps.settings);
        if (!decision.granted) {
          await deps.sleep(decision.waitMs);
          continue;
        }
        if ((await deps.store.put(deps.name, decision.next, stored?.revision)) === 'written') return;
      }
    },
  };
}
