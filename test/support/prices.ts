import { type PriceList, parsePriceList } from '../../domain/cost/price-list.js';

/**
 * A price list for tests, version test-2026-12, of `us-east-1` prices alone: the instance prices
 * given, storage at $0.0002 (STATIC) and $0.0004 (DYNAMIC) per GB-hour unless given, and the
 * Ready2Run prices given (none by default).
 */
export function aPriceList(
  usEast1: { instances: Record<string, number> } & Partial<{
    storage: Record<string, number>;
    ready2run: Record<string, number>;
  }>,
): PriceList {
  return parsePriceList({
    version: 'test-2026-12',
    source: 'test prices',
    retrievedAt: '2026-12-01T00:00:00.000Z',
    currency: 'USD',
    regions: { 'us-east-1': { storage: { STATIC: 0.0002, DYNAMIC: 0.0004 }, ready2run: {}, ...usEast1 } },
  });
}

/**
 * A price list for tests: round prices so expected costs are easy to state. `omics.r.large` is left
 * out on purpose (a missing price).
 */
export const TEST_PRICES = aPriceList({
  instances: { 'omics.c.large': 0.1, 'omics.m.xlarge': 0.4 },
  ready2run: { '9900001': 25 },
});
