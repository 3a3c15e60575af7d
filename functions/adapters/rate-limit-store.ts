import type { RateLimitStore, WriteResult } from '../../domain/ports.js';
import { conditionalWrite } from './dynamo-errors.js';
import type { Entities } from './entities.js';

/** The token bucket item shared by every launcher (one small item, written once per StartRun). */
export function makeRateLimitStore(entities: Entities): RateLimitStore {
  const { rateLimit } = entities;
  return {
    async get(name) {
      const result = await rateLimit.get({ name }).go({ consistent: true });
      if (!result.data) return undefined;
      const { tokens, refilledAt, revision } = result.data;
      return { state: { tokens, refilledAt }, revision };
    },
    async put(name, state, revision): Promise<WriteResult> {
      const item = { name, ...state, revision: (revision ?? 0) + 1 };
      return conditionalWrite(() =>
        revision === undefined
          ? rateLimit.create(item).go()
          : rateLimit
              .put(item)
              .where((attr, op) => op.eq(attr.revision, revision))
              .go(),
      );
    },
  };
}
