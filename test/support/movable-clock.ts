/**
 * A clock a test moves forward: claim leases, the reconciler's thresholds and quiet periods are
 * reached without waiting for them.
 */
export function movableClock() {
  let offsetMs = 0;
  return {
    now: () => new Date(Date.now() + offsetMs),
    advance(ms: number) {
      offsetMs += ms;
    },
  };
}
