/**
 * The wait before retry number `attempt` (1 for the first retry): `baseMs`, doubling with each
 * attempt, at most `maxMs`. Callers add their own jitter where several may retry at once.
 */
export function backoffMs(attempt: number, limits: { baseMs: number; maxMs?: number }): number {
  const { baseMs, maxMs = Number.POSITIVE_INFINITY } = limits;
  return Math.min(maxMs, baseMs * 2 ** Math.max(attempt - 1, 0));
}
