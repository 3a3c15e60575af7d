import type { RateLimitStore } from '../ports.js';
import { type TokenBucketSettings, takeTokens } from '../rate-limit.js';

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
 * Callers of one pacer are served by one loop: it reads the bucket, takes as many tokens as there
 * are callers waiting (and the bucket holds) in one conditional write, and lets that many go, so
 * the launches a process runs in parallel neither overwrite each other's take nor queue for a
 * round trip each. Other processes still can race it; the conditional write settles that.
 */
export function makePacer(deps: PacerDeps): Pacer {
  const waiting: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  let draining = false;
  const drain = async () => {
    draining = true;
    try {
      while (waiting.length > 0) {
        try {
          const stored = await deps.store.get(deps.name);
          const decision = takeTokens(stored?.state, deps.now().getTime(), deps.settings, waiting.length);
          if (!decision.granted) {
            await deps.sleep(decision.waitMs);
            continue;
          }
          if ((await deps.store.put(deps.name, decision.next, stored?.revision)) !== 'written') continue;
          for (const caller of waiting.splice(0, decision.count)) caller.resolve();
        } catch (error) {
          // The store failed: the first caller gets the error (its record is retried); the rest wait on.
          waiting.shift()?.reject(error);
        }
      }
    } finally {
      draining = false;
    }
  };
  return {
    acquire() {
      return new Promise<void>((resolve, reject) => {
        waiting.push({ resolve, reject });
        if (!draining) void drain();
      });
    },
  };
}
