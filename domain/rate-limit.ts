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
  const start = state ?? { tokens: settings.burst, refilledAt: nowMs };
  // A clock that steps back (another machine's) must not mint tokens.
  const elapsedMs = Math.max(0, nowMs - start.refilledAt);
  const tokens = Math.min(settings.burst, start.tokens + (elapsedMs / 1000) * settings.ratePerSecond);
  if (tokens >= 1) {
    return { granted: true, next: { tokens: tokens - 1, refilledAt: Math.max(nowMs, start.refilledAt) } };
  }
  return { granted: false, waitMs: Math.ceil(((1 - tokens) / settings.ratePerSecond) * 1000) };
}
