/**
 * Token bucket for StartRun pacing across concurrent launchers. The state lives in one table
 * item; this is only the arithmetic, so every launcher computes the same answer.
 */
export interface TokenBucketState {
  tokens: number;
  /** Epoch milliseconds of the last refill. */
  refilledAt: number;
}

export interface TokenBucketSettings {
  ratePerSecond: number;
  burst: number;
}

export type TokenDecision = { granted: true; next: TokenBucketState } | { granted: false; waitMs: number };

export function takeToken(
  state: TokenBucketState | undefined,
  nowMs: number,
  settings: TokenBucketSettings,
): TokenDecision {
  const decision = takeTokens(state, nowMs, settings, 1);
  return decision.granted ? { granted: true, next: decision.next } : decision;
}

/**
 * Up to `wanted` tokens at once (as many whole tokens as the bucket holds, at least one): the
 * same state as taking them one after the other at this instant, in one write.
 */
export function takeTokens(
  state: TokenBucketState | undefined,
  nowMs: number,
  settings: TokenBucketSettings,
  wanted: number,
): { granted: true; count: number; next: TokenBucketState } | { granted: false; waitMs: number } {
  const start = state ?? { tokens: settings.burst, refilledAt: nowMs };
  // A clock that steps back (another machine's) must not mint tokens.
  const elapsedMs = Math.max(0, nowMs - start.refilledAt);
  const tokens = Math.min(settings.burst, start.tokens + (elapsedMs / 1000) * settings.ratePerSecond);
  if (tokens >= 1) {
    const count = Math.max(1, Math.min(wanted, Math.floor(tokens)));
    return {
      granted: true,
      count,
      next: { tokens: tokens - count, refilledAt: Math.max(nowMs, start.refilledAt) },
    };
  }
  return { granted: false, waitMs: Math.ceil(((1 - tokens) / settings.ratePerSecond) * 1000) };
}
